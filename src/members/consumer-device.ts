import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { nanoid } from 'nanoid'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { DEVICE_COOKIE_NAME, deviceCsrfToken, isValidDeviceCsrf } from '../scans/device-token.ts'
import { deriveKey } from '../staff/staff-session.ts'

const DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 3600
/** The shape of the device ids the scan page issues (nanoid's default alphabet and length). */
const DEVICE_ID = /^[A-Za-z0-9_-]{21}$/

/**
 * The device token of the account pages' sign-in box. A signed-out member has no member token yet,
 * so the box carries the same device CSRF token as the scan page's claim box: an HMAC of the
 * device cookie, which another site can neither read nor make. A phone that never scanned (or
 * cleared its cookies) gets its device cookie here, with the scan page's attributes.
 *
 * @example
 * const device = createConsumerDevice(deps)
 * const csrf = device.csrfFor(c) // in the page
 * if (!device.isValid(c, form._csrf)) return c.text(t.expiredForm, 403) // on the post
 */
export function createConsumerDevice(deps: Pick<AppDeps, 'masterKey' | 'config'>) {
  const csrfKey = deriveKey(deps.masterKey, 'device csrf')
  const existing = (c: Context<AppEnv>) => {
    const id = getCookie(c, DEVICE_COOKIE_NAME)
    return id && DEVICE_ID.test(id) ? id : undefined
  }
  return {
    /** The token for this phone's forms; sets the device cookie first when there is none. */
    csrfFor(c: Context<AppEnv>): string {
      let id = existing(c)
      if (!id) {
        id = nanoid()
        setCookie(c, DEVICE_COOKIE_NAME, id, {
          httpOnly: true,
          sameSite: 'Lax',
          secure: deps.config.cookieSecure,
          path: '/',
          maxAge: DEVICE_COOKIE_MAX_AGE_S,
        })
      }
      return deviceCsrfToken(csrfKey, id)
    },
    /** Whether a posted token belongs to this phone's device cookie (no cookie: never). */
    isValid(c: Context<AppEnv>, token: string | undefined): boolean {
      const id = existing(c)
      return id !== undefined && isValidDeviceCsrf(csrfKey, id, token)
    },
  }
}
