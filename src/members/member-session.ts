import { jwtVerify, SignJWT } from 'jose'
import { verifyKeyOf } from '../jwt-verify-key.ts'

export const MEMBER_SESSION_TTL_S = 30 * 24 * 3600
const ALG = 'HS256'
const ISSUER = 'onecode'
const AUDIENCE = 'onecode-member'
const TYP = 'oc-member+jwt'

/** One cookie per brand: a consumer can be a member of several brands on one phone. */
export function memberCookieName(brandId: number): string {
  return `oc_m${brandId}`
}

export type MemberClaims = { memberId: number; brandId: number }

export async function issueMemberSession(
  key: Uint8Array,
  claims: MemberClaims,
  now: number,
): Promise<string> {
  return new SignJWT({ brand: claims.brandId })
    .setProtectedHeader({ alg: ALG, typ: TYP })
    .setSubject(String(claims.memberId))
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + MEMBER_SESSION_TTL_S)
    .sign(key)
}

/**
 * Verifies a member cookie with algorithm, issuer, audience and type pinned; a staff token, an
 * `alg: none` token, a tampered or expired one, or one of another brand comes back undefined.
 */
export async function readMemberSession(
  key: Uint8Array,
  jwt: string,
  brandId: number,
  now: number,
): Promise<MemberClaims | undefined> {
  try {
    const { payload } = await jwtVerify(jwt, await verifyKeyOf(key), {
      algorithms: [ALG],
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: TYP,
      currentDate: new Date(now),
    })
    const memberId = Number(payload.sub)
    if (!Number.isSafeInteger(memberId) || payload.brand !== brandId) return undefined
    return { memberId, brandId }
  } catch {
    return undefined
  }
}
