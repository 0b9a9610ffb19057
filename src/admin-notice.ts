import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import type { AppEnv } from './app-deps.ts'
import { deriveKey } from './staff/staff-session.ts'

/** Longer notices are cut: a redirect's address stays well under the limits of proxies and logs. */
export const MAX_NOTICE_LENGTH = 1000
const SIGNATURE_LENGTH = 22

/**
 * The success notice an admin form's redirect carries to the next page (`?notice=…&ns=…`), e.g.
 * "12,000 codes activated." Pages show it in their trusted green banner only when this server
 * wrote it for the signed-in staff member: the notice carries an HMAC of the staff id and the text.
 * A crafted link ("Your session expired. Call IT on …") or one copied from another person's
 * screen shows no banner.
 *
 * @example
 * const notices = createNotices(deps.masterKey)
 * c.redirect(notices.href(c, '/admin/products', `Product ${sku} saved`), 303)
 * <ProductsPage notice={notices.read(c)} />
 */
export function createNotices(masterKey: Uint8Array) {
  const key = deriveKey(masterKey, 'admin notice')
  const sign = (staffId: number, text: string) =>
    createHmac('sha256', key).update(`${staffId}\n${text}`).digest('base64url').slice(0, SIGNATURE_LENGTH)
  return {
    /** `path` (which may have a query, not a fragment) with the signed notice appended. */
    href(c: Context<AppEnv>, path: string, text: string): string {
      const notice = text.slice(0, MAX_NOTICE_LENGTH)
      const signature = sign(c.get('staff').staffId, notice)
      return `${path}${path.includes('?') ? '&' : '?'}notice=${encodeURIComponent(notice)}&ns=${signature}`
    },
    /** The request's notice if this server signed it for the signed-in staff member. */
    read(c: Context<AppEnv>): string | undefined {
      const notice = c.req.query('notice')
      const given = c.req.query('ns')
      if (!notice || !given || notice.length > MAX_NOTICE_LENGTH) return undefined
      const expected = Buffer.from(sign(c.get('staff').staffId, notice))
      const actual = Buffer.from(given)
      return expected.length === actual.length && timingSafeEqual(expected, actual) ? notice : undefined
    },
  }
}

/**
 * A notice named by a fixed key (`?notice=role`): the page's own text for it, or nothing for any
 * other value. For notices whose words never vary; createNotices signs those that carry figures.
 *
 * @example
 * const notice = fixedNotice(c, { saved: 'Segment saved.' })
 */
export function fixedNotice(c: Context, notices: Record<string, string>): string | undefined {
  const key = c.req.query('notice')
  return key !== undefined && Object.hasOwn(notices, key) ? notices[key] : undefined
}
