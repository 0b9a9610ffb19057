import { createHmac, timingSafeEqual } from 'node:crypto'

export const DEVICE_COOKIE_NAME = 'oc_dev'

/**
 * The CSRF token of a consumer's device: an HMAC of the device cookie, put in every consumer form
 * (location, claim, sign-in) so that another site cannot post them with the device's cookie.
 */
export function deviceCsrfToken(key: Uint8Array, deviceId: string): string {
  return createHmac('sha256', key).update(`dev:${deviceId}`).digest('base64url')
}

export function isValidDeviceCsrf(key: Uint8Array, deviceId: string, token: string | undefined): boolean {
  if (!token) return false
  const a = Buffer.from(deviceCsrfToken(key, deviceId))
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}
