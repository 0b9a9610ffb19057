import { eq } from 'drizzle-orm'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { identityColumns, memberPii } from '../../src/members/member-pii.ts'
import { members } from '../../src/members/member-schema.ts'
import { claimCode } from '../../src/points/claim-store.ts'
import { buildTestApp, insertBatch, insertBrand, insertProduct, type TestApp } from './test-app.ts'

/**
 * A brand with one product of `points` points and `quantity` activated codes, plus a member builder
 * and a `claim(i, memberId)` that claims the i-th code at the clock's current time.
 *
 * @example
 * const f = await pointsFixture({ points: 10 }); f.claim(0, f.member('+8613800000001'))
 */
export async function pointsFixture(opts: { points?: number; quantity?: number } = {}) {
  const t: TestApp = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1', points: opts.points ?? 10 })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: opts.quantity ?? 10 })
  activateCodes(brandDb(t.db, brand.brandId), { staffId: null, label: 'test' }, batch.id, null, t.clock.now())
  const codeIds = t.db
    .select({ id: codes.id })
    .from(codes)
    .where(eq(codes.batchId, batch.id))
    .orderBy(codes.seq)
    .all()
    .map((r) => r.id)
  let phones = 0
  const member = () =>
    t.db
      .insert(members)
      .values({
        brandId: brand.brandId,
        ...identityColumns(memberPii(t.masterKey), brand.brandId, {
          channel: 'sms',
          phone: `+86138${String(++phones).padStart(8, '0')}`,
        }),
        createdAt: t.clock.now(),
      })
      .returning()
      .get().id
  let keys = 0
  const claim = (i: number, memberId: number) =>
    claimCode(t.db, {
      brandId: brand.brandId,
      codeId: codeIds[i]!,
      memberId,
      idempotencyKey: `key-${++keys}`,
      now: t.clock.now(),
    })
  const codeState = (i: number) => t.db.select().from(codes).where(eq(codes.id, codeIds[i]!)).get()!.state
  return { t, brand, bdb: brandDb(t.db, brand.brandId), codeIds, member, claim, codeState }
}
