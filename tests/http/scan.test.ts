import { eq, isNotNull } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.tsx'
import type { Places } from '../../src/app-deps.ts'
import { codes } from '../../src/batches/batch-schema.ts'
import { createBatch, mintChunk } from '../../src/batches/batch-store.ts'
import { activateCodes, voidRange } from '../../src/batches/code-actions-store.ts'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { buildDigitalLink } from '../../src/codes/gs1.ts'
import { Keyring } from '../../src/codes/keyring.ts'
import { assembleToken, formatHuman } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import type { TrustProxy } from '../../src/request-ip.ts'
import { greatCircleKm } from '../../src/scans/places.ts'
import {
  FAILED_CHECKS_WINDOW_MS,
  MAX_FAILED_CHECKS_PER_DEVICE,
  MAX_FAILED_CHECKS_PER_IP,
} from '../../src/scans/scan-routes.tsx'
import { scans } from '../../src/scans/scan-schema.ts'
import { erasePreciseLocations } from '../../src/scans/scan-store.ts'
import { MAX_DEVICES_PER_CODE, REPEAT_WINDOW_MS } from '../../src/scans/verdict.ts'
import { createBrand } from '../../src/staff/brand-setup.ts'
import { capturingLogger } from '../support/log-capture.ts'
import { insertMember } from '../support/member-session.ts'
import { scanPhone } from '../support/scan-phone.ts'
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
const SHANGHAI = { lat: 31.23, lon: 121.47 }

/** A tiny stand-in for the region data: two boxes are enough to name a place. */
const testPlaces: Places = {
  resolvePlace: (_lon, lat) =>
    lat < 26
      ? { code: 'CN-GD', zh: '广东 广州', en: 'Guangzhou, Guangdong' }
      : { code: 'CN-SH', zh: '上海', en: 'Shanghai' },
  distanceKm: greatCircleKm,
}

async function setup(opts: { activate?: boolean; gtin?: string; trustProxy?: TrustProxy } = {}) {
  const t = buildTestApp()
  const { logger, lines: logs } = capturingLogger('warn')
  const config = { ...t.deps.config, trustProxy: opts.trustProxy ?? 'none' }
  const app = createApp({ ...t.deps, config, places: testPlaces, logger })
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1', name: 'Oolong 500 ml', gtin: opts.gtin })
  const batch = insertBatch(t, brand.brandId, product.id, {
    quantity: 10,
    lot: 'L7',
    urlMode: opts.gtin ? 'gs1' : 'short',
  })
  if (opts.activate !== false)
    activateCodes(
      brandDb(t.db, brand.brandId),
      { staffId: null, label: 'test' },
      batch.id,
      null,
      t.clock.now(),
    )
  const rows = t.db.select().from(codes).where(eq(codes.batchId, batch.id)).orderBy(codes.seq).all()
  const tokens = rows.map((r) => assembleToken(r.kid, r.serial, r.tag))
  return { t, app, brand, batch, tokens, logs }
}

function pathOf(token: string) {
  return new URL(shortCodeUrl('http://localhost', token)).pathname
}

async function scanAs(
  app: ReturnType<typeof createApp>,
  path: string,
  device?: string,
  lang = 'en',
  ip?: string,
  extra: { method?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { 'accept-language': lang, ...extra.headers }
  if (device) headers.cookie = `oc_dev=${device}`
  // The node adapter's connection info, as @hono/node-server passes it in production.
  const env = ip
    ? { incoming: { socket: { remoteAddress: ip, remoteFamily: 'IPv4', remotePort: 1 } } }
    : undefined
  const init = { method: extra.method ?? 'GET', headers }
  const res = env ? await app.request(`http://localhost${path}`, init, env) : await request(app, path, init)
  const html = await res.text()
  return {
    res,
    html,
    device: device ?? cookieFrom(res, 'oc_dev')!,
    scanId: Number(/\/scans\/(\d+)\/location/.exec(html)?.[1]),
  }
}

function csrfOf(html: string) {
  return /name="_csrf" value="([^"]+)"/.exec(html)![1]!
}

/** Where a page's language link goes. */
function switchHrefOf(html: string) {
  return /<p style="text-align:right"><a href="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&')
}

/** A device cookie of its own for each of many guessers. */
const deviceNo = (i: number) => `device${String(i).padStart(15, '0')}`

const GTIN = '09506000134352'
const OTHER_GTIN = '09506000134376'

