import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { jwtVerify, SignJWT } from 'jose'
import { verifyKeyOf } from '../jwt-verify-key.ts'
import type { StaffRole } from './staff-schema.ts'

export const STAFF_COOKIE = 'oc_staff'
export const STAFF_SESSION_TTL_S = 12 * 3600
const ALG = 'HS256'
const ISSUER = 'onecode'
const AUDIENCE = 'onecode-admin'
const TYP = 'oc-staff+jwt'

export type StaffClaims = { staffId: number; brandId: number; role: StaffRole; sessionVersion: number }

/** Session and CSRF keys are derived from the master key, so a deployment has one secret to keep. */
export function deriveKey(master: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', master, Buffer.alloc(0), `onecode ${purpose}`, 32))
}

/** `await issueStaffSession(key, claims, now)` → compact JWT for the httpOnly cookie. */
export async function issueStaffSession(key: Uint8Array, claims: StaffClaims, now: number): Promise<string> {
  return new SignJWT({ brand: claims.brandId, role: claims.role, sv: claims.sessionVersion })
    .setProtectedHeader({ alg: ALG, typ: TYP })
    .setSubject(String(claims.staffId))
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + STAFF_SESSION_TTL_S)
    .sign(key)
}

/**
 * Verifies a session cookie with the algorithm, issuer, audience and type pinned: `alg: none`, an
 * RS/HS confusion, a token for the member audience or an expired one all come back `undefined`.
 */
export async function readStaffSession(
  key: Uint8Array,
  jwt: string,
  now: number,
): Promise<StaffClaims | undefined> {
  try {
    const { payload } = await jwtVerify(jwt, await verifyKeyOf(key), {
      algorithms: [ALG],
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: TYP,
      currentDate: new Date(now),
    })
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
  } catch {
    return undefined
  }
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
