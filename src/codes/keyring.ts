import { timingSafeEqual } from 'node:crypto'
import { isCrockford } from './crockford.ts'
import { assembleToken, computeTag, KID_LENGTH, mintSerial, parseToken } from './token.ts'

export type SigningKey = { kid: string; brandId: number; secret: Uint8Array; active: boolean }

export type Verdict =
  | { kind: 'valid'; token: string; kid: string; brandId: number; serial: string }
  | { kind: 'malformed' }
  | { kind: 'bad-check' }
  | { kind: 'unknown-key' }
  | { kind: 'bad-tag' }

/**
 * The signing keys of every brand, held in memory so that a scan is judged before any database
 * read: a typo, an unknown key id or a forged tag costs no I/O at all. Keys rotate: adding an
 * active key for a brand retires the brand's previous active key from minting, but codes it
 * signed keep verifying.
 *
 * @example
 * const keyring = new Keyring([{ kid: 'A1', brandId: 7, secret, active: true }])
 * const token = keyring.mint(7)
 * keyring.verify(token) // { kind: 'valid', token, kid: 'A1', brandId: 7, serial: … }
 */
export class Keyring {
  readonly #byKid = new Map<string, SigningKey>()

  constructor(keys: SigningKey[] = []) {
    for (const key of keys) this.add(key)
  }

  /**
   * Adds or replaces (same kid) a key. An active key makes every other key of its brand
   * inactive. Throws on a malformed kid or an empty secret: those are bugs, not answers.
   */
  add(key: SigningKey): void {
    if (key.kid.length !== KID_LENGTH || !isCrockford(key.kid)) {
      throw new RangeError(`a key id is ${KID_LENGTH} upper-case Crockford chars, got "${key.kid}"`)
    }
    if (key.secret.length === 0) throw new RangeError(`signing key ${key.kid} has an empty secret`)
    if (key.active) {
      for (const [kid, other] of this.#byKid) {
        if (other.brandId === key.brandId && other.active) this.#byKid.set(kid, { ...other, active: false })
      }
    }
    // A copy, so that a caller mutating its object cannot change what verifies.
    this.#byKid.set(key.kid, { ...key, secret: Uint8Array.from(key.secret) })
  }

  /** The key new codes of `brandId` are minted with, if the brand has one. */
  activeKeyFor(brandId: number): SigningKey | undefined {
    for (const key of this.#byKid.values()) if (key.brandId === brandId && key.active) return key
    return undefined
  }

  /** The key with this id (active or retired), for minting the rest of a batch signed with it. */
  keyFor(kid: string): SigningKey | undefined {
    return this.#byKid.get(kid)
  }

  has(kid: string): boolean {
    return this.#byKid.has(kid)
  }

  get size(): number {
    return this.#byKid.size
  }

  /**
   * Judges a scanned or typed token offline: format, check character, key id, then the tag in
   * constant time (so response timing does not reveal how many tag chars were right). A `valid`
   * verdict means the code was signed by us; whether it exists is the database's answer.
   *
   * @example
   * const verdict = keyring.verify(c.req.param('token'))
   * if (verdict.kind !== 'valid') return c.html(<NotGenuine />, 404)
   */
  verify(input: string): Verdict {
    const parsed = parseToken(input)
    if (parsed.kind !== 'ok') return parsed
    const key = this.#byKid.get(parsed.kid)
    if (!key) return { kind: 'unknown-key' }
    const expected = Buffer.from(computeTag(key.secret, key.kid, parsed.serial), 'latin1')
    if (!timingSafeEqual(expected, Buffer.from(parsed.tag, 'latin1'))) return { kind: 'bad-tag' }
    return { kind: 'valid', token: parsed.token, kid: key.kid, brandId: key.brandId, serial: parsed.serial }
  }

  /**
   * Mints one token for `brandId` under its active key. Throws when the brand has no active
   * key: batches are only created for brands with keys, so this is a bug.
   *
   * @example
   * const token = keyring.mint(brand.id)
   */
  mint(brandId: number): string {
    const key = this.activeKeyFor(brandId)
    if (!key) throw new Error(`brand ${brandId} has no active signing key`)
    const serial = mintSerial()
    return assembleToken(key.kid, serial, computeTag(key.secret, key.kid, serial))
  }
}
