import { createHmac, timingSafeEqual } from 'node:crypto'
import { deriveKey } from '../staff/staff-session.ts'

/**
 * The key of members' CSRF tokens, derived once per app from the master key. The account pages
 * and the rewards pages use the same derivation, so a token from either page works on both.
 *
 * @example
 * const csrfKey = memberCsrfKey(deps.masterKey)
 */
export function memberCsrfKey(masterKey: Uint8Array): Uint8Array {
  return deriveKey(masterKey, 'member csrf')
}

/**
 * The hidden `_csrf` value of a signed-in member's forms: an HMAC of the member id. A page from
 * another site cannot read it (same-origin policy), so it cannot forge a member's POST even when
 * a browser sends the SameSite=Lax cookie along.
 *
 * @example
 * <input type="hidden" name="_csrf" value={memberCsrfToken(csrfKey, member.id)} />
 */
export function memberCsrfToken(key: Uint8Array, memberId: number): string {
  return createHmac('sha256', key).update(`member-csrf:${memberId}`).digest('base64url')
}

/** Compares in constant time; anything but a string (a missing field, a repeated one) is invalid. */
export function isValidMemberCsrf(key: Uint8Array, memberId: number, token: unknown): boolean {
  if (typeof token !== 'string' || token.length === 0) return false
  const expected = Buffer.from(memberCsrfToken(key, memberId))
  const given = Buffer.from(token)
  return expected.length === given.length && timingSafeEqual(expected, given)
}
