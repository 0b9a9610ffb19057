import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.tsx'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { diversionCases, diversionSignals } from '../../src/channels/channel-schema.ts'
import { IP_DEFAULT_RADIUS_KM } from '../../src/channels/diversion-check.ts'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { buildDigitalLink } from '../../src/codes/gs1.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { type IpLocations, loadIpLocations } from '../../src/scans/ip-locations.ts'
import { scans } from '../../src/scans/scan-schema.ts'
import { erasePreciseLocations } from '../../src/scans/scan-store.ts'
import { insertDistributor, insertShippedBatch } from '../support/diversion-fixture.ts'
import { insertMember, memberClient } from '../support/member-session.ts'
import {
  buildTestApp,
  cookieFrom,
  insertBatch,
  insertBrand,
  insertProduct,
  postForm,
  request,
} from '../support/test-app.ts'

const GUANGZHOU = { lat: 23.13, lon: 113.26 }
/** Addresses of the test's IP database: Shanghai (no radius), Guangzhou (±20 km), Beijing over IPv6. */
const SHANGHAI_IP = '203.0.113.7'
const GUANGZHOU_IP = '198.51.100.7'
const BEIJING_IP = '2001:db8::7'
const ELSEWHERE_IP = '192.0.2.7'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-scan-ip-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
let ipLocations: Promise<IpLocations> | undefined
function testIpLocations() {
  if (!ipLocations) {
    const file = path.join(dir, 'ip.csv')
    fs.writeFileSync(
      file,
      [
        '198.51.100.0,198.51.100.255,23.13,113.26,20',
        '203.0.113.0,203.0.113.255,31.23,121.47',
        '2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,39.9,116.4',
      ].join('\n'),
    )
    ipLocations = loadIpLocations(file)
  }
  return ipLocations
}

/**
 * A brand with a distributor bound to Guangdong and a shipped batch, on the real region data, behind
 * one reverse proxy (TRUST_PROXY=1), so X-Forwarded-For names each phone's address.
 */
async function setup(opts: { configured?: boolean } = {}) {
  const t = buildTestApp()
  const app = createApp({
    ...t.deps,
    config: { ...t.deps.config, trustProxy: 'one-hop' },
    ipLocations: opts.configured === false ? undefined : await testIpLocations(),
  })
  const brand = await insertBrand(t, { slug: 'tea' })
  const distributor = insertDistributor(t, brand.brandId, { code: 'GD-001', regions: ['CN-GD'] })
  const shipped = insertShippedBatch(t, brand.brandId, distributor.id, { sku: 'TEA-1', quantity: 4 })
  const tokens = shipped.codes.map((c) => assembleToken(c.kid, c.serial, c.tag))
  return { t, app, brand, tokens }
}
type Setup = Awaited<ReturnType<typeof setup>>

/** A phone scanning from an address: GET the code's page, keep its device cookie and page token. */
async function scanFrom(s: Setup, ip: string, token: string, opts: { lang?: string; device?: string } = {}) {
  const p = token.startsWith('/') ? token : new URL(shortCodeUrl('http://localhost', token)).pathname
  const headers: Record<string, string> = { 'accept-language': opts.lang ?? 'en', 'x-forwarded-for': ip }
  if (opts.device) headers.cookie = `oc_dev=${opts.device}`
  const res = await request(s.app, p, { headers })
  const html = await res.text()
  expect(res.status).toBe(200)
  return {
    html,
    device: opts.device ?? cookieFrom(res, 'oc_dev')!,
    scanId: Number(/\/scans\/(\d+)\/location/.exec(html)![1]),
    csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1]!,
  }
}

function postLocation(s: Setup, scan: Awaited<ReturnType<typeof scanFrom>>, form: Record<string, string>) {
  return postForm(
    s.app,
    `/scans/${scan.scanId}/location?lang=en`,
    { _csrf: scan.csrf, ...form },
    { cookie: `oc_dev=${scan.device}`, 'hx-request': 'true' },
  )
}

const rowOf = (s: Setup, id: number) => s.t.db.select().from(scans).where(eq(scans.id, id)).get()!
const signalsOf = (s: Setup, scanId: number) =>
  s.t.db.select().from(diversionSignals).where(eq(diversionSignals.scanId, scanId)).all()
/** The diversion checks of an IP-located scan run after its page is answered. */
const afterResponse = () => new Promise((resolve) => setImmediate(resolve))

