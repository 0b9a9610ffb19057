import { createHash, webcrypto } from 'node:crypto'
import { type JWTPayload, jwtVerify, SignJWT } from 'jose'
import { LruMap } from './lru-map.ts'

/**
 * The one place session JWTs are made and checked (staff and member cookies): HS256, with the
 * algorithm, issuer, audience and type pinned at verification, so `alg: none`, an RS/HS confusion,
 * a token of the other audience, a tampered or an expired token never verify.
 *
 * @example
 * const staffTokens = sessionTokens({ audience: 'onecode-admin', typ: 'oc-staff+jwt', ttlS: 12 * 3600 })
 * const jwt = await staffTokens.issue(key, '42', { brand: 7 }, now)
 * const payload = await staffTokens.read(key, jwt, now) // undefined unless genuine and fresh
 */
export function sessionTokens(opts: { audience: string; typ: string; ttlS: number }) {
  const verified = new VerifiedTokens()
  return {
    issue(key: Uint8Array, subject: string, claims: Record<string, unknown>, now: number): Promise<string> {
      const iat = Math.floor(now / 1000)
      return new SignJWT(claims)
        .setProtectedHeader({ alg: ALG, typ: opts.typ })
        .setSubject(subject)
        .setIssuer(ISSUER)
        .setAudience(opts.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + opts.ttlS)
        .sign(key)
    },
    async read(key: Uint8Array, jwt: string, now: number): Promise<JWTPayload | undefined> {
      const memo = verified.of(key)
      const known = memo.get(jwt)
      if (known) {
        if (stillValid(known, now)) return known
        memo.delete(jwt)
      }
      try {
        const { payload } = await jwtVerify(jwt, await verifyKeyOf(key), {
          algorithms: [ALG],
          issuer: ISSUER,
          audience: opts.audience,
          typ: opts.typ,
          currentDate: new Date(now),
        })
        if (typeof payload.exp === 'number' && payload.nbf === undefined)
          memo.set(jwt, Object.freeze(payload))
        return payload
      } catch {
        return undefined
      }
    },
  }
}

const ALG = 'HS256'
const ISSUER = 'onecode'

// jose imports a Uint8Array key on every verify (a WebCrypto importKey per request, and it turns a
// secret KeyObject back into bytes, so that does not help either); a CryptoKey is used as is. Each
// key is imported once and kept for as long as the caller keeps the key.
const verifyKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>()

function verifyKeyOf(key: Uint8Array): Promise<webcrypto.CryptoKey> {
  let k = verifyKeys.get(key)
  if (!k) {
    k = webcrypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    verifyKeys.set(key, k)
  }
  return k
}

/** Verified tokens kept per key and kind of session: enough for every phone active at one time. */
const VERIFIED_TOKENS_KEPT = 10_000

/** Keys with verified tokens kept per kind of session: one in service, a few across rotations. */
const KEYS_KEPT = 8

/**
 * The tokens of one kind of session (staff or member) that passed jwtVerify, per key, by their
 * exact text: the same string under the same key verifies the same way again, except for time, so
 * a phone that shows its cookie again (the scan page, then the claim, then the next scan) is
 * answered from here, with the expiry checked against the clock on every read. Only verified
 * tokens are kept (a forged one costs a verification every time), at most VERIFIED_TOKENS_KEPT
 * per key, for the KEYS_KEPT keys used last. Measured in the claim bench (npm run bench, 20,000
 * claims): 2.7k → 4.5k claims/s; jose's WebCrypto check costs ~22 µs of the request thread plus a
 * thread-pool job, and its await split the claims of one event-loop turn into smaller commit groups.
 *
 * Keys are compared by a hash of their bytes (each route derives its own copy of a session key;
 * the key itself is not kept as a string).
 */
class VerifiedTokens {
  readonly #byKeyObject = new WeakMap<Uint8Array, LruMap<string, JWTPayload>>()
  readonly #byKeyHash = new LruMap<string, LruMap<string, JWTPayload>>(KEYS_KEPT)

  of(key: Uint8Array): LruMap<string, JWTPayload> {
    let memo = this.#byKeyObject.get(key)
    if (!memo) {
      const hash = createHash('sha256').update(key).digest('base64')
      memo = this.#byKeyHash.get(hash) ?? new LruMap(VERIFIED_TOKENS_KEPT)
      this.#byKeyHash.set(hash, memo)
      this.#byKeyObject.set(key, memo)
    }
    return memo
  }
}

/** jose's own rule (jwt_claims_set.js): a token expires once `exp` is not after now, in whole seconds. */
function stillValid(payload: JWTPayload, now: number): boolean {
  return typeof payload.exp === 'number' && payload.exp > Math.floor(now / 1000)
}
