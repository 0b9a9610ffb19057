import type BetterSqlite3 from 'better-sqlite3'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { diversionCases, diversionSignals } from '../../../src/channels/channel-schema.ts'
import { type NewSignal, recordSignal, signalsOfScan } from '../../../src/channels/diversion-cases.ts'
import type { Db } from '../../../src/db/index.ts'
import { insertDistributor, insertScan, insertShippedBatch } from '../../support/diversion-fixture.ts'
import { buildTestApp, insertBrand } from '../../support/test-app.ts'

async function setup() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const distributor = insertDistributor(t, brand.brandId, { code: 'GD-001' })
  const shipped = insertShippedBatch(t, brand.brandId, distributor.id, { sku: 'TEA-1', quantity: 4 })
  const scans = shipped.codes.map((c, i) =>
    insertScan(t, { brandId: brand.brandId, codeId: c.id, at: t.clock.now() + i * 60_000 }),
  )
  const signal = (i: number, over: Partial<NewSignal> = {}): NewSignal => ({
    brandId: brand.brandId,
    kind: 'off-region',
    scanId: scans[i]!.id,
    codeId: shipped.codes[i]!.id,
    distributorId: distributor.id,
    productId: shipped.product.id,
    batchId: shipped.batch.id,
    shipmentId: shipped.shipment!.id,
    regionCode: 'CN-SH',
    confidence: 0.5,
    distanceKm: 863.04,
    reasons: { text: 'outside' },
    at: scans[i]!.at,
    ...over,
  })
  const cases = () => t.db.select().from(diversionCases).orderBy(diversionCases.id).all()
  return { t, brand, distributor, shipped, scans, signal, cases }
}

describe('grouping signals into cases', () => {
  it('files signals of one (distributor, product, region) in one open case and keeps its figures', async () => {
    const s = await setup()
    const a = recordSignal(s.t.db, s.signal(1, { confidence: 0.5 }))
    const b = recordSignal(s.t.db, s.signal(0, { confidence: 0.9, kind: 'device-count' }))
    const c = recordSignal(s.t.db, s.signal(2, { confidence: 0.7 }))
    if (a.kind !== 'recorded' || b.kind !== 'recorded' || c.kind !== 'recorded')
      throw new Error('not recorded')
    expect(new Set([a.caseId, b.caseId, c.caseId]).size).toBe(1)
    expect(s.cases()).toEqual([
      expect.objectContaining({
        id: a.caseId,
        status: 'open',
        signalCount: 3,
        maxConfidence: 0.9,
        firstAt: s.scans[0]!.at,
        lastAt: s.scans[2]!.at,
        regionCode: 'CN-SH',
      }),
    ])
    const row = s.t.db.select().from(diversionSignals).where(eq(diversionSignals.id, a.signalId)).get()!
    expect(row).toMatchObject({ distanceKm: 863, reasons: { text: 'outside' } })
  })

  it('opens a separate case per region, per distributor (none counts as its own), and per product', async () => {
    const s = await setup()
    recordSignal(s.t.db, s.signal(0))
    recordSignal(s.t.db, s.signal(1, { regionCode: 'CN-BJ' }))
    recordSignal(s.t.db, s.signal(2, { regionCode: '' }))
    recordSignal(s.t.db, s.signal(3, { distributorId: null, kind: 'bulk-claim' }))
    recordSignal(s.t.db, s.signal(3, { productId: s.shipped.product.id + 100 }))
    expect(s.cases().map((c) => [c.distributorId, c.regionCode, c.signalCount])).toEqual([
      [s.distributor.id, 'CN-SH', 1],
      [s.distributor.id, 'CN-BJ', 1],
      [s.distributor.id, '', 1],
      [null, 'CN-SH', 1],
      [s.distributor.id, 'CN-SH', 1],
    ])
  })

  it('a decided case stays as it was: the next signal of its group opens a new case', async () => {
    const s = await setup()
    const first = recordSignal(s.t.db, s.signal(0))
    if (first.kind !== 'recorded') throw new Error('not recorded')
    s.t.db
      .update(diversionCases)
      .set({ status: 'confirmed' })
      .where(eq(diversionCases.id, first.caseId))
      .run()
    const next = recordSignal(s.t.db, s.signal(1))
    if (next.kind !== 'recorded') throw new Error('not recorded')
    expect(next.caseId).not.toBe(first.caseId)
    expect(s.cases().map((c) => [c.status, c.signalCount])).toEqual([
      ['confirmed', 1],
      ['open', 1],
    ])
  })

  it('is unique per (scan, kind): a retry adds nothing and opens no empty case', async () => {
    const s = await setup()
    recordSignal(s.t.db, s.signal(0))
    expect(recordSignal(s.t.db, s.signal(0, { confidence: 0.99, regionCode: 'CN-BJ' }))).toEqual({
      kind: 'duplicate',
    })
    expect(s.cases()).toHaveLength(1)
    expect(s.cases()[0]).toMatchObject({ signalCount: 1, maxConfidence: 0.5 })
    expect(signalsOfScan(s.t.db, s.brand.brandId, s.scans[0]!.id).map((g) => g.kind)).toEqual(['off-region'])
    expect(signalsOfScan(s.t.db, s.brand.brandId + 1, s.scans[0]!.id)).toEqual([])
  })

  it('when another connection opens the same case between the look and the insert, joins that case', async () => {
    const s = await setup()
    const client = s.t.db.$client
    let raced = false
    // A connection whose first look for the open case comes back empty, just as a competing writer
    // commits that case: the insert then meets the partial unique index.
    const racing = new Proxy(client, {
      get(target, prop) {
        if (prop !== 'prepare') {
          const value = Reflect.get(target, prop, target)
          return typeof value === 'function' ? value.bind(target) : value
        }
        return (source: string) => {
          const statement = target.prepare(source)
          if (!/FROM diversion_cases\s+WHERE brand_id = \?/.test(source)) return statement
          return new Proxy(statement, {
            get(st, p) {
              if (p !== 'get') {
                const value = Reflect.get(st, p, st)
                return typeof value === 'function' ? value.bind(st) : value
              }
              return (...args: unknown[]) => {
                if (!raced) {
                  raced = true
                  target
                    .prepare(
                      `INSERT INTO diversion_cases (brand_id, distributor_id, product_id, region_code, status,
                        first_at, last_at) VALUES (?, ?, ?, 'CN-SH', 'open', 0, 0)`,
                    )
                    .run(s.brand.brandId, s.distributor.id, s.shipped.product.id)
                  return undefined
                }
                return (st as BetterSqlite3.Statement).get(...args)
              }
            },
          })
        }
      },
    }) as BetterSqlite3.Database
    const outcome = recordSignal({ $client: racing } as unknown as Db, s.signal(0))
    expect(raced).toBe(true)
    if (outcome.kind !== 'recorded') throw new Error('not recorded')
    const cases = s.cases()
    expect(cases).toHaveLength(1)
    expect(cases[0]).toMatchObject({ id: outcome.caseId, signalCount: 1, maxConfidence: 0.5 })
  })
})
