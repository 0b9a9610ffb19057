import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.tsx'
import { printExports } from '../../src/batches/batch-schema.ts'
import { channelSettings, diversionCases, diversionSignals } from '../../src/channels/channel-schema.ts'
import { listCaseSignals } from '../../src/channels/diversion-cases.ts'
import { checkScanForDiversion } from '../../src/channels/diversion-check.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { balanceOf, checkLedger } from '../../src/points/ledger-store.ts'
import { defaultPlaces, defaultRegionResolver, greatCircleKm } from '../../src/scans/places.ts'
import { insertDistributor, insertShippedBatch } from '../support/diversion-fixture.ts'
import { capturingLogger } from '../support/log-capture.ts'
import { insertMember } from '../support/member-session.ts'
import { scanPhone } from '../support/scan-phone.ts'
import { buildTestApp, insertBrand } from '../support/test-app.ts'

const GUANGZHOU = { lat: 23.13, lon: 113.26 }
const SHENZHEN = { lat: 22.54, lon: 114.06 }
const SHANGHAI = { lat: 31.23, lon: 121.47 }
/** Jinan, Shandong: about 1,500 km north of Guangzhou. */
const JINAN = { lat: 36.65, lon: 117.0 }

/** A brand with a distributor bound to Guangdong and a shipped batch, on the real region data. */
async function setup(opts: { quantity?: number } = {}) {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const distributor = insertDistributor(t, brand.brandId, { code: 'GD-001', name: 'Pearl River Trading' })
  const shipped = insertShippedBatch(t, brand.brandId, distributor.id, {
    sku: 'TEA-1',
    productName: 'Oolong 500 ml',
    quantity: opts.quantity ?? 6,
    lot: 'L7',
  })
  const tokens = shipped.codes.map((c) => assembleToken(c.kid, c.serial, c.tag))
  return { t, brand, distributor, ...shipped, tokens }
}

type Setup = Awaited<ReturnType<typeof setup>>

function signalsOf(s: Setup) {
  return s.t.db.select().from(diversionSignals).where(eq(diversionSignals.brandId, s.brand.brandId)).all()
}

function casesOf(s: Setup) {
  return s.t.db.select().from(diversionCases).where(eq(diversionCases.brandId, s.brand.brandId)).all()
}

