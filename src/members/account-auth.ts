import { eq } from 'drizzle-orm'
import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { brands } from '../staff/staff-schema.ts'
import { deriveKey } from '../staff/staff-session.ts'
import { memberCookieName, readMemberSession } from './member-session.ts'
import { findMember, type Member } from './member-store.ts'

export type Brand = typeof brands.$inferSelect

/** The brand segment of the members' paths: `/me/${BRAND_PARAM}/…`. */
export const BRAND_PARAM = ':brand{[a-z0-9-]{3,40}}'

/** The brand of a `/me/:brand/…` path, by its slug. */
export function findBrandBySlug(db: AppDeps['db'], slug: string): Brand | undefined {
  return db.select().from(brands).where(eq(brands.slug, slug)).get()
}

/**
 * Reads the member of a `/me/:brand/…` request: the brand by its slug, then the brand's member
 * cookie (JWT pinned as in member-session.ts) and the member row, which must not be erased. Build
 * it once per router; the rewards pages use the same reader.
 *
 * @example
 * const readMember = createMemberReader(deps)
 * const { brand, member } = await readMember(c, c.req.param('brand'))
 */
export function createMemberReader(deps: Pick<AppDeps, 'db' | 'masterKey' | 'clock'>) {
  const sessionKey = deriveKey(deps.masterKey, 'member session')
  return async (
    c: Context<AppEnv>,
    brandSlug: string,
  ): Promise<{ brand: Brand | undefined; member: Member | undefined }> => {
    const brand = findBrandBySlug(deps.db, brandSlug)
    if (!brand) return { brand, member: undefined }
    const jwt = getCookie(c, memberCookieName(brand.id))
    const claims = jwt ? await readMemberSession(sessionKey, jwt, brand.id, deps.clock.now()) : undefined
    return { brand, member: claims ? findMember(deps.db, brand.id, claims.memberId) : undefined }
  }
}
