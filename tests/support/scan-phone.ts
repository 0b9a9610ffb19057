import { randomBytes } from 'node:crypto'
import type { Hono } from 'hono'
import { nanoid } from 'nanoid'
import type { AppEnv } from '../../src/app-deps.ts'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { issueMemberSession, memberCookieName } from '../../src/members/member-session.ts'
import { deriveKey } from '../../src/staff/staff-session.ts'
import { postForm, request, type TestApp } from './test-app.ts'

export type ScanPhone = ReturnType<typeof scanPhone>

/**
 * A consumer's phone on the scan pages: its own device cookie, scans a code (GET /c/{token}),
 * shares (or declines) its location for the last scan, signs in as a member of the brand (the
 * session cookie as sign-in issues it) and claims the last scan's points.
 *
 * @example
 * const phone = scanPhone(t)
 * await phone.scan(token)
 * await phone.locate({ lat: 31.23, lon: 121.47 })
 */
export function scanPhone(t: Pick<TestApp, 'masterKey' | 'clock'> & { app: Hono<AppEnv> }) {
  const deviceId = nanoid()
  const cookies = new Map<string, string>([['oc_dev', deviceId]])
  const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  let csrf = ''
  let scanId = 0
  return {
    deviceId,
    get scanId() {
      return scanId
    },
    async scan(token: string, lang = 'en') {
      const path = new URL(shortCodeUrl('http://localhost', token)).pathname
      const res = await request(t.app, path, { headers: { cookie: cookie(), 'accept-language': lang } })
      const html = await res.text()
      if (res.status !== 200) throw new Error(`scan answered ${res.status}`)
      csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!
      scanId = Number(/\/scans\/(\d+)\/location/.exec(html)![1])
      return { res, html, scanId }
    },
    /** Posts a GPS fix for the last scan, as the page's script does after consent. */
    async locate(at: { lat: number; lon: number; accuracyM?: number }, forScan = scanId) {
      const res = await postForm(
        t.app,
        `/scans/${forScan}/location?lang=en`,
        {
          _csrf: csrf,
          geo: 'ok',
          lat: String(at.lat),
          lon: String(at.lon),
          accuracy: String(at.accuracyM ?? 20),
        },
        { cookie: cookie(), 'hx-request': 'true' },
      )
      return { res, html: await res.text() }
    },
    async decline() {
      const res = await postForm(
        t.app,
        `/scans/${scanId}/location?lang=en`,
        { _csrf: csrf, decision: 'decline' },
        { cookie: cookie(), 'hx-request': 'true' },
      )
      return { res, html: await res.text() }
    },
    async signInAs(brandId: number, memberId: number) {
      const jwt = await issueMemberSession(
        deriveKey(t.masterKey, 'member session'),
        { memberId, brandId },
        t.clock.now(),
      )
      cookies.set(memberCookieName(brandId), jwt)
    },
    /** Claims the last scan's points; pass the key again to retry the same claim. */
    async claim(key = randomBytes(16).toString('base64url'), lang: 'en' | 'zh-CN' = 'en') {
      const res = await postForm(
        t.app,
        `/scans/${scanId}/claim?lang=${lang}`,
        { _csrf: csrf, key },
        { cookie: cookie(), 'hx-request': 'true' },
      )
      return { res, html: await res.text(), key }
    },
    get: (path: string) => request(t.app, path, { headers: { cookie: cookie() } }),
  }
}