describe('a distributor bound to Guangdong (CN-GD)', () => {
  it('GPS scans in Guangzhou and Shenzhen leave no signal and open no case', async () => {
    const s = await setup()
    for (const [i, at] of [GUANGZHOU, SHENZHEN, GUANGZHOU].entries()) {
      const phone = scanPhone(s.t)
      await phone.scan(s.tokens[i]!)
      const located = await phone.locate(at)
      expect(located.res.status).toBe(200)
      expect(located.html).toContain('Guangdong')
    }
    expect(signalsOf(s)).toEqual([])
    expect(casesOf(s)).toEqual([])
  })

  it('a GPS scan in Shanghai opens an off-region case with the evidence a manager needs', async () => {
    const s = await setup()
    const phone = scanPhone(s.t)
    await phone.scan(s.tokens[0]!)
    const located = await phone.locate({ ...SHANGHAI, accuracyM: 20 })
    expect(located.res.status).toBe(200)
    expect(located.html).toContain('Shanghai')

    const [signal] = signalsOf(s)
    expect(signal).toMatchObject({
      kind: 'off-region',
      scanId: phone.scanId,
      codeId: s.codes[0]!.id,
      distributorId: s.distributor.id,
      productId: s.product.id,
      batchId: s.batch.id,
      shipmentId: s.shipment!.id,
      regionCode: 'CN-SH',
      confidence: 0.95,
    })
    // Shanghai lies some 860 km from Guangdong's nearest border (and ~1,200 km from Guangzhou).
    expect(signal!.distanceKm).toBeGreaterThan(700)
    expect(signal!.distanceKm).toBeLessThan(1000)
    const reasons = signal!.reasons as Record<string, unknown> & { text: string }
    expect(reasons.text).toContain('Shanghai')
    expect(reasons.text).toContain('Pearl River Trading (GD-001)')
    expect(reasons.text).toContain('Guangdong')
    expect(reasons.text).toContain('GPS ±20 m')
    expect(reasons).toMatchObject({
      nearestRegion: { code: 'CN-GD', nameEn: 'Guangdong' },
      allowedRegions: ['CN-GD'],
      source: 'gps',
      accuracyM: 20,
      formula: 'base(source) × d / (d + r)',
    })
    // Precise coordinates stay in the scan row (erased by the retention job), never in reasons.
    expect(JSON.stringify(reasons)).not.toContain('121.47')

    const [c] = casesOf(s)
    expect(c).toMatchObject({
      id: signal!.caseId,
      distributorId: s.distributor.id,
      productId: s.product.id,
      regionCode: 'CN-SH',
      status: 'open',
      signalCount: 1,
      maxConfidence: 0.95,
    })
    const evidence = listCaseSignals(s.t.db, s.brand.brandId, c!.id)
    expect(evidence).toHaveLength(1)
    expect(evidence[0]).toMatchObject({
      kind: 'off-region',
      serial: s.codes[0]!.serial,
      shipmentId: s.shipment!.id,
      scan: { placeEn: expect.stringContaining('Shanghai'), lat: SHANGHAI.lat, locationSource: 'gps' },
    })
    // Another brand cannot read the case's signals.
    expect(listCaseSignals(s.t.db, s.brand.brandId + 1, c!.id)).toEqual([])
  })

  it('a low-accuracy location lowers the confidence; both Shanghai signals share one case', async () => {
    const s = await setup()
    const precise = scanPhone(s.t)
    await precise.scan(s.tokens[0]!)
    await precise.locate({ ...SHANGHAI, accuracyM: 20 })
    const coarse = scanPhone(s.t)
    await coarse.scan(s.tokens[1]!)
    await coarse.locate({ ...SHANGHAI, accuracyM: 500_000 })

    const byScan = new Map(signalsOf(s).map((g) => [g.scanId, g]))
    const sharp = byScan.get(precise.scanId)!
    const weak = byScan.get(coarse.scanId)!
    expect(sharp.confidence).toBe(0.95)
    expect(weak.confidence).toBeLessThan(sharp.confidence)
    // 0.95 × d / (d + 500 km) with d ≈ 860 km.
    const d = weak.distanceKm!
    expect(weak.confidence).toBeCloseTo(0.95 * (d / (d + 500)), 2)
    expect((weak.reasons as { text: string }).text).toContain('±500 km')

    const cases = casesOf(s)
    expect(cases).toHaveLength(1)
    expect(cases[0]).toMatchObject({ signalCount: 2, maxConfidence: 0.95, regionCode: 'CN-SH' })
    expect(sharp.caseId).toBe(weak.caseId)
  })

  it('two phones scanning one code ~1,500 km apart within an hour make an impossible-travel signal', async () => {
    const s = await setup()
    const first = scanPhone(s.t)
    await first.scan(s.tokens[0]!)
    await first.locate(GUANGZHOU)
    s.t.clock.advance(30 * 60_000)
    const second = scanPhone(s.t)
    await second.scan(s.tokens[0]!)
    const located = await second.locate(JINAN)
    expect(located.res.status).toBe(200)

    const kinds = signalsOf(s)
      .map((g) => g.kind)
      .sort()
    // Jinan is in Shandong: off-region as well.
    expect(kinds).toEqual(['impossible-travel', 'off-region'])
    const travel = signalsOf(s).find((g) => g.kind === 'impossible-travel')!
    const km = greatCircleKm(GUANGZHOU, JINAN)
    expect(km).toBeGreaterThan(1400)
    expect(km).toBeLessThan(1600)
    expect(travel).toMatchObject({
      scanId: second.scanId,
      regionCode: 'CN-SD',
      distributorId: s.distributor.id,
    })
    expect(travel.confidence).toBeGreaterThan(0.9)
    const reasons = travel.reasons as {
      text: string
      travelKm: number
      minutes: number
      speedKmh: number
      scans: { scanId: number; at: number; place: string; regionCode: string }[]
    }
    expect(reasons.travelKm).toBeCloseTo(km, 0)
    expect(reasons.minutes).toBe(30)
    expect(reasons.speedKmh).toBeCloseTo(km * 2, -1)
    expect(reasons.scans.map((x) => x.scanId)).toEqual([first.scanId, second.scanId])
    expect(reasons.scans.map((x) => x.regionCode)).toEqual(['CN-GD', 'CN-SD'])
    expect(reasons.scans[1]!.at - reasons.scans[0]!.at).toBe(30 * 60_000)
    expect(reasons.text).toContain('Guangdong, China at 2026-11-01 00:00 UTC, then Shandong')
    expect(reasons.text).toContain('3,091 km/h')
    // Off-region and impossible travel of one scan land in the same group: distributor, product, CN-SD.
    const cases = casesOf(s)
    expect(cases).toHaveLength(1)
    expect(cases[0]).toMatchObject({ regionCode: 'CN-SD', signalCount: 2 })
  })

  it('a retried location post or a second run of the checks makes no duplicate signal', async () => {
    const s = await setup()
    const phone = scanPhone(s.t)
    await phone.scan(s.tokens[0]!)
    await phone.locate(SHANGHAI)
    const again = await phone.locate(SHANGHAI)
    expect(again.res.status).toBe(200)
    expect(checkScanForDiversion(s.t.db, phone.scanId, defaultRegionResolver)).toEqual([])
    expect(signalsOf(s)).toHaveLength(1)
    expect(casesOf(s)[0]).toMatchObject({ signalCount: 1 })
  })

  it('too many phones on one code make a device-count signal, also when the location is declined', async () => {
    const s = await setup()
    for (let i = 0; i < 3; i++) {
      const phone = scanPhone(s.t)
      await phone.scan(s.tokens[0]!)
      await phone.locate(GUANGZHOU)
    }
    expect(signalsOf(s)).toEqual([])
    const fourth = scanPhone(s.t)
    await fourth.scan(s.tokens[0]!)
    await fourth.locate(GUANGZHOU)
    const fifth = scanPhone(s.t)
    await fifth.scan(s.tokens[0]!)
    expect((await fifth.decline()).res.status).toBe(200)

    const signals = signalsOf(s)
    expect(signals.map((g) => [g.kind, g.scanId])).toEqual([
      ['device-count', fourth.scanId],
      ['device-count', fifth.scanId],
    ])
    expect(signals[0]!.regionCode).toBe('CN-GD')
    expect(signals[1]!.regionCode).toBe('')
    expect(signals[0]!.reasons).toMatchObject({ devices: 4, maxDevicesPerCode: 3 })
    expect(signals[1]!.confidence).toBeGreaterThan(signals[0]!.confidence)
  })

  it('follows the brand’s device limit from its channel settings', async () => {
    const s = await setup()
    s.t.db
      .insert(channelSettings)
      .values({ brandId: s.brand.brandId, maxDevicesPerCode: 5, updatedAt: s.t.clock.now() })
      .run()
    for (let i = 0; i < 5; i++) {
      const phone = scanPhone(s.t)
      await phone.scan(s.tokens[0]!)
      await phone.locate(GUANGZHOU)
    }
    expect(signalsOf(s)).toEqual([])
  })

  it('leaves codes no shipment bound alone, and a distributor without sales regions unrestricted', async () => {
    const s = await setup()
    const unbound = insertShippedBatch(s.t, s.brand.brandId, null, { sku: 'TEA-2' })
    const free = insertDistributor(s.t, s.brand.brandId, { code: 'ANY-1', regions: [] })
    const anywhere = insertShippedBatch(s.t, s.brand.brandId, free.id, { sku: 'TEA-3' })
    for (const row of [unbound.codes[0]!, anywhere.codes[0]!]) {
      const phone = scanPhone(s.t)
      await phone.scan(assembleToken(row.kid, row.serial, row.tag))
      await phone.locate(SHANGHAI)
    }
    expect(signalsOf(s)).toEqual([])
  })

  it('a failing check is logged and never breaks the consumer’s page', async () => {
    const s = await setup()
    const { logger, lines: logs } = capturingLogger('error')
    const app = createApp({
      ...s.t.deps,
      logger,
      places: {
        ...defaultPlaces(),
        regionResolver: () => {
          throw new Error('region data unavailable')
        },
      },
    })
    const phone = scanPhone({ ...s.t, app })
    await phone.scan(s.tokens[0]!)
    const located = await phone.locate(SHANGHAI)
    expect(located.res.status).toBe(200)
    expect(located.html).toContain('Shanghai')
    expect(logs.join('')).toContain('diversion check failed')
    expect(signalsOf(s)).toEqual([])
    // Once the data is back, running the checks again files the signal (they are safe to re-run).
    expect(checkScanForDiversion(s.t.db, phone.scanId, defaultRegionResolver)).toEqual(['off-region'])
    expect(
      s.t.db
        .select()
        .from(diversionSignals)
        .where(and(eq(diversionSignals.scanId, phone.scanId), eq(diversionSignals.kind, 'off-region')))
        .all(),
    ).toHaveLength(1)
  })
})

