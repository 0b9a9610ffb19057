import { asc, eq } from 'drizzle-orm'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { members } from '../../src/members/member-schema.ts'
import { claimCode } from '../../src/points/claim-store.ts'
import { products } from '../../src/products/product-schema.ts'
import { scans } from '../../src/scans/scan-schema.ts'
import {
  buildTestApp,
  type InsertedBrand,
  insertBatch,
  insertBrand,
  insertProduct,
  type TestApp,
} from './test-app.ts'

export const DAY = 86_400_000

/**
 * A brand for the member-programme jobs: products with a category and activated codes, and
 * builders for members (joined when you say), scans and claims at any instant. Time moves only
 * when a builder is told a time; `t.clock` stays where the test puts it.
 *
 * @example
 * const f = await programmeFixture(); const tea = f.product('TEA-1', { category: 'Tea' })
 * const m = f.member({ joinedAt: f.daysAgo(40) }); f.scan(m, f.daysAgo(3), { region: 'CN-GD' })
 * f.claim(m, tea, f.daysAgo(3))
 */
export async function programmeFixture(opts: { t?: TestApp; slug?: string } = {}) {
  const t = opts.t ?? buildTestApp()
  const brand: InsertedBrand = await insertBrand(t, { slug: opts.slug ?? 'tea' })
  const bdb = brandDb(t.db, brand.brandId)
  const now = t.clock.now()
  const daysAgo = (n: number) => t.clock.now() - n * DAY

  type FixtureProduct = { id: number; sku: string; codeIds: number[]; next: number }
  const product = (
    sku: string,
    input: { points?: number; category?: string | null; quantity?: number } = {},
  ): FixtureProduct => {
    const p = insertProduct(t, brand.brandId, { sku, points: input.points ?? 10 })
    if (input.category !== undefined) {
      t.db.update(products).set({ category: input.category }).where(eq(products.id, p.id)).run()
    }
    const batch = insertBatch(t, brand.brandId, p.id, { quantity: input.quantity ?? 30 })
    activateCodes(bdb, { staffId: null, label: 'test' }, batch.id, null, now)
    const codeIds = t.db
      .select({ id: codes.id })
      .from(codes)
      .where(eq(codes.batchId, batch.id))
      .orderBy(asc(codes.seq))
      .all()
      .map((r) => r.id)
    return { id: p.id, sku, codeIds, next: 0 }
  }

  let phones = 0
  const member = (
    input: { joinedAt?: number; birthday?: string | null; deletedAt?: number; mergedIntoId?: number } = {},
  ): number =>
    t.db
      .insert(members)
      .values({
        brandId: brand.brandId,
        phone: `+86139${String(++phones).padStart(8, '0')}`,
        birthday: input.birthday ?? null,
        createdAt: input.joinedAt ?? now,
        deletedAt: input.deletedAt ?? null,
        mergedIntoId: input.mergedIntoId ?? null,
      })
      .returning()
      .get().id

  /** A scan recorded with the member (signed in while scanning). */
  const scan = (
    memberId: number | null,
    at: number,
    input: { region?: string; codeId?: number; counted?: boolean } = {},
  ) =>
    t.db
      .insert(scans)
      .values({
        brandId: brand.brandId,
        codeId: input.codeId ?? null,
        deviceId: `device-${memberId}`,
        ipPrefix: '10.0.0',
        userAgent: 'test',
        memberId,
        verdict: 'genuine-seen',
        counted: input.counted ?? true,
        regionCode: input.region ?? null,
        at,
      })
      .returning()
      .get()

  let keys = 0
  /** Claims the product's next code for the member at `at`; `withScan` records the scan first. */
  const claim = (memberId: number, p: FixtureProduct, at: number, withScan?: { region?: string }) => {
    const codeId = p.codeIds[p.next++]
    if (codeId === undefined) throw new Error(`no codes left for ${p.sku}`)
    if (withScan) scan(memberId, at, { codeId, region: withScan.region })
    const outcome = claimCode(t.db, {
      brandId: brand.brandId,
      codeId,
      memberId,
      idempotencyKey: `programme-${brand.slug}-${++keys}`,
      now: at,
    })
    if (outcome.kind !== 'claimed') throw new Error(`claim: ${outcome.kind}`)
    return codeId
  }

  return { t, brand, bdb, daysAgo, product, member, scan, claim }
}
