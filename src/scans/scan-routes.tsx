import fs from 'node:fs'
import { type Context, Hono } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { nanoid } from 'nanoid'
import { z } from 'zod'
import { type Lang, MESSAGES, pickLang } from '../../views/scan/messages.ts'
import {
  LocationResult,
  LocationResultPage,
  NotGenuinePage,
  scanPageModel,
  TooManyPage,
  VerifyPage,
} from '../../views/scan/scan-page.tsx'
import { renderScanPage } from '../../views/scan/scan-page-template.ts'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { checkScanForDiversion } from '../channels/diversion-check.ts'
import type { RegionResolver } from '../channels/region-resolver.ts'
import { normalizeCodeInput } from '../codes/crockford.ts'
import { parseDigitalLinkParts } from '../codes/gs1.ts'
import { parseToken } from '../codes/token.ts'
import { memberCookieName, readMemberSession } from '../members/member-session.ts'
import { newIdempotencyKey } from '../points/idempotency-key.ts'
import { createRateLimiter } from '../rate-limit.ts'
import { clientIp } from '../request-ip.ts'
import { deriveKey } from '../staff/staff-session.ts'
import { DEVICE_COOKIE_NAME, deviceCsrfToken, isValidDeviceCsrf } from './device-token.ts'
import { truncateIp } from './ip-prefix.ts'
import { defaultRegionResolver } from './places.ts'
import {
  createScanRecorder,
  type PlaceResolver,
  recordDeclined,
  recordForgedScan,
  recordLocation,
} from './scan-store.ts'

const LANG_COOKIE = 'oc_lang'
const YEAR_S = 365 * 24 * 3600
/** Failed checks (forged, mistyped or unknown codes) allowed per IP and per device in the window. */
export const MAX_FAILED_CHECKS_PER_IP = 30
export const MAX_FAILED_CHECKS_PER_DEVICE = 15
export const FAILED_CHECKS_WINDOW_MS = 10 * 60_000
/** Invalid tokens per minute across all clients that raise an enumeration alert in the log. */
export const ENUMERATION_ALERT_PER_MINUTE = 200

const SCAN_JS = fs.readFileSync(new URL('../../views/static/scan.js', import.meta.url))

export type ScanDeps = AppDeps & {
  resolvePlace: PlaceResolver
  distanceKm: (a: { lat: number; lon: number }, b: { lat: number; lon: number }) => number
  /** For the diversion checks after a location post; the shipped regions when absent. */
  regionResolver?: () => RegionResolver
}

const LocationForm = z.object({
  decision: z.enum(['allow', 'decline']).optional(),
  geo: z.enum(['ok', 'unavailable', '']).optional(),
  lat: z.string().optional(),
  lon: z.string().optional(),
  accuracy: z.string().optional(),
  _csrf: z.string().optional(),
})

const Coordinates = z.object({
  lat: z.coerce.number().min(-90).max(90),
  lon: z.coerce.number().min(-180).max(180),
  accuracy: z.coerce.number().min(0).max(1_000_000),
})

/**
 * The consumer side of a scan: the landing page of `/c/{token}` (any case) and GS1 Digital Links,
 * the consented location post, and the manual check at /verify. Guessing is rate-limited per IP
 * and per device, and over the limit every answer is 429 (so the limit cannot be used as an oracle).
 */
