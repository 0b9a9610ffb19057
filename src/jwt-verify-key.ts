import { webcrypto } from 'node:crypto'

// jose imports a Uint8Array key on every verify (a WebCrypto importKey per request, and it turns a
// secret KeyObject back into bytes, so that does not help either); a CryptoKey is used as is. Each
// key is imported once and kept for as long as the caller keeps the key.
const verifyKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>()

/** The HS256 verification key for a session secret, imported once (staff and member sessions). */
export function verifyKeyOf(key: Uint8Array): Promise<webcrypto.CryptoKey> {
  let k = verifyKeys.get(key)
  if (!k) {
    k = webcrypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    verifyKeys.set(key, k)
  }
  return k
}
