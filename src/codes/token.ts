import { createHmac } from 'node:crypto'
import { customAlphabet } from 'nanoid'
import { checkCharFor, hasValidCheckChar } from './check-char.ts'
import { CROCKFORD_ALPHABET, encodeBitsToCrockford, isCrockford, normalizeCodeInput } from './crockford.ts'

/** Names the brand signing key; 2 chars = 1024 key ids. */
export const KID_LENGTH = 2
/** 16 chars × 5 bits = 80 random bits, the design's floor for an unguessable serial. */
export const SERIAL_LENGTH = 16
/** 12 chars × 5 bits = 60 bits of HMAC-SHA-256, the design's floor for an offline forgery check. */
export const TAG_LENGTH = 12
/** kid + serial + tag + one check character. */
export const TOKEN_LENGTH = KID_LENGTH + SERIAL_LENGTH + TAG_LENGTH + 1

/** Domain separation: a tag for this token format can never be replayed as another MAC. */
const TAG_CONTEXT = 'oc1'

export type ParsedToken =
  | { kind: 'ok'; token: string; kid: string; serial: string; tag: string }
  | { kind: 'malformed' }
  | { kind: 'bad-check' }

/**
 * A fresh serial from nanoid's CSPRNG-backed generator. With 32 symbols there is no modulo
 * bias and no rejection, and nanoid reads random bytes in pools, so a million take ~1 s.
 *
 * @example
 * mintSerial() // '7K3QZ0M4V1XJ9N2P'
 */
export const mintSerial: () => string = customAlphabet(CROCKFORD_ALPHABET, SERIAL_LENGTH)

/**
 * The MAC tag of a serial under a brand's signing key: HMAC-SHA-256 over `'oc1' + kid + serial`,
 * first 60 bits as 12 Crockford chars. The kid is inside the MAC so a tag cannot be moved to
 * another key id.
 *
 * @example
 * const tag = computeTag(key.secret, key.kid, mintSerial())
 */
export function computeTag(key: Uint8Array, kid: string, serial: string): string {
  const mac = createHmac('sha256', key)
    .update(TAG_CONTEXT + kid + serial, 'latin1')
    .digest()
  return encodeBitsToCrockford(mac, TAG_LENGTH)
}

/**
 * Joins the parts of a token and appends its check character.
 *
 * @example
 * const token = assembleToken(kid, serial, computeTag(secret, kid, serial))
 * token.length === TOKEN_LENGTH // true
 */
export function assembleToken(kid: string, serial: string, tag: string): string {
  const body = kid + serial + tag
  return body + checkCharFor(body)
}

/**
 * Reads a token as a person or a scanner gave it (any case, dashes, spaces, I/L/O confusions)
 * and splits it. Wrong length or alphabet answers `malformed`; a typo caught by the check
 * character answers `bad-check`. It never throws, whatever the input.
 *
 * @example
 * const parsed = parseToken('ab12-…')
 * if (parsed.kind === 'ok') lookUp(parsed.kid, parsed.serial)
 */
export function parseToken(input: string): ParsedToken {
  if (typeof input !== 'string') return { kind: 'malformed' }
  // Bound the work before normalizing: a genuine token with dashes and spaces is far shorter.
  if (input.length > TOKEN_LENGTH * 4) return { kind: 'malformed' }
  const token = normalizeCodeInput(input)
  if (token.length !== TOKEN_LENGTH || !isCrockford(token)) return { kind: 'malformed' }
  if (!hasValidCheckChar(token)) return { kind: 'bad-check' }
  const serialEnd = KID_LENGTH + SERIAL_LENGTH
  return {
    kind: 'ok',
    token,
    kid: token.slice(0, KID_LENGTH),
    serial: token.slice(KID_LENGTH, serialEnd),
    tag: token.slice(serialEnd, serialEnd + TAG_LENGTH),
  }
}

/**
 * The token as printed for people: groups of four joined by dashes (the last group has three),
 * which {@link parseToken} reads back.
 *
 * @example
 * formatHuman(token) // 'AB7K-3QZ0-M4V1-XJ9N-2P5R-8T6W-0C4D-E1F'
 */
export function formatHuman(token: string): string {
  return token.match(/.{1,4}/g)?.join('-') ?? ''
}