function digitalLinkOf(token: string) {
  const link = new URL(buildDigitalLink({ baseUrl: 'http://localhost', gtin: GTIN, lot: 'L7', token }))
  return `${link.pathname}${link.search}`
}

async function postLocation(
  app: ReturnType<typeof createApp>,
  scan: { html: string; scanId: number; device: string },
  at: { lat: number; lon: number },
) {
  return postForm(
    app,
    `/scans/${scan.scanId}/location?lang=en`,
    { _csrf: csrfOf(scan.html), geo: 'ok', lat: String(at.lat), lon: String(at.lon), accuracy: '20' },
    { cookie: `oc_dev=${scan.device}`, 'hx-request': 'true' },
  )
}

describe('scanning a printed code', () => {
  it('shows a genuine first scan with the product, lot and brand, and records the scan', async () => {
    const { t, app, tokens } = await setup()
    const scan = await scanAs(app, pathOf(tokens[0]!))
    expect(scan.res.status).toBe(200)
    expect(scan.html).toContain('Genuine · first check')
    expect(scan.html).toContain('Oolong 500 ml')
    expect(scan.html).toContain('L7')
    expect(scan.html).toContain('Brand tea')
    const row = t.db.select().from(scans).where(eq(scans.id, scan.scanId)).get()!
    expect(row).toMatchObject({ verdict: 'genuine-first', counted: true, deviceId: scan.device })
  })

  it('accepts the code in lower case and answers in Chinese by default', async () => {
    const { app, tokens } = await setup()
    const scan = await scanAs(app, pathOf(tokens[0]!).toLowerCase(), undefined, 'zh-CN,zh;q=0.9')
    expect(scan.res.status).toBe(200)
    expect(scan.html).toContain('正品 · 首次查询')
    expect(scan.html).toContain('lang="zh-CN"')
  })

  it('counts repeat scans by one phone within the window once, and tells a second phone when and where it was first verified', async () => {
    const { t, app, tokens } = await setup()
    const first = await scanAs(app, pathOf(tokens[0]!))
    expect((await postLocation(app, first, GUANGZHOU)).status).toBe(200)
    t.clock.advance(REPEAT_WINDOW_MS - 60_000)
    const again = await scanAs(app, pathOf(tokens[0]!), first.device)
    expect(again.html).toContain('Genuine · first check')
    const other = await scanAs(app, pathOf(tokens[0]!))
    expect(other.html).toContain('Genuine · checked before')
    expect(other.html).toContain('first verified on 2026-11-01 in Guangzhou, Guangdong')
    expect(t.db.select().from(scans).where(eq(scans.id, again.scanId)).get()!.counted).toBe(false)
  })

  it('says "not yet activated" for a genuine code that has not left the warehouse', async () => {
    const { app, tokens } = await setup({ activate: false })
    const scan = await scanAs(app, pathOf(tokens[0]!))
    expect(scan.res.status).toBe(200)
    expect(scan.html).toContain('not activated yet')
  })

  it('says a voided code is voided, with a human reason', async () => {
    const { t, app, tokens, brand, batch } = await setup()
    voidRange(
      brandDb(t.db, brand.brandId),
      { staffId: null, label: 'test' },
      batch.id,
      { from: 1, to: 1 },
      { reason: 'stolen', note: null },
      t.clock.now(),
    )
    const scan = await scanAs(app, pathOf(tokens[0]!))
    expect(scan.html).toContain('This code has been voided')
    expect(scan.html).toContain('reason: stolen')
  })

  it('answers a forged tag, a typo and an unknown key with 404 "not a genuine code", keeping only a hash', async () => {
    const { t, app, tokens } = await setup()
    const good = tokens[0]!
    const forgedTag = assembleToken(good.slice(0, 2), good.slice(2, 18), 'ABCDEFGHJKMN')
    const typo = `${good.slice(0, 5)}${good[5] === 'A' ? 'B' : 'A'}${good.slice(6)}`
    const unknownKey = assembleToken('ZZ', good.slice(2, 18), good.slice(18, 30))
    for (const token of [forgedTag, typo, unknownKey, 'hello']) {
      const scan = await scanAs(app, `/c/${token}`)
      expect(scan.res.status).toBe(404)
      expect(scan.html).toContain('Not a genuine code')
    }
    const forged = t.db.select().from(scans).where(eq(scans.verdict, 'not-genuine')).all()
    expect(forged).toHaveLength(4)
    expect(forged.every((r) => r.codeId === null && r.tokenHash !== null)).toBe(true)
  })

  it('opens GS1 Digital Link codes and rejects them under another GTIN', async () => {
    const gtin = '09506000134352'
    const { app, tokens } = await setup({ gtin })
    const link = new URL(
      buildDigitalLink({ baseUrl: 'http://localhost', gtin, lot: 'L7', token: tokens[0]! }),
    )
    const ok = await scanAs(app, `${link.pathname}${link.search}`)
    expect(ok.res.status).toBe(200)
    expect(ok.html).toContain('Genuine')
    const otherGtin = `${link.pathname.replace(gtin, '09506000134369')}${link.search}`
    expect((await scanAs(app, otherGtin)).res.status).toBe(404)
  })

  it('switches the language of a GS1 Digital Link page without losing the tag in its query', async () => {
    const { app, tokens } = await setup({ gtin: GTIN })
    const link = digitalLinkOf(tokens[0]!)
    const page = await scanAs(app, `${link}&lang=en`)
    expect(page.res.status).toBe(200)
    expect(switchHrefOf(page.html)).toBe(`${link}&lang=zh-CN`)
    const switched = await scanAs(app, switchHrefOf(page.html), page.device)
    expect(switched.res.status).toBe(200)
    expect(switched.html).toContain('正品')
    expect(switchHrefOf(switched.html)).toBe(`${link}&lang=en`)
  })

  it('records a GS1 link under another GTIN or lot only as not genuine, never as a scan of the real code', async () => {
    const { t, app, tokens } = await setup({ gtin: GTIN })
    const link = digitalLinkOf(tokens[0]!)
    for (const wrong of [link.replace(GTIN, OTHER_GTIN), link.replace('/10/L7/', '/10/WRONG/')]) {
      const scan = await scanAs(app, wrong)
      expect(scan.res.status).toBe(404)
      expect(scan.html).toContain('Not a genuine code')
    }
    expect(t.db.select().from(scans).where(isNotNull(scans.codeId)).all()).toHaveLength(0)
    expect(t.db.select().from(scans).where(eq(scans.verdict, 'not-genuine')).all()).toHaveLength(2)
    const withoutLot = await scanAs(app, link.replace('/10/L7', ''))
    expect(withoutLot.res.status).toBe(200)
    expect(withoutLot.html).toContain('Genuine · first check')
  })

  it('tells the member who claimed a code, scanning it again signed in, that the points are theirs', async () => {
    const { t, app, brand, tokens } = await setup()
    const phone = scanPhone({ app, masterKey: t.masterKey, clock: t.clock })
    await phone.signInAs(brand.brandId, insertMember(t, brand.brandId).id)
    await phone.scan(tokens[0]!)
    expect((await phone.claim()).res.status).toBe(200)
    const again = await phone.scan(tokens[0]!)
    expect(again.html).toContain('You have already claimed the points of this item.')
    expect(again.html).not.toContain('have already been claimed')
    const stranger = await scanAs(app, pathOf(tokens[0]!))
    expect(stranger.html).toContain('The points of this code have already been claimed.')
  })

  it('suspects a copied label when too many different phones scan one code', async () => {
    const { app, tokens } = await setup()
    let last = ''
    for (let i = 0; i <= MAX_DEVICES_PER_CODE; i++) last = (await scanAs(app, pathOf(tokens[1]!))).html
    expect(last).toContain('Suspected copy')
    expect(last).toContain('Too many different phones')
  })

  it('suspects a copied label after two scans 1,200 km apart within an hour', async () => {
    const { t, app, tokens } = await setup()
    const a = await scanAs(app, pathOf(tokens[2]!))
    await postLocation(app, a, GUANGZHOU)
    t.clock.advance(20 * 60_000)
    const b = await scanAs(app, pathOf(tokens[2]!))
    await postLocation(app, b, SHANGHAI)
    expect(t.db.select().from(scans).where(eq(scans.id, b.scanId)).get()!.flag).toBe('impossible-travel')
    const c = await scanAs(app, pathOf(tokens[2]!))
    expect(c.html).toContain('two distant places')
  })
})

