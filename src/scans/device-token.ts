import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { nanoid } from 'nanoid'

export const DEVICE_COOKIE_NAME = 'oc_dev'
const DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 3600
/** The shape of the device ids we issue (nanoid's default alphabet and length). */
const DEVICE_ID = /^[A-Za-z0-9_-]{21}$/

/** The phone's device id from its cookie, if it has one of ours. */
export function existingDeviceId(c: Context): string | undefined {
  const id = getCookie(c, DEVICE_COOKIE_NAME)
  return id && DEVICE_ID.test(id) ? id : undefined
}

/**
 * The phone's device id: its cookie's, or a new one set in the answer (a year, httpOnly, Lax).
 * The scan page records scans under it; the consumer forms' CSRF tokens are bound to it.
 */
export function deviceIdOf(c: Context, cookieSecure: boolean): string {
  const existing = existingDeviceId(c)
  if (existing) return existing
  const id = nanoid()
  setCookie(c, DEVICE_COOKIE_NAME, id, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: cookieSecure,
    path: '/',
    maxAge: DEVICE_COOKIE_MAX_AGE_S,
  })
  return id
}

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