export function createScanRoutes(deps: ScanDeps) {
  const csrfKey = deriveKey(deps.masterKey, 'device csrf')
  const byIp = createRateLimiter({ limit: MAX_FAILED_CHECKS_PER_IP, windowMs: FAILED_CHECKS_WINDOW_MS })
  const byDevice = createRateLimiter({
    limit: MAX_FAILED_CHECKS_PER_DEVICE,
    windowMs: FAILED_CHECKS_WINDOW_MS,
  })
  let alertWindow = { start: 0, count: 0, alerted: false }
  const recordScan = createScanRecorder(deps.db)
  const memberSessionKey = deriveKey(deps.masterKey, 'member session')

  const csrfFor = (deviceId: string) => deviceCsrfToken(csrfKey, deviceId)

  /**
   * The diversion checks of a scan whose location consent is settled (src/channels/diversion-check.ts),
   * in their own transaction right after the location's. A failing check is logged and never
   * breaks the consumer's page; a retried post re-runs them without duplicating a signal.
   */
  function checkForDiversion(scanId: number) {
    try {
      checkScanForDiversion(deps.db, scanId, deps.regionResolver ?? defaultRegionResolver)
    } catch (err) {
      deps.logger.error({ err, scanId }, 'diversion check failed')
    }
  }

  function device(c: Context<AppEnv>): string {
    const existing = getCookie(c, DEVICE_COOKIE_NAME)
    if (existing && /^[A-Za-z0-9_-]{21}$/.test(existing)) return existing
    const id = nanoid()
    setCookie(c, DEVICE_COOKIE_NAME, id, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: deps.config.cookieSecure,
      path: '/',
      maxAge: YEAR_S,
    })
    return id
  }

  function lang(c: Context<AppEnv>): Lang {
    const q = c.req.query('lang')
    if (q === 'en' || q === 'zh-CN') {
      setCookie(c, LANG_COOKIE, q, { sameSite: 'Lax', path: '/', maxAge: YEAR_S })
      return q
    }
    return pickLang(getCookie(c, LANG_COOKIE), c.req.header('accept-language'))
  }

  const switchHref = (c: Context<AppEnv>, l: Lang) => `${c.req.path}?lang=${l === 'en' ? 'zh-CN' : 'en'}`

  function context(c: Context<AppEnv>, deviceId: string, memberId: number | null = null) {
    return {
      deviceId,
      ipPrefix: truncateIp(clientIp(c)),
      userAgent: c.req.header('user-agent') ?? '',
      memberId,
      now: deps.clock.now(),
    }
  }

  /** The member signed in to this code's brand on this phone, if any (recorded on the scan). */
  async function signedInMember(c: Context<AppEnv>, brandId: number): Promise<number | null> {
    const jwt = getCookie(c, memberCookieName(brandId))
    if (!jwt) return null
    const claims = await readMemberSession(memberSessionKey, jwt, brandId, deps.clock.now())
    return claims?.memberId ?? null
  }

  function limited(c: Context<AppEnv>, deviceId: string, l: Lang) {
    const now = deps.clock.now()
    const ip = byIp.peek(clientIp(c), now)
    const dev = byDevice.peek(deviceId, now)
    if (ip.allowed && dev.allowed) return undefined
    noteForAlert(c, now)
    const retry = Math.max(ip.retryAfterS, dev.retryAfterS)
    c.header('Retry-After', String(retry))
    return c.html(<TooManyPage lang={l} switchHref={switchHref(c, l)} retryAfterS={retry} />, 429)
  }

  function countFailure(c: Context<AppEnv>, deviceId: string) {
    const now = deps.clock.now()
    byIp.hit(clientIp(c), now)
    byDevice.hit(deviceId, now)
    noteForAlert(c, now)
  }

  // Attempts refused by the limit count too: a spike is a spike, whether or not we answered it.
  function noteForAlert(c: Context<AppEnv>, now: number) {
    if (now - alertWindow.start >= 60_000) alertWindow = { start: now, count: 0, alerted: false }
    alertWindow.count++
    if (alertWindow.count > ENUMERATION_ALERT_PER_MINUTE && !alertWindow.alerted) {
      alertWindow.alerted = true
      deps.logger.warn(
        { perMinute: alertWindow.count, ipPrefix: truncateIp(clientIp(c)) },
        'enumeration alert: spike of invalid code scans',
      )
    }
  }

  function notGenuine(c: Context<AppEnv>, token: string, deviceId: string, l: Lang) {
    countFailure(c, deviceId)
    recordForgedScan(deps.db, token.slice(0, 200), context(c, deviceId))
    return c.html(<NotGenuinePage lang={l} switchHref={switchHref(c, l)} />, 404)
  }

  async function scan(c: Context<AppEnv>, token: string, expectGtin?: string) {
    const deviceId = device(c)
    const l = lang(c)
    const blocked = limited(c, deviceId, l)
    if (blocked) return blocked
    let verdict = deps.keyring.verify(token)
    // A key made by the CLI since start (a new brand, a rotation): look once, then judge again.
    if (verdict.kind === 'unknown-key' && deps.refreshKeys?.()) verdict = deps.keyring.verify(token)
    if (verdict.kind !== 'valid') return notGenuine(c, token, deviceId, l)
    const memberId = await signedInMember(c, verdict.brandId)
    const outcome = await recordScan(
      { brandId: verdict.brandId, serial: verdict.serial },
      context(c, deviceId, memberId),
    )
    if (outcome.kind === 'unknown' || (expectGtin && outcome.code.productGtin !== expectGtin)) {
      return notGenuine(c, token, deviceId, l)
    }
    c.header('Cache-Control', 'no-store')
    return c.html(
      renderScanPage(
        scanPageModel({
          lang: l,
          switchHref: switchHref(c, l),
          code: outcome.code,
          verdict: outcome.verdict,
          scanId: outcome.scanId,
          csrf: csrfFor(deviceId),
          claimKey: newIdempotencyKey(),
        }),
      ),
    )
  }

  function gs1(c: Context<AppEnv>) {
    const parts = parseDigitalLinkParts({
      gtin: c.req.param('gtin') ?? '',
      lot: c.req.param('lot'),
      serial: c.req.param('serial') ?? '',
      t: c.req.query('t'),
    })
    if (parts.kind !== 'ok') {
      const deviceId = device(c)
      const l = lang(c)
      return limited(c, deviceId, l) ?? notGenuine(c, c.req.path, deviceId, l)
    }
    return scan(c, parts.token, parts.gtin14)
  }

  return new Hono<AppEnv>()
    .get('/c/:token', (c) => scan(c, c.req.param('token')))
    .get('/C/:token', (c) => scan(c, c.req.param('token')))
    .get('/01/:gtin/21/:serial', gs1)
    .get('/01/:gtin/10/:lot/21/:serial', gs1)
    .get('/static/scan.js', (c) => {
      c.header('content-type', 'text/javascript; charset=utf-8')
      c.header('cache-control', 'public, max-age=3600')
      return c.body(SCAN_JS)
    })
    .post('/scans/:id{[0-9]+}/location', async (c) => {
      const deviceId = device(c)
      const l = lang(c)
      const parsed = LocationForm.safeParse(await c.req.parseBody())
      if (
        !parsed.success ||
        !isValidDeviceCsrf(csrfKey, deviceId, parsed.data._csrf ?? c.req.header('x-csrf-token'))
      ) {
        return c.text(MESSAGES[l].locationUnavailable, 403)
      }
      const scanId = Number(c.req.param('id'))
      const f = parsed.data
      let kind: 'located' | 'declined' | 'unavailable' = 'unavailable'
      let place: string | null = null
      if (f.decision === 'decline') {
        kind = recordDeclined(deps.db, scanId, deviceId) ? 'declined' : 'unavailable'
        if (kind === 'declined') checkForDiversion(scanId)
      } else if (f.geo === 'ok') {
        const coords = Coordinates.safeParse(f)
        if (!coords.success) return c.text('Invalid coordinates.', 422)
        const outcome = recordLocation(
          deps.db,
          scanId,
          deviceId,
          { lat: coords.data.lat, lon: coords.data.lon, accuracyM: coords.data.accuracy, source: 'gps' },
          deps.resolvePlace,
          deps.distanceKm,
          deps.clock.now(),
        )
        if (outcome.kind === 'not-found') return c.text('No such scan on this device.', 404)
        checkForDiversion(scanId)
        kind = 'located'
        place =
          outcome.kind === 'located' && outcome.place
            ? l === 'en'
              ? outcome.place.en
              : outcome.place.zh
            : null
      }
      c.header('Vary', 'HX-Request')
      if (c.req.header('hx-request')) return c.html(<LocationResult lang={l} kind={kind} place={place} />)
      return c.html(
        <LocationResultPage
          lang={l}
          kind={kind}
          place={place}
          switchHref={`/verify?lang=${l === 'en' ? 'zh-CN' : 'en'}`}
        />,
      )
    })
    .get('/verify', (c) => {
      const l = lang(c)
      device(c)
      return c.html(<VerifyPage lang={l} switchHref={switchHref(c, l)} />)
    })
    .post('/verify', async (c) => {
      const deviceId = device(c)
      const l = lang(c)
      const blocked = limited(c, deviceId, l)
      if (blocked) return blocked
      const body = await c.req.parseBody()
      const value = typeof body.code === 'string' ? body.code.slice(0, 100) : ''
      const parsed = parseToken(value)
      const t = MESSAGES[l]
      if (parsed.kind !== 'ok') {
        countFailure(c, deviceId)
        const error = parsed.kind === 'bad-check' ? t.verifyBadCheck : t.verifyMalformed
        return c.html(<VerifyPage lang={l} switchHref={switchHref(c, l)} value={value} error={error} />, 422)
      }
      return c.redirect(`/c/${normalizeCodeInput(parsed.token)}`, 303)
    })
}