describe('locating a scan by its network address (IP_LOCATIONS_FILE)', () => {
  it('stores the IP location on the scan, low-confidence, with the coarse place, before the address is truncated', async () => {
    const s = await setup()
    const scan = await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    expect(rowOf(s, scan.scanId)).toMatchObject({
      ipPrefix: '203.0.113.0/24',
      lat: 31.23,
      lon: 121.47,
      accuracyM: IP_DEFAULT_RADIUS_KM * 1000,
      locationSource: 'ip',
      locatedAt: s.t.clock.now(),
      regionCode: 'CN-SH',
      placeEn: 'Shanghai, China',
      consent: null,
    })
    // A range's own radius is its accuracy.
    const second = await scanFrom(s, GUANGZHOU_IP, s.tokens[1]!)
    expect(rowOf(s, second.scanId)).toMatchObject({ accuracyM: 20_000, regionCode: 'CN-GD' })
  })

  it('locates IPv6 clients and GS1 Digital Link scans too', async () => {
    const s = await setup()
    const product = insertProduct(s.t, s.brand.brandId, { sku: 'TEA-GS1', gtin: '09506000134352' })
    const batch = insertBatch(s.t, s.brand.brandId, product.id, { quantity: 1, urlMode: 'gs1', lot: 'L7' })
    activateCodes(brandDb(s.t.db, s.brand.brandId), { staffId: null, label: 'test' }, batch.id, null, 0)
    const code = s.t.db.select().from(codes).where(eq(codes.batchId, batch.id)).get()!
    const link = new URL(
      buildDigitalLink({
        baseUrl: 'http://localhost',
        gtin: '09506000134352',
        lot: 'L7',
        token: assembleToken(code.kid, code.serial, code.tag),
      }),
    )
    const scan = await scanFrom(s, BEIJING_IP, `${link.pathname}${link.search}`)
    expect(rowOf(s, scan.scanId)).toMatchObject({ locationSource: 'ip', regionCode: 'CN-BJ', lat: 39.9 })
  })

  it('leaves a scan unlocated from an address the file does not hold, and when no file is configured', async () => {
    const s = await setup()
    const scan = await scanFrom(s, ELSEWHERE_IP, s.tokens[0]!)
    expect(rowOf(s, scan.scanId)).toMatchObject({ lat: null, locationSource: null, locatedAt: null })
    const unset = await setup({ configured: false })
    const other = await scanFrom(unset, SHANGHAI_IP, unset.tokens[0]!)
    expect(rowOf(unset, other.scanId)).toMatchObject({ lat: null, locationSource: null, regionCode: null })
    await afterResponse()
    expect(signalsOf(unset, other.scanId)).toEqual([])
  })

  it('replaces the IP location with the GPS fix the consumer then shares, once', async () => {
    const s = await setup()
    const scan = await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    const res = await postLocation(s, scan, {
      geo: 'ok',
      lat: String(GUANGZHOU.lat),
      lon: String(GUANGZHOU.lon),
      accuracy: '20',
    })
    expect(await res.text()).toContain('Location recorded: Guangdong, China')
    expect(rowOf(s, scan.scanId)).toMatchObject({
      ...GUANGZHOU,
      accuracyM: 20,
      locationSource: 'gps',
      regionCode: 'CN-GD',
      consent: 'granted',
    })
    // A GPS location is not replaced by a later post.
    await postLocation(s, scan, { geo: 'ok', lat: '31.23', lon: '121.47', accuracy: '20' })
    expect(rowOf(s, scan.scanId)).toMatchObject({ ...GUANGZHOU, locationSource: 'gps' })
  })

  it('keeps the IP location when the consumer declines to share theirs', async () => {
    const s = await setup()
    const scan = await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    const res = await postLocation(s, scan, { decision: 'decline' })
    expect(await res.text()).toContain('no location recorded')
    expect(rowOf(s, scan.scanId)).toMatchObject({
      consent: 'declined',
      lat: 31.23,
      lon: 121.47,
      locationSource: 'ip',
      regionCode: 'CN-SH',
    })
  })

  it('tells a second phone that the first verification place is approximate, in both languages', async () => {
    const s = await setup()
    await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    const en = await scanFrom(s, ELSEWHERE_IP, s.tokens[0]!)
    expect(en.html).toContain('in Shanghai, China (approximate, from the network)')
    const zh = await scanFrom(s, ELSEWHERE_IP, s.tokens[0]!, { lang: 'zh-CN' })
    expect(zh.html).toContain('上海市（按网络位置，约）')
    // Once the first phone shares its GPS fix, the place is no longer approximate.
    const first = await scanFrom(s, SHANGHAI_IP, s.tokens[1]!)
    await postLocation(s, first, { geo: 'ok', lat: '23.13', lon: '113.26', accuracy: '20' })
    const later = await scanFrom(s, ELSEWHERE_IP, s.tokens[1]!)
    expect(later.html).toMatch(/in Guangdong, China\. If that was not you/)
    expect(later.html).not.toContain('approximate')
  })

  it('erases IP coordinates after the retention period like GPS ones, keeping the region', async () => {
    const s = await setup()
    const scan = await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    const retention = 90 * 24 * 3_600_000
    expect(erasePreciseLocations(s.t.db, s.t.clock.now() + retention - 1, retention)).toBe(0)
    expect(erasePreciseLocations(s.t.db, s.t.clock.now() + retention + 1, retention)).toBe(1)
    expect(rowOf(s, scan.scanId)).toMatchObject({
      lat: null,
      lon: null,
      accuracyM: null,
      locationSource: 'ip',
      regionCode: 'CN-SH',
    })
  })
})

