import { sessionTokens } from '../session-token.ts'

export const MEMBER_SESSION_TTL_S = 30 * 24 * 3600

/** One cookie per brand: a consumer can be a member of several brands on one phone. */
export function memberCookieName(brandId: number): string {
  return `oc_m${brandId}`
}

export type MemberClaims = { memberId: number; brandId: number }

const tokens = sessionTokens({ audience: 'onecode-member', typ: 'oc-member+jwt', ttlS: MEMBER_SESSION_TTL_S })

export function issueMemberSession(key: Uint8Array, claims: MemberClaims, now: number): Promise<string> {
  return tokens.issue(key, String(claims.memberId), { brand: claims.brandId }, now)
}

/**
 * Verifies a member cookie (see session-token.ts for what is pinned); a staff token or one of
 * another brand comes back undefined too.
 */
export async function readMemberSession(
  key: Uint8Array,
  jwt: string,
  brandId: number,
  now: number,
): Promise<MemberClaims | undefined> {
  const payload = await tokens.read(key, jwt, now)
  const memberId = Number(payload?.sub)
  if (!payload || !Number.isSafeInteger(memberId) || payload.brand !== brandId) return undefined
  return { memberId, brandId }
}
