import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { sessionTokens } from '../session-token.ts'
import type { StaffRole } from './staff-schema.ts'

export const STAFF_COOKIE = 'oc_staff'
export const STAFF_SESSION_TTL_S = 12 * 3600

export type StaffClaims = { staffId: number; brandId: number; role: StaffRole; sessionVersion: number }

/** Session and CSRF keys are derived from the master key, so a deployment has one secret to keep. */
export function deriveKey(master: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', master, Buffer.alloc(0), `onecode ${purpose}`, 32))
}

const tokens = sessionTokens({ audience: 'onecode-admin', typ: 'oc-staff+jwt', ttlS: STAFF_SESSION_TTL_S })

/** `await issueStaffSession(key, claims, now)` → compact JWT for the httpOnly cookie. */
export function issueStaffSession(key: Uint8Array, claims: StaffClaims, now: number): Promise<string> {
  return tokens.issue(
    key,
    String(claims.staffId),
    { brand: claims.brandId, role: claims.role, sv: claims.sessionVersion },
    now,
  )
}

/** Verifies a staff cookie (see session-token.ts for what is pinned); a member token comes back undefined. */
export async function readStaffSession(
  key: Uint8Array,
  jwt: string,
  now: number,
): Promise<StaffClaims | undefined> {
  const payload = await tokens.read(key, jwt, now)
  if (!payload) return undefined
  const staffId = Number(payload.sub)
  const { brand, role, sv } = payload as { brand?: unknown; role?: unknown; sv?: unknown }
  if (
    !Number.isInteger(staffId) ||
    typeof brand !== 'number' ||
    typeof sv !== 'number' ||
    typeof role !== 'string'
  ) {
    return undefined
  }
  return { staffId, brandId: brand, role: role as StaffRole, sessionVersion: sv }
}

/** The CSRF token of a session: bound to the staff member and their session version. */
export function csrfTokenFor(
  key: Uint8Array,
  claims: Pick<StaffClaims, 'staffId' | 'sessionVersion'>,
): string {
  return createHmac('sha256', key)
    .update(`csrf:${claims.staffId}:${claims.sessionVersion}`)
    .digest('base64url')
}

export function isValidCsrfToken(key: Uint8Array, claims: StaffClaims, token: string | undefined): boolean {
  if (!token) return false
  const expected = Buffer.from(csrfTokenFor(key, claims))
  const given = Buffer.from(token)
  return expected.length === given.length && timingSafeEqual(expected, given)
}