describe('the diversion checks of an IP-located scan', () => {
  it('file a low-confidence off-region signal after the page is answered', async () => {
    const s = await setup()
    const scan = await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    await afterResponse()
    const [signal, ...more] = signalsOf(s, scan.scanId)
    expect(more).toEqual([])
    expect(signal).toMatchObject({ kind: 'off-region', regionCode: 'CN-SH' })
    expect(signal!.confidence).toBeGreaterThan(0.2)
    expect(signal!.confidence).toBeLessThan(0.3)
    expect(signal!.reasons).toMatchObject({ source: 'ip', accuracyM: 50_000 })
    expect(String(signal!.reasons.text)).toContain('Location by IP address ±50 km')
    // Inside the region: nothing.
    const inside = await scanFrom(s, GUANGZHOU_IP, s.tokens[1]!)
    await afterResponse()
    expect(signalsOf(s, inside.scanId)).toEqual([])
  })

  it('give way to the GPS fix shared afterwards: its finding replaces the IP-based one', async () => {
    const s = await setup()
    const moved = await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    await afterResponse()
    expect(signalsOf(s, moved.scanId).map((g) => g.confidence)).toEqual([expect.any(Number)])
    // Shared from Shanghai: the same finding, now with GPS confidence.
    await postLocation(s, moved, { geo: 'ok', lat: '31.23', lon: '121.47', accuracy: '20' })
    const [gps, ...rest] = signalsOf(s, moved.scanId)
    expect(rest).toEqual([])
    expect(gps).toMatchObject({ kind: 'off-region', confidence: 0.95 })
    // Shared from Guangzhou: the IP-based finding is withdrawn.
    const home = await scanFrom(s, SHANGHAI_IP, s.tokens[1]!)
    await afterResponse()
    expect(signalsOf(s, home.scanId)).toHaveLength(1)
    await postLocation(s, home, { geo: 'ok', lat: '23.13', lon: '113.26', accuracy: '20' })
    expect(signalsOf(s, home.scanId)).toEqual([])
  })

  it('keep the case the IP-based finding opened when the GPS fix files the same finding', async () => {
    const s = await setup()
    const scan = await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    await afterResponse()
    const [ip] = signalsOf(s, scan.scanId)
    await postLocation(s, scan, { geo: 'ok', lat: '31.23', lon: '121.47', accuracy: '20' })
    const [gps] = signalsOf(s, scan.scanId)
    expect(gps).toMatchObject({ confidence: 0.95, caseId: ip!.caseId })
    const kase = s.t.db.select().from(diversionCases).where(eq(diversionCases.id, ip!.caseId)).get()
    expect(kase).toMatchObject({ status: 'open', signalCount: 1, maxConfidence: 0.95 })
  })

  it('leave a decided case its evidence: a GPS fix after the decision withdraws nothing from it', async () => {
    const s = await setup()
    const scan = await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    await afterResponse()
    const [ip] = signalsOf(s, scan.scanId)
    s.t.db.update(diversionCases).set({ status: 'dismissed' }).where(eq(diversionCases.id, ip!.caseId)).run()
    await postLocation(s, scan, { geo: 'ok', lat: '23.13', lon: '113.26', accuracy: '20' })
    expect(signalsOf(s, scan.scanId)).toEqual([ip])
    const kase = s.t.db.select().from(diversionCases).where(eq(diversionCases.id, ip!.caseId)).get()
    expect(kase).toMatchObject({ status: 'dismissed', signalCount: 1 })
  })

  it('never let an IP location make a GPS scan minutes later "impossible travel"', async () => {
    const s = await setup()
    await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    s.t.clock.advance(10 * 60_000)
    const gps = await scanFrom(s, ELSEWHERE_IP, s.tokens[0]!)
    await postLocation(s, gps, { geo: 'ok', lat: '23.13', lon: '113.26', accuracy: '20' })
    expect(rowOf(s, gps.scanId).flag).toBeNull()
    const third = await scanFrom(s, ELSEWHERE_IP, s.tokens[0]!)
    expect(third.html).not.toContain('Suspected copy')
  })

  it("calls a member's own IP-located scan approximate in their history, in both languages", async () => {
    const s = await setup()
    const member = insertMember(s.t, s.brand.brandId)
    const located = await scanFrom(s, SHANGHAI_IP, s.tokens[0]!)
    const fixed = await scanFrom(s, GUANGZHOU_IP, s.tokens[1]!)
    expect(
      (await postLocation(s, fixed, { geo: 'ok', lat: '23.13', lon: '113.26', accuracy: '20' })).status,
    ).toBe(200)
    for (const scan of [located, fixed])
      s.t.db.update(scans).set({ memberId: member.id }).where(eq(scans.id, scan.scanId)).run()
    const me = await memberClient(s.t, s.brand.brandId, member.id)
    const en = await (await me.get('/me/tea?lang=en')).text()
    expect(en).toMatch(/Shanghai[^<]*\(approximate, from the network\)/)
    expect(en).not.toMatch(/Guangzhou[^<]*\(approximate/)
    const zh = await (await me.get('/me/tea?lang=zh-CN')).text()
    expect(zh).toContain('（按网络位置，约）')
  })
})
