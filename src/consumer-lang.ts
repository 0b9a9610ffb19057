import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import { type Lang, pickLang } from '../views/scan/messages.ts'

/** The cookie in which the scan pages keep the language a consumer chose with the switch. */
export const LANG_COOKIE = 'oc_lang'

/**
 * The language of a consumer page or answer: `?lang`, then the choice the scan pages keep in
 * LANG_COOKIE, then the browser's Accept-Language.
 *
 * @example
 * const t = MEMBER_MESSAGES[consumerLang(c)]
 */
export function consumerLang(c: Context): Lang {
  return pickLang(c.req.query('lang') ?? getCookie(c, LANG_COOKIE), c.req.header('accept-language'))
}