describe('location consent', () => {
  it('stores WGS-84 coordinates, accuracy and the coarse place only after the consumer shares them', async () => {
    const { t, app, tokens } = await setup()
    const scan = await scanAs(app, pathOf(tokens[0]!))
    expect(t.db.select().from(scans).where(eq(scans.id, scan.scanId)).get()!.lat).toBeNull()
    const res = await postLocation(app, scan, GUANGZHOU)
    expect(res.headers.get('vary')).toContain('HX-Request')
    expect(await res.text()).toContain('Location recorded: Guangzhou, Guangdong')
    const row = t.db.select().from(scans).where(eq(scans.id, scan.scanId)).get()!
    expect(row).toMatchObject({
      lat: 23.13,
      lon: 113.26,
      accuracyM: 20,
      locationSource: 'gps',
      regionCode: 'CN-GD',
      consent: 'granted',
    })
  })

  it('records a decline and never blocks the page', async () => {
    const { t, app, tokens } = await setup()
    const scan = await scanAs(app, pathOf(tokens[0]!))
    const res = await postForm(
      app,
      `/scans/${scan.scanId}/location?lang=en`,
      { _csrf: csrfOf(scan.html), decision: 'decline' },
      { cookie: `oc_dev=${scan.device}` },
    )
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('no location recorded')
    expect(t.db.select().from(scans).where(eq(scans.id, scan.scanId)).get()!.consent).toBe('declined')
  })

  it('withdraws the precise coordinates when the consumer declines after sharing, keeping the coarse region', async () => {
    const { t, app, tokens } = await setup()
    const scan = await scanAs(app, pathOf(tokens[0]!))
    await postLocation(app, scan, GUANGZHOU)
    const res = await postForm(
      app,
      `/scans/${scan.scanId}/location?lang=en`,
      { _csrf: csrfOf(scan.html), decision: 'decline' },
      { cookie: `oc_dev=${scan.device}`, 'hx-request': 'true' },
    )
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('no location recorded')
    expect(t.db.select().from(scans).where(eq(scans.id, scan.scanId)).get()).toMatchObject({
      lat: null,
      lon: null,
      accuracyM: null,
      regionCode: 'CN-GD',
      placeEn: 'Guangzhou, Guangdong',
      consent: 'declined',
    })
  })

  it('refuses empty coordinates with a message in the page language instead of storing 0, 0', async () => {
    const { t, app, tokens } = await setup()
    const scan = await scanAs(app, pathOf(tokens[0]!))
    const post = (lang: string, fix: Record<string, string>) =>
      postForm(
        app,
        `/scans/${scan.scanId}/location?lang=${lang}`,
        { _csrf: csrfOf(scan.html), geo: 'ok', ...fix },
        { cookie: `oc_dev=${scan.device}`, 'hx-request': 'true' },
      )
    const en = await post('en', { lat: '', lon: '', accuracy: '' })
    expect(en.status).toBe(422)
    expect(await en.text()).toContain('nothing was recorded')
    const zh = await post('zh-CN', { lat: ' ', lon: '113.26', accuracy: '20' })
    expect(zh.status).toBe(422)
    expect(await zh.text()).toContain('未作记录')
    expect((await post('en', { lat: '23.13', lon: '113.26' })).status).toBe(422)
    expect(t.db.select().from(scans).where(eq(scans.id, scan.scanId)).get()).toMatchObject({
      lat: null,
      lon: null,
      accuracyM: null,
      consent: null,
    })
  })

  it('without JavaScript, answers the location step with the way back to the scan page, recording no second scan', async () => {
    const { t, app, tokens } = await setup({ gtin: GTIN })
    const link = digitalLinkOf(tokens[0]!)
    const scan = await scanAs(app, `${link}&lang=en`)
    const back = /name="back" value="([^"]+)"/.exec(scan.html)![1]!.replaceAll('&amp;', '&')
    expect(back).toBe(link)
    const decline = (form: Record<string, string>) =>
      postForm(
        app,
        `/scans/${scan.scanId}/location?lang=en`,
        { _csrf: csrfOf(scan.html), decision: 'decline', ...form },
        { cookie: `oc_dev=${scan.device}` },
      )
    const res = await decline({ back })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('no location recorded')
    expect(/<a href="([^"]+)" data-back="1">/.exec(html)![1]!.replaceAll('&amp;', '&')).toBe(
      `${link}&lang=en`,
    )
    expect(html).toContain('Back to the product')
    expect(switchHrefOf(html)).toBe(`${link}&lang=zh-CN`)
    expect(t.db.select().from(scans).all()).toHaveLength(1)
    for (const bad of [
      '//evil.example/c/X',
      'https://evil.example/c/X',
      '/\\evil.example/c/X',
      '/admin',
      '/c/../admin',
      '/c/%2E%2E/admin',
      '/c//evil.example',
      '/c/X" onmouseover="alert(1)',
    ]) {
      const refused = await (await decline({ back: bad })).text()
      expect(refused, bad).not.toContain('data-back')
      expect(refused, bad).not.toContain('evil.example')
      expect(switchHrefOf(refused), bad).toBe('/verify?lang=zh-CN')
    }
  })

  it('refuses a location post from another phone or without the page token', async () => {
    const { app, tokens } = await setup()
    const scan = await scanAs(app, pathOf(tokens[0]!))
    const stranger = await scanAs(app, pathOf(tokens[1]!))
    const fromStranger = await postForm(
      app,
      `/scans/${scan.scanId}/location`,
      { _csrf: csrfOf(stranger.html), geo: 'ok', lat: '1', lon: '1', accuracy: '5' },
      { cookie: `oc_dev=${stranger.device}` },
    )
    expect(fromStranger.status).toBe(404)
    expect(await fromStranger.text()).toContain('找不到这次扫码')
    const noToken = await postForm(
      app,
      `/scans/${scan.scanId}/location`,
      { geo: 'ok', lat: '1', lon: '1', accuracy: '5' },
      { cookie: `oc_dev=${scan.device}` },
    )
    expect(noToken.status).toBe(403)
    const outOfRange = await postForm(
      app,
      `/scans/${scan.scanId}/location`,
      { _csrf: csrfOf(scan.html), geo: 'ok', lat: '123', lon: '1', accuracy: '5' },
      { cookie: `oc_dev=${scan.device}` },
    )
    expect(outOfRange.status).toBe(422)
  })

  it('erases precise coordinates after the retention period but keeps the region, and is safe to run twice', async () => {
    const { t, app, tokens } = await setup()
    const scan = await scanAs(app, pathOf(tokens[0]!))
    await postLocation(app, scan, GUANGZHOU)
    const retention = 90 * 24 * 3_600_000
    expect(erasePreciseLocations(t.db, t.clock.now() + retention - 1, retention)).toBe(0)
    expect(erasePreciseLocations(t.db, t.clock.now() + retention + 1, retention)).toBe(1)
    expect(erasePreciseLocations(t.db, t.clock.now() + retention + 1, retention)).toBe(0)
    expect(t.db.select().from(scans).where(eq(scans.id, scan.scanId)).get()).toMatchObject({
      lat: null,
      lon: null,
      accuracyM: null,
      regionCode: 'CN-GD',
    })
  })
})

