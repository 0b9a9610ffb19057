import { webcrypto } from 'node:crypto'
import { type JWTPayload, jwtVerify, SignJWT } from 'jose'

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
      try {
        const { payload } = await jwtVerify(jwt, await verifyKeyOf(key), {
          algorithms: [ALG],
          issuer: ISSUER,
          audience: opts.audience,
          typ: opts.typ,
          currentDate: new Date(now),
        })
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
