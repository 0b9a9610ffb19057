import fs from 'node:fs'
import { type Context, Hono } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import { type Lang, MESSAGES, otherLang, pickLang } from '../../views/scan/messages.ts'
import {
  LocationResult,
  type LocationResultKind,
  LocationResultPage,
  NotGenuinePage,
  scanPageModel,
  TooManyPage,
  VerifyPage,
} from '../../views/scan/scan-page.tsx'
import { renderScanPage } from '../../views/scan/scan-page-template.ts'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { checkScanForDiversion, IP_DEFAULT_RADIUS_KM } from '../channels/diversion-check.ts'
import type { RegionResolver } from '../channels/region-resolver.ts'
import { normalizeCodeInput } from '../codes/crockford.ts'
import { parseDigitalLinkParts } from '../codes/gs1.ts'
import { parseToken } from '../codes/token.ts'
import { LANG_COOKIE } from '../consumer-lang.ts'
import { memberCookieName, readMemberSession } from '../members/member-session.ts'
import { newIdempotencyKey } from '../points/idempotency-key.ts'
import { createRateLimiter } from '../rate-limit.ts'
import { createClientIp } from '../request-ip.ts'
import { deriveKey } from '../staff/staff-session.ts'
import { deviceCsrfToken, deviceIdOf, isValidDeviceCsrf } from './device-token.ts'
import type { IpLocations } from './ip-locations.ts'
import { truncateIp } from './ip-prefix.ts'
import { defaultRegionResolver } from './places.ts'
import {
  createScanRecorder,
  type IpScanLocation,
  matchScanKey,
  type PlaceResolver,
  recordDeclined,
  recordForgedScan,
  recordLocation,
  type ScanContext,
} from './scan-store.ts'

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
  back: z.string().max(1000).optional(),
})

/** A number the page's script filled in: an empty field is missing, not 0 (coerce reads '' as 0). */
const filledNumber = (min: number, max: number) =>
  z.string().trim().min(1).transform(Number).pipe(z.number().min(min).max(max))

const Coordinates = z.object({
  lat: filledNumber(-90, 90),
  lon: filledNumber(-180, 180),
  accuracy: filledNumber(0, 1_000_000),
})

/**
 * A scan page's own path and query, as the location form carries it back: one of the scan routes
 * on this origin, in the characters our links are printed with, and nothing a browser would read
 * as another host (`//`) or a step up (`/.`, `/%2e`).
 */
const SCAN_PAGE_HREF = /^\/(?:c|C|01)\/[A-Za-z0-9\-._~%/]+(?:\?[A-Za-z0-9\-._~%&=]*)?$/
function scanPageHref(back: string | undefined): string | null {
  if (!back || back.length > 300 || !SCAN_PAGE_HREF.test(back) || back.includes('//')) return null
  return /\/(?:\.|%2e)/i.test(back) ? null : back
}

/** The request's own path and query as it came (still percent-encoded), without `lang`. */
function ownHref(url: string): string {
  const href = url.slice(url.indexOf('/', url.indexOf('//') + 2))
  const q = href.indexOf('?')
  if (q === -1 || !/[?&]lang(?:=|&|$)/.test(href)) return href
  const rest = href
    .slice(q + 1)
    .split('&')
    .filter((p) => p !== 'lang' && !p.startsWith('lang='))
  return rest.length > 0 ? `${href.slice(0, q)}?${rest.join('&')}` : href.slice(0, q)
}

const withLang = (href: string, l: Lang) => `${href}${href.includes('?') ? '&' : '?'}lang=${l}`

/**
 * Locates a client by its full address (IP_LOCATIONS_FILE), as a scan row stores it: the range's
 * radius, or IP_DEFAULT_RADIUS_KM, as its accuracy, and the coarse place the GPS path resolves.
 */
function ipLocator(ips: IpLocations, resolvePlace: PlaceResolver) {
  return (ip: string): IpScanLocation | undefined => {
    const found = ips.lookup(ip)
    if (!found) return undefined
    const place = resolvePlace(found.lon, found.lat)
    return {
      lat: found.lat,
      lon: found.lon,
      accuracyM: (found.radiusKm ?? IP_DEFAULT_RADIUS_KM) * 1000,
      regionCode: place?.code ?? null,
      placeZh: place?.zh ?? null,
      placeEn: place?.en ?? null,
    }
  }
}