describe('guessing codes', () => {
  it('answers 429 with Retry-After after too many bad codes from one phone, even for a genuine code, until the window passes', async () => {
    const { t, app, tokens } = await setup()
    const device = (await scanAs(app, pathOf(tokens[0]!))).device
    for (let i = 0; i < MAX_FAILED_CHECKS_PER_DEVICE; i++)
      expect((await scanAs(app, `/c/NOTACODE${i}`, device)).res.status).toBe(404)
    const blocked = await scanAs(app, pathOf(tokens[0]!), device)
    expect(blocked.res.status).toBe(429)
    expect(Number(blocked.res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(blocked.html).toContain('Too many attempts')
    t.clock.advance(FAILED_CHECKS_WINDOW_MS)
    expect((await scanAs(app, pathOf(tokens[0]!), device)).res.status).toBe(200)
  })

  it('lets a genuine code through from an IP that others filled with bad guesses, and still refuses the guesses', async () => {
    const { app, tokens } = await setup()
    const ip = '203.0.113.9'
    for (let i = 0; i < MAX_FAILED_CHECKS_PER_IP; i++)
      expect((await scanAs(app, `/c/FORGED${i}`, deviceNo(i), 'en', ip)).res.status).toBe(404)
    const genuine = await scanAs(app, pathOf(tokens[0]!), undefined, 'en', ip)
    expect(genuine.res.status).toBe(200)
    expect(genuine.html).toContain('Genuine · first check')
    const guess = await scanAs(app, '/c/FORGEDAGAIN', undefined, 'en', ip)
    expect(guess.res.status).toBe(429)
    expect(guess.html).toContain('Too many attempts')
    const forgedTag = assembleToken(tokens[1]!.slice(0, 2), tokens[1]!.slice(2, 18), 'ABCDEFGHJKMN')
    expect((await scanAs(app, `/c/${forgedTag}`, undefined, 'en', ip)).res.status).toBe(429)
    expect((await scanAs(app, '/c/FORGEDELSEWHERE', undefined, 'en', '198.51.100.7')).res.status).toBe(404)
  })

  it('behind a trusted proxy tells clients apart by X-Forwarded-For, and by the socket alone without the setting', async () => {
    for (const [trustProxy, apart] of [
      ['one-hop', true],
      ['none', false],
    ] as const) {
      const { t, app, tokens } = await setup({ trustProxy })
      const via = (client: string) => ({ headers: { 'x-forwarded-for': `198.51.100.1, ${client}` } })
      for (let i = 0; i < MAX_FAILED_CHECKS_PER_IP; i++)
        await scanAs(app, `/c/FORGED${i}`, deviceNo(i), 'en', '127.0.0.1', via('203.0.113.9'))
      const same = await scanAs(app, '/c/FORGEDAGAIN', undefined, 'en', '127.0.0.1', via('203.0.113.9'))
      expect(same.res.status).toBe(429)
      const other = await scanAs(app, '/c/FORGEDAGAIN', undefined, 'en', '127.0.0.1', via('203.0.113.10'))
      expect(other.res.status, trustProxy).toBe(apart ? 404 : 429)
      const genuine = await scanAs(app, pathOf(tokens[0]!), undefined, 'en', '127.0.0.1', via('203.0.113.10'))
      const row = t.db.select().from(scans).where(eq(scans.id, genuine.scanId)).get()!
      expect(row.ipPrefix).toBe(apart ? '203.0.113.0/24' : '127.0.0.0/24')
    }
  })

  it('answers HEAD as GET would, recording no scan, yet a bad guess counts', async () => {
    const { t, app, tokens } = await setup()
    const head = { method: 'HEAD' }
    for (let i = 0; i < 5; i++) {
      const preview = await scanAs(app, pathOf(tokens[0]!), deviceNo(i), 'en', undefined, head)
      expect(preview.res.status).toBe(200)
    }
    // Link previews recorded nothing: the buyer's scan is the first.
    const buyer = await scanAs(app, pathOf(tokens[0]!), deviceNo(50))
    expect(buyer.res.status).toBe(200)
    expect(buyer.html).toContain('Genuine · first check')
    expect(t.db.select().from(scans).all()).toHaveLength(1)
    // Guessing by HEAD is guessing: it fills the limit like GET, and nothing is recorded.
    const guesser = deviceNo(99)
    for (let i = 0; i < MAX_FAILED_CHECKS_PER_DEVICE; i++)
      expect((await scanAs(app, `/c/NOTACODE${i}`, guesser, 'en', undefined, head)).res.status).toBe(404)
    expect(t.db.select().from(scans).all()).toHaveLength(1)
    const over = await scanAs(app, '/c/NOTACODE', guesser, 'en', undefined, head)
    expect(over.res.status).toBe(429)
    expect(over.res.headers.get('retry-after')).not.toBeNull()
    expect((await scanAs(app, '/c/NOTACODE', guesser)).res.status).toBe(429)
  })

  it('answers HEAD of a GS1 link under another GTIN or lot, or of a signed code never made, with the 404 GET gives, recording nothing yet counting the guess', async () => {
    const { t, app, brand, tokens } = await setup({ gtin: GTIN })
    const statusOf = async (path: string, device: string, method = 'HEAD') =>
      (await scanAs(app, path, device, 'en', undefined, { method })).res.status
    const link = digitalLinkOf(tokens[0]!)
    const neverMade = t.keyring.mint(brand.brandId)
    const wrong = [
      link.replace(GTIN, OTHER_GTIN),
      link.replace('/10/L7/', '/10/WRONG/'),
      digitalLinkOf(neverMade),
      pathOf(neverMade),
    ]
    for (const path of wrong) expect(await statusOf(path, deviceNo(1)), path).toBe(404)
    for (const path of [link, link.replace('/10/L7', ''), pathOf(tokens[0]!)])
      expect(await statusOf(path, deviceNo(2)), path).toBe(200)
    expect(t.db.select().from(scans).all()).toHaveLength(0)
    for (const path of wrong) expect(await statusOf(path, deviceNo(3), 'GET'), path).toBe(404)

    const guesser = deviceNo(99)
    for (let i = 0; i < MAX_FAILED_CHECKS_PER_DEVICE; i++)
      expect(await statusOf(wrong[i % wrong.length]!, guesser)).toBe(404)
    expect(await statusOf(link, guesser)).toBe(429)
    expect(t.db.select().from(scans).where(eq(scans.deviceId, guesser)).all()).toHaveLength(0)
  })

  it('says how many seconds to wait when the wait is under a minute', async () => {
    const { t, app, tokens } = await setup()
    const device = deviceNo(1)
    for (let i = 0; i < MAX_FAILED_CHECKS_PER_DEVICE; i++) await scanAs(app, `/c/NOTACODE${i}`, device)
    t.clock.advance(FAILED_CHECKS_WINDOW_MS - 30_000)
    const blocked = await scanAs(app, pathOf(tokens[0]!), device)
    expect(blocked.res.headers.get('retry-after')).toBe('30')
    expect(blocked.html).toContain('Please try again in 30 seconds.')
  })

  it('logs an enumeration alert when invalid scans spike', async () => {
    const { app, logs } = await setup()
    for (let i = 0; i < 205; i++)
      await scanAs(app, `/c/SPIKE${i}`, `device${String(i).padStart(15, '0')}`, 'en', `198.51.${i % 250}.7`)
    expect(logs.some((l) => l.includes('enumeration alert'))).toBe(true)
  })
})

describe('checking a code by hand at /verify', () => {
  it('catches a swapped pair of characters with a friendly message before anything else', async () => {
    const { app, tokens } = await setup()
    const good = tokens[0]!
    const i = [...good].findIndex((ch, k) => k < 29 && ch !== good[k + 1])
    const swapped = `${good.slice(0, i)}${good[i + 1]}${good[i]}${good.slice(i + 2)}`
    const res = await postForm(app, '/verify?lang=en', { code: swapped })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('two neighbours are swapped')
  })

  it('sends a correct code, typed with dashes in lower case, to its landing page', async () => {
    const { app, tokens } = await setup()
    const typed = tokens[0]!.toLowerCase().replace(/(.{4})/g, '$1-')
    const res = await postForm(app, '/verify', { code: typed })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/c/${tokens[0]}`)
  })

  it('reads a code typed in full-width characters with Chinese dashes, as an input method types it', async () => {
    const { app, tokens } = await setup()
    const wide = [...formatHuman(tokens[0]!)]
      .map((ch, i) =>
        ch === '-' ? ['－', '—', '−', '‐'][i % 4] : String.fromCharCode(ch.charCodeAt(0) + 0xfee0),
      )
      .join('')
    const res = await postForm(app, '/verify', { code: `　${wide}　` })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`/c/${tokens[0]}`)
  })

  it('explains the format when the input is not a code at all', async () => {
    const { app } = await setup()
    const res = await postForm(app, '/verify?lang=en', { code: 'hello' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('A code has 31 letters and digits')
  })
})

describe('codes signed with a key made while the server runs', () => {
  it('verifies a code of a brand created by the CLI after start, after one look at the keys', async () => {
    const { t, app } = await setup()
    // Another process (the CLI) creates a brand and its key in the same database.
    const otherKeyring = new Keyring()
    const other = createBrand(
      t.db,
      t.masterKey,
      { slug: 'late', name: 'Late Brand', ownerEmail: 'o@late.test', ownerName: 'O', passwordHash: 'x' },
      t.clock.now(),
    )
    if (other.kind !== 'created') throw new Error(other.kind)
    otherKeyring.add(other.key)
    const product = insertProduct(t, other.brandId, { sku: 'LATE-1' })
    const created = createBatch(
      brandDb(t.db, other.brandId),
      otherKeyring,
      { staffId: null, label: 'cli' },
      { productId: product.id, quantity: 1, lot: null, producedOn: null, expiresOn: null, urlMode: 'short' },
      t.clock.now(),
    )
    if (created.kind !== 'created') throw new Error(created.kind)
    while (!mintChunk(t.db, otherKeyring, created.batch.id, t.clock.now()).done) {}
    const row = t.db.select().from(codes).where(eq(codes.batchId, created.batch.id)).get()!
    const scan = await scanAs(app, pathOf(assembleToken(row.kid, row.serial, row.tag)))
    expect(scan.res.status).toBe(200)
    expect(scan.html).toContain('Late Brand')
  })
})