describe('bulk claiming (a leaked print file)', () => {
  async function bulkSetup() {
    const s = await setup({ quantity: 16 })
    s.t.db
      .insert(channelSettings)
      .values({
        brandId: s.brand.brandId,
        bulkClaimCount: 5,
        bulkClaimWindowMinutes: 60,
        updatedAt: s.t.clock.now(),
      })
      .run()
    const exportRow = (batchId: number, seqFrom: number, seqTo: number, format: string) =>
      s.t.db
        .insert(printExports)
        .values({
          brandId: s.brand.brandId,
          batchId,
          format,
          seqFrom,
          seqTo,
          codeCount: seqTo - seqFrom + 1,
          actorLabel: 'printer@tea.test',
          createdAt: s.t.clock.now(),
        })
        .returning()
        .get()
    const first = exportRow(s.batch.id, 1, 6, 'csv')
    const second = exportRow(s.batch.id, 7, 16, 'pdf')
    const other = insertShippedBatch(s.t, s.brand.brandId, s.distributor.id, { sku: 'TEA-9', quantity: 2 })
    exportRow(other.batch.id, 1, 2, 'csv')
    return { ...s, exports: { first, second } }
  }

  async function claimAs(s: Setup, phone: ReturnType<typeof scanPhone>, memberId: number, index: number) {
    await phone.signInAs(s.brand.brandId, memberId)
    await phone.scan(s.tokens[index]!)
    const claimed = await phone.claim()
    expect(claimed.html).toContain('You claimed 10 points')
    return claimed
  }

  function bulkSignals(s: Setup) {
    return signalsOf(s).filter((g) => g.kind === 'bulk-claim')
  }

  it('one member claiming the threshold of one batch within the window raises a signal naming the batch and its exports', async () => {
    const s = await bulkSetup()
    const member = insertMember(s.t, s.brand.brandId, { phone: '+8613800138000' })
    const phone = scanPhone(s.t)
    for (let i = 0; i < 4; i++) {
      await claimAs(s, phone, member.id, i)
      s.t.clock.advance(60_000)
    }
    expect(bulkSignals(s)).toEqual([])
    const fifth = await claimAs(s, phone, member.id, 4)
    const [signal] = bulkSignals(s)
    expect(signal).toMatchObject({
      scanId: phone.scanId,
      codeId: s.codes[4]!.id,
      batchId: s.batch.id,
      distributorId: s.distributor.id,
      productId: s.product.id,
      regionCode: '',
    })
    const reasons = signal!.reasons as Record<string, unknown> & { text: string; exports: { id: number }[] }
    expect(reasons).toMatchObject({
      by: 'member',
      memberId: member.id,
      claims: 5,
      threshold: 5,
      windowMinutes: 60,
      batchId: s.batch.id,
      lot: 'L7',
      seqFrom: 1,
      seqTo: 5,
      inSerialOrder: true,
    })
    expect(reasons.exports).toEqual([
      expect.objectContaining({
        id: s.exports.first.id,
        format: 'csv',
        seqFrom: 1,
        seqTo: 6,
        claimedCodes: 5,
      }),
    ])
    expect(reasons.text).toContain(`batch ${s.batch.id} (lot L7)`)
    expect(reasons.text).toContain(`#${s.exports.first.id} csv seq 1–6 by printer@tea.test`)
    expect(signal!.confidence).toBeCloseTo(0.7, 5)

    // A retried claim (same key) is a replay: no second signal.
    const replay = await phone.claim(fifth.key)
    expect(replay.html).toContain('You claimed 10 points')
    expect(bulkSignals(s)).toHaveLength(1)

    // The next four claims file nothing; the tenth (a second threshold's worth, from the second
    // export) files again into the same case and names both exports.
    for (const i of [6, 7, 8, 9]) await claimAs(s, phone, member.id, i)
    expect(bulkSignals(s)).toHaveLength(1)
    await claimAs(s, phone, member.id, 10)
    const signals = bulkSignals(s)
    expect(signals).toHaveLength(2)
    expect(signals[1]!.caseId).toBe(signals[0]!.caseId)
    expect(signals[1]!.reasons).toMatchObject({ claims: 10, seqFrom: 1, seqTo: 11, inSerialOrder: false })
    expect((signals[1]!.reasons as { exports: { id: number }[] }).exports.map((e) => e.id)).toEqual([
      s.exports.first.id,
      s.exports.second.id,
    ])
    expect(casesOf(s)).toEqual([expect.objectContaining({ signalCount: 2, regionCode: '' })])
  })

  it('claims older than the window do not count', async () => {
    const s = await bulkSetup()
    const member = insertMember(s.t, s.brand.brandId, { email: 'li@example.com' })
    const phone = scanPhone(s.t)
    for (let i = 0; i < 4; i++) await claimAs(s, phone, member.id, i)
    s.t.clock.advance(61 * 60_000)
    await claimAs(s, phone, member.id, 4)
    expect(bulkSignals(s)).toEqual([])
  })

  it('a failing bulk-claim check is logged and never undoes the award', async () => {
    const s = await bulkSetup()
    const { logger, lines: logs } = capturingLogger('error')
    const app = createApp({ ...s.t.deps, logger })
    s.t.db.$client.exec(
      "CREATE TRIGGER no_signals BEFORE INSERT ON diversion_signals BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    )
    const member = insertMember(s.t, s.brand.brandId, { email: 'li@example.com' })
    const phone = scanPhone({ ...s.t, app })
    for (let i = 0; i < 5; i++) await claimAs(s, phone, member.id, i)
    expect(logs.join('')).toContain('bulk-claim check failed')
    expect(balanceOf(s.t.db, s.brand.brandId, member.id)).toBe(50)
    expect(casesOf(s)).toEqual([])
    expect(checkLedger(s.t.db.$client)).toEqual([])
  })

  it('one phone claiming for several member accounts is caught as a device', async () => {
    const s = await bulkSetup()
    const phone = scanPhone(s.t)
    for (let i = 0; i < 5; i++) {
      const member = insertMember(s.t, s.brand.brandId, { email: `m${i}@example.com` })
      await claimAs(s, phone, member.id, 8 + i)
    }
    const [signal] = bulkSignals(s)
    expect(signal).toMatchObject({ scanId: phone.scanId, batchId: s.batch.id })
    expect(signal!.reasons).toMatchObject({
      by: 'device',
      claims: 5,
      seqFrom: 9,
      seqTo: 13,
      inSerialOrder: true,
      exports: [expect.objectContaining({ id: s.exports.second.id, claimedCodes: 5 })],
    })
    expect((signal!.reasons as { text: string }).text).toContain('One phone (5 member account(s))')
  })
})