/**
 * The consumer side of a scan: the landing page of `/c/{token}` (any case) and GS1 Digital Links,
 * the consented location post, and the manual check at /verify. Guessing is rate-limited per IP
 * and per device, and over the limit every answer to an invalid code is 429 (so the limit cannot
 * be used as an oracle). A phone over its limit is refused everything; an IP over its limit only
 * what fails: a correctly signed code cannot be guessed, so answering it tells a guesser nothing,
 * and one guesser behind a shared address (a campus, a carrier's NAT) does not lock out the rest.
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
  const clientIp = createClientIp(deps.config.trustProxy ?? 'none')
  const memberSessionKey = deriveKey(deps.masterKey, 'member session')
  const locateIp = deps.ipLocations ? ipLocator(deps.ipLocations, deps.resolvePlace) : undefined

  const csrfFor = (deviceId: string) => deviceCsrfToken(csrfKey, deviceId)

  /**
   * The diversion checks of a scan whose location consent is settled (src/channels/diversion-check.ts),
   * in their own transaction right after the location's, or of a scan located by IP once its page
   * is answered. A failing check is logged and never breaks the consumer's page; a retried post
   * re-runs them without duplicating a signal.
   */
  function checkForDiversion(scanId: number) {
    try {
      checkScanForDiversion(deps.db, scanId, deps.regionResolver ?? defaultRegionResolver)
    } catch (err) {
      deps.logger.error({ err, scanId }, 'diversion check failed')
    }
  }

  const device = (c: Context<AppEnv>) => deviceIdOf(c, deps.config.cookieSecure)

  function lang(c: Context<AppEnv>): Lang {
    const q = c.req.query('lang')
    if (q === 'en' || q === 'zh-CN') {
      setCookie(c, LANG_COOKIE, q, { sameSite: 'Lax', path: '/', maxAge: YEAR_S })
      return q
    }
    return pickLang(getCookie(c, LANG_COOKIE), c.req.header('accept-language'))
  }

  // The whole address but `lang`: a Digital Link's tag travels in its query (`t`).
  const switchHref = (c: Context<AppEnv>, l: Lang) => withLang(ownHref(c.req.url), otherLang(l))

  function context(c: Context<AppEnv>, deviceId: string, memberId: number | null = null): ScanContext {
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

  /** 429 for a phone over its limit, whatever it asks; undefined when it may go on. */
  function deviceLimited(c: Context<AppEnv>, deviceId: string, l: Lang) {
    const dev = byDevice.peek(deviceId, deps.clock.now())
    return dev.allowed ? undefined : tooMany(c, l, dev.retryAfterS)
  }

  /** 429 for a failed check from an IP over its limit; undefined when it may go on. */
  function ipLimited(c: Context<AppEnv>, l: Lang) {
    const ip = byIp.peek(clientIp(c), deps.clock.now())
    return ip.allowed ? undefined : tooMany(c, l, ip.retryAfterS)
  }

  function tooMany(c: Context<AppEnv>, l: Lang, retryAfterS: number) {
    noteForAlert(c, deps.clock.now())
    c.header('Retry-After', String(retryAfterS))
    return c.html(<TooManyPage lang={l} switchHref={switchHref(c, l)} retryAfterS={retryAfterS} />, 429)
  }

  /**
   * A HEAD request (`curl -I`, link checkers, chat-app previews) hears the status GET would answer
   * (a signed code we never made, or a Digital Link under another GTIN or lot, is 404), and no scan
   * is recorded: five previews of a buyer's link must not turn the buyer's own first scan into
   * "suspected copy". A failed one still counts as a guess (headFailed).
   */
  function headOnly(c: Context<AppEnv>, status: 200 | 404) {
    c.header('Cache-Control', 'no-store')
    return c.body(null, status, { 'Content-Type': 'text/html; charset=UTF-8' })
  }

  /** A HEAD of something that is not a genuine code: no scan row, but a failed guess all the same. */
  function headFailed(c: Context<AppEnv>, deviceId: string) {
    countFailure(c, deviceId)
    return headOnly(c, 404)
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

  /** `link`: what a Digital Link says besides the token (its GTIN-14, and its lot when it has one). */
  async function scan(c: Context<AppEnv>, token: string, link?: { gtin: string; lot: string | null }) {
    const deviceId = device(c)
    const l = lang(c)
    const blocked = deviceLimited(c, deviceId, l)
    if (blocked) return blocked
    let verdict = deps.keyring.verify(token)
    // A key made by the CLI since start (a new brand, a rotation): look once, then judge again.
    if (verdict.kind === 'unknown-key' && deps.refreshKeys?.()) verdict = deps.keyring.verify(token)
    if (verdict.kind !== 'valid') {
      return (
        ipLimited(c, l) ??
        (c.req.method === 'HEAD' ? headFailed(c, deviceId) : notGenuine(c, token, deviceId, l))
      )
    }
    if (c.req.method === 'HEAD') {
      const key = { brandId: verdict.brandId, serial: verdict.serial, gtin: link?.gtin, lot: link?.lot }
      return matchScanKey(deps.db, key) === 'found' ? headOnly(c, 200) : headFailed(c, deviceId)
    }
    const memberId = await signedInMember(c, verdict.brandId)
    const ctx: ScanContext = context(c, deviceId, memberId)
    // The full address, before context() truncated it for storage; only with IP_LOCATIONS_FILE.
    if (locateIp) ctx.ipLocation = locateIp(clientIp(c))
    const outcome = await recordScan(
      { brandId: verdict.brandId, serial: verdict.serial, gtin: link?.gtin, lot: link?.lot },
      ctx,
    )
    if (outcome.kind !== 'scanned') return notGenuine(c, token, deviceId, l)
    // Its checks run after the page is answered (setImmediate), off the scan page's response path.
    if (ctx.ipLocation) setImmediate(checkForDiversion, outcome.scanId)
    const back = ownHref(c.req.url)
    c.header('Cache-Control', 'no-store')
    return c.html(
      renderScanPage(
        scanPageModel({
          lang: l,
          switchHref: withLang(back, otherLang(l)),
          code: outcome.code,
          verdict: outcome.verdict,
          scanId: outcome.scanId,
          csrf: csrfFor(deviceId),
          claimKey: newIdempotencyKey(),
          memberId,
          back,
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
      return (
        deviceLimited(c, deviceId, l) ??
        ipLimited(c, l) ??
        (c.req.method === 'HEAD' ? headFailed(c, deviceId) : notGenuine(c, c.req.path, deviceId, l))
      )
    }
    return scan(c, parts.token, { gtin: parts.gtin14, lot: parts.lot })
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
      // htmx swaps the fragment into the page; a post without JavaScript gets a page of its own
      // that leads back to the scan page the form came from (checked: it is sent by the client).
      const answer = (
        kind: LocationResultKind,
        place: string | null = null,
        status: 200 | 404 | 422 = 200,
      ) => {
        c.header('Vary', 'HX-Request')
        if (c.req.header('hx-request'))
          return c.html(<LocationResult lang={l} kind={kind} place={place} />, status)
        const back = scanPageHref(f.back)
        return c.html(
          <LocationResultPage
            lang={l}
            kind={kind}
            place={place}
            back={back}
            switchHref={withLang(back ?? '/verify', otherLang(l))}
          />,
          status,
        )
      }
      if (f.decision === 'decline') {
        if (!recordDeclined(deps.db, scanId, deviceId)) return answer('unavailable')
        checkForDiversion(scanId)
        return answer('declined')
      }
      if (f.geo !== 'ok') return answer('unavailable')
      const coords = Coordinates.safeParse(f)
      if (!coords.success) return answer('invalid', null, 422)
      const outcome = recordLocation(
        deps.db,
        scanId,
        deviceId,
        { lat: coords.data.lat, lon: coords.data.lon, accuracyM: coords.data.accuracy, source: 'gps' },
        deps.resolvePlace,
        deps.distanceKm,
        deps.clock.now(),
      )
      if (outcome.kind === 'not-found') return answer('not-found', null, 404)
      checkForDiversion(scanId)
      const place = outcome.kind === 'located' && outcome.place ? outcome.place : null
      return answer('located', place && (l === 'en' ? place.en : place.zh))
    })
    .get('/verify', (c) => {
      const l = lang(c)
      device(c)
      return c.html(<VerifyPage lang={l} switchHref={switchHref(c, l)} />)
    })
    .post('/verify', async (c) => {
      const deviceId = device(c)
      const l = lang(c)
      const blocked = deviceLimited(c, deviceId, l)
      if (blocked) return blocked
      const body = await c.req.parseBody()
      const value = typeof body.code === 'string' ? body.code.slice(0, 100) : ''
      const parsed = parseToken(value)
      const t = MESSAGES[l]
      if (parsed.kind !== 'ok') {
        // A well-formed code goes on to its page, where the IP's limit judges its signature.
        const ipBlocked = ipLimited(c, l)
        if (ipBlocked) return ipBlocked
        countFailure(c, deviceId)
        const error = parsed.kind === 'bad-check' ? t.verifyBadCheck : t.verifyMalformed
        return c.html(<VerifyPage lang={l} switchHref={switchHref(c, l)} value={value} error={error} />, 422)
      }
      return c.redirect(`/c/${normalizeCodeInput(parsed.token)}`, 303)
    })
}
