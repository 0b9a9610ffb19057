import { normalizeCodeInput } from './crockford.ts'
import { KID_LENGTH, SERIAL_LENGTH, TOKEN_LENGTH } from './token.ts'

/** GS1 General Specifications: a GTIN is GTIN-8, -12, -13 or -14, check digit included. */
const GTIN_LENGTHS = new Set([8, 12, 13, 14])
/** AI (10) batch/lot: up to 20 characters of GS1 AI encodable character set 82. */
const GS1_LOT_PATTERN = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/
/** The token's kid + serial travel in AI (21), which GS1 caps at 20 characters. */
const GS1_SERIAL_LENGTH = KID_LENGTH + SERIAL_LENGTH
/** The query parameter that carries the rest of the token (tag + check char). */
const TAG_PARAMETER = 't'

/**
 * The GS1 mod-10 check digit for the digits before it: weights 3, 1, 3, … from the right.
 *
 * @example
 * gtinCheckDigit('950600013435') // 2, so '9506000134352' is a valid GTIN-13
 */
export function gtinCheckDigit(digitsWithoutCheck: string): number {
  let sum = 0
  for (let i = 0; i < digitsWithoutCheck.length; i++) {
    const digit = digitsWithoutCheck.charCodeAt(digitsWithoutCheck.length - 1 - i) - 48
    sum += digit * (i % 2 === 0 ? 3 : 1)
  }
  return (10 - (sum % 10)) % 10
}

/**
 * True for a GTIN-8, -12, -13 or -14 whose last digit is its check digit.
 *
 * @example
 * isValidGtin('09506000134352') // true
 * isValidGtin('09506000134353') // false
 */
export function isValidGtin(gtin: string): boolean {
  if (!GTIN_LENGTHS.has(gtin.length) || !/^\d+$/.test(gtin)) return false
  return gtinCheckDigit(gtin.slice(0, -1)) === Number(gtin.at(-1))
}

/**
 * A GTIN in the 14-digit form that GS1 Digital Link URIs use. Left-padding keeps the check
 * digit valid because the weights count from the right. Does not validate: see {@link isValidGtin}.
 *
 * @example
 * toGtin14('9506000134352') // '09506000134352'
 */
export function toGtin14(gtin: string): string {
  return gtin.padStart(14, '0')
}

/**
 * True for a batch/lot number GS1 allows in AI (10): 1 to 20 characters of character set 82.
 *
 * @example
 * isValidGs1Lot('L2024-07/A') // true
 * isValidGs1Lot('批次1') // false
 */
export function isValidGs1Lot(lot: string): boolean {
  return GS1_LOT_PATTERN.test(lot)
}

/** Percent-encodes all but unreserved characters, as GS1 Digital Link asks for path values. */
function encodeGs1Value(value: string): string {
  return value.replace(
    /[^A-Za-z0-9\-._~]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  )
}

/**
 * A GS1 Digital Link URI for a code: `/01/{GTIN-14}[/10/{lot}]/21/{kid+serial}?t={tag+check}`.
 * AI (21) holds 18 chars (GS1 allows 20), so the tag travels in the `t` query parameter, which
 * GS1's grammar accepts as an extension parameter. Throws on an invalid GTIN, lot or token:
 * those were validated when the product and batch were created.
 *
 * @example
 * buildDigitalLink({ baseUrl: 'https://oc.example.com', gtin: '9506000134352', lot: 'L7', token })
 * // 'https://oc.example.com/01/09506000134352/10/L7/21/A1…?t=…'
 */
export function buildDigitalLink(opts: {
  baseUrl: string
  gtin: string
  lot?: string | null
  token: string
}): string {
  if (!isValidGtin(opts.gtin)) throw new RangeError(`not a valid GTIN: ${opts.gtin}`)
  if (opts.lot != null && !isValidGs1Lot(opts.lot)) throw new RangeError(`not a valid GS1 lot: ${opts.lot}`)
  if (opts.token.length !== TOKEN_LENGTH) throw new RangeError('a Digital Link needs a whole token')
  const base = opts.baseUrl.replace(/\/+$/, '')
  const lotPath = opts.lot != null ? `/10/${encodeGs1Value(opts.lot)}` : ''
  const serial = opts.token.slice(0, GS1_SERIAL_LENGTH)
  const rest = opts.token.slice(GS1_SERIAL_LENGTH)
  return `${base}/01/${toGtin14(opts.gtin)}${lotPath}/21/${serial}?${TAG_PARAMETER}=${rest}`
}

/**
 * Checks the already-decoded parts of a scanned Digital Link (route parameters and the `t`
 * query parameter) and puts the token back together. The token itself is then judged by
 * `Keyring.verify`, like a short-URL token.
 *
 * @example
 * const parts = parseDigitalLinkParts({ gtin: c.req.param('gtin'), serial: c.req.param('serial'), t: c.req.query('t') })
 * if (parts.kind === 'ok') keyring.verify(parts.token)
 */
export function parseDigitalLinkParts(opts: {
  gtin: string
  lot?: string
  serial: string
  t?: string
}):
  | { kind: 'ok'; gtin14: string; lot: string | null; token: string }
  | { kind: 'malformed'; reason: string } {
  if (!isValidGtin(opts.gtin))
    return { kind: 'malformed', reason: 'GTIN is not valid (length or check digit)' }
  const lot = opts.lot ?? null
  if (lot !== null && !isValidGs1Lot(lot)) return { kind: 'malformed', reason: 'lot is not a valid GS1 lot' }
  const serial = normalizeCodeInput(opts.serial)
  if (serial.length !== GS1_SERIAL_LENGTH) {
    return { kind: 'malformed', reason: `serial must be ${GS1_SERIAL_LENGTH} characters` }
  }
  if (opts.t === undefined || opts.t === '')
    return { kind: 'malformed', reason: 'tag parameter t is missing' }
  return { kind: 'ok', gtin14: toGtin14(opts.gtin), lot, token: serial + normalizeCodeInput(opts.t) }
}
