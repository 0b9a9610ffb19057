import type { Context } from 'hono'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { deviceCsrfToken, deviceIdOf, existingDeviceId, isValidDeviceCsrf } from '../scans/device-token.ts'
import { deriveKey } from '../staff/staff-session.ts'

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
  return {
    /** The token for this phone's forms; sets the device cookie first when there is none. */
    csrfFor(c: Context<AppEnv>): string {
      return deviceCsrfToken(csrfKey, deviceIdOf(c, deps.config.cookieSecure))
    },
    /** Whether a posted token belongs to this phone's device cookie (no cookie: never). */
    isValid(c: Context<AppEnv>, token: string | undefined): boolean {
      const id = existingDeviceId(c)
      return id !== undefined && isValidDeviceCsrf(csrfKey, id, token)
    },
  }
}
