import { and, eq } from 'drizzle-orm'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { identityColumns, memberPii } from '../../src/members/member-pii.ts'
import { members, otpChallenges } from '../../src/members/member-schema.ts'
import { claimCode } from '../../src/points/claim-store.ts'
import { createReward, redeemReward } from '../../src/points/reward-store.ts'
import { scans } from '../../src/scans/scan-schema.ts'
import { buildTestApp, insertBatch, insertBrand, insertProduct, START, type TestApp } from './test-app.ts'

/** An instant given in China time: china('2026-10-30', '23:59:59.999'). */
export function china(day: string, time: string): number {
  return Date.parse(`${day}T${time}${time.length === 5 ? ':00' : ''}+08:00`)
}

export const XSS_NAME = '<script>alert("x")</script> Oolong'

/**
 * The dashboard's known dataset: brand 'tea' over three China-time days, 2026-10-30, 2026-10-31
 * and today 2026-11-01 (the clock ends at START, 08:00 in Shanghai), with these figures:
 *
 * | day   | scans (counted) | unique scanners | sign-ins | claims | redemptions | new members |
 * | 10-30 | 3               | 3 (A, B, C)     | 2        | 2      | 0           | 2           |
 * | 10-31 | 3               | 2 (A, D)        | 2        | 1      | 1           | 0           |
 * | 11-01 | 1               | 1 (E)           | 0        | 0      | 0           | 0           |
 *
 * On 2026-10-29 m3 signs in and joins; on 10-31 m3 scans (device-D) still signed in.
 * Funnel over the three days: 5 scanners, 3 signed-in members (m1 and m2 signed in, m3 scanned
 * signed in), 2 claimers, 1 repeat claimer (m1).
 * Batch L-A (Green tea, 10 activated codes): 5 scans of 4 codes → 40.0 %; batch L-B (XSS_NAME,
 * 3 of 5 activated): 2 scans of 2 codes → 66.7 %. Regions: CN-GD 4, CN-SH 1, US 1.
 * Claims by product: Green tea 2, Oolong 1. Edges: a repeat scan (not counted), a scan at exactly
 * 00:00 and one at 23:59:59.999, a sign-in sent before midnight and used after, an unused code.
 * Brand 'other' has one scan and one member that must never show in tea's figures.
 */
export async function dashboardFixture(): Promise<ReturnType<typeof build>> {
  const t = buildTestApp()
  t.clock.set(china('2026-10-29', '09:00'))
  const brand = await insertBrand(t, { slug: 'tea' })
  const other = await insertBrand(t, { slug: 'other' })
  return build(t, brand, other)
}

function build(
  t: TestApp,
  brand: Awaited<ReturnType<typeof insertBrand>>,
  other: Awaited<ReturnType<typeof insertBrand>>,
) {
  const brandId = brand.brandId
  const bdb = brandDb(t.db, brandId)
  const actor = { staffId: null, label: 'test' }
  const green = insertProduct(t, brandId, { sku: 'TEA-1', name: 'Green tea', points: 10 })
  const oolong = insertProduct(t, brandId, { sku: 'TEA-2', name: XSS_NAME, points: 5 })
  const batchA = insertBatch(t, brandId, green.id, { quantity: 10, lot: 'L-A' })
  const batchB = insertBatch(t, brandId, oolong.id, { quantity: 5, lot: 'L-B' })
  activateCodes(bdb, actor, batchA.id, null, t.clock.now())
  activateCodes(bdb, actor, batchB.id, { from: 1, to: 3 }, t.clock.now())
  const codeId = (batchId: number, seq: number) =>
    t.db
      .select({ id: codes.id })
      .from(codes)
      .where(and(eq(codes.batchId, batchId), eq(codes.seq, seq)))
      .get()!.id

  const scan = (
    b: number,
    seq: number,
    device: string,
    at: number,
    region: string | null,
    opts: { counted?: boolean; brand?: number; member?: number } = {},
  ) =>
    t.db
      .insert(scans)
      .values({
        brandId: opts.brand ?? brandId,
        codeId: codeId(b, seq),
        deviceId: device,
        ipPrefix: '203.0.113.0/24',
        userAgent: 'test',
        memberId: opts.member ?? null,
        verdict: 'genuine-first',
        counted: opts.counted ?? true,
        regionCode: region,
        locatedAt: region ? at : null,
        at,
      })
      .returning()
      .get()

  const pii = memberPii(t.masterKey)
  const member = (phone: string, at: number, forBrand = brandId) =>
    t.db
      .insert(members)
      .values({
        brandId: forBrand,
        ...identityColumns(pii, forBrand, { channel: 'sms', phone }),
        createdAt: at,
      })
      .returning()
      .get()
  const signIn = (identifier: string, sentAt: number, usedAt: number | null) =>
    t.db
      .insert(otpChallenges)
      .values({
        brandId,
        channel: 'sms',
        identifier,
        codeHash: 'not-a-code',
        expiresAt: sentAt + 10 * 60_000,
        usedAt,
        createdAt: sentAt,
      })
      .run()
  let keys = 0
  const claim = (b: number, seq: number, memberId: number, at: number) => {
    const outcome = claimCode(t.db, {
      brandId,
      codeId: codeId(b, seq),
      memberId,
      idempotencyKey: `k${++keys}`,
      now: at,
    })
    if (outcome.kind !== 'claimed') throw new Error(`claim ${b}/${seq}: ${outcome.kind}`)
  }

  // 2026-10-29: m3 joins; later they scan while still signed in, without signing in again.
  signIn('+8613800000004', china('2026-10-29', '10:00'), china('2026-10-29', '10:01'))
  const m3 = member('+8613800000004', china('2026-10-29', '10:01'))
  // 2026-10-30
  scan(batchA.id, 1, 'device-A', china('2026-10-30', '10:00'), 'CN-GD')
  scan(batchA.id, 2, 'device-B', china('2026-10-30', '10:30'), 'CN-GD')
  scan(batchA.id, 2, 'device-B', china('2026-10-30', '10:31'), 'CN-GD', { counted: false })
  scan(batchB.id, 1, 'device-C', china('2026-10-30', '23:59:59.999'), 'CN-SH')
  signIn('+8613800000001', china('2026-10-30', '09:54'), china('2026-10-30', '09:55'))
  const m1 = member('+8613800000001', china('2026-10-30', '09:55'))
  signIn('+8613800000002', china('2026-10-30', '10:49'), china('2026-10-30', '10:50'))
  const m2 = member('+8613800000002', china('2026-10-30', '10:50'))
  signIn('+8613800000003', china('2026-10-30', '11:00'), null)
  claim(batchA.id, 1, m1.id, china('2026-10-30', '10:05'))
  claim(batchB.id, 1, m2.id, china('2026-10-30', '23:59:30'))
  // 2026-10-31
  scan(batchA.id, 3, 'device-A', china('2026-10-31', '00:00'), 'CN-GD')
  scan(batchA.id, 4, 'device-D', china('2026-10-31', '12:00'), 'US', { member: m3.id })
  scan(batchA.id, 1, 'device-A', china('2026-10-31', '13:00'), 'CN-GD')
  signIn('+8613800000002', china('2026-10-30', '23:58'), china('2026-10-31', '00:02'))
  signIn('+8613800000001', china('2026-10-31', '12:54'), china('2026-10-31', '12:55'))
  claim(batchA.id, 3, m1.id, china('2026-10-31', '00:05'))
  const reward = createReward(
    bdb,
    actor,
    {
      name: 'Cup',
      description: null,
      pointsPrice: 10,
      stock: null,
      perMemberLimit: null,
      availableFrom: null,
      availableUntil: null,
      active: true,
    },
    china('2026-10-29', '09:00'),
  )
  if (reward.kind !== 'saved') throw new Error('reward not saved')
  const redeemed = redeemReward(t.db, {
    brandId,
    memberId: m1.id,
    rewardId: reward.reward.id,
    idempotencyKey: 'redeem-1',
    now: china('2026-10-31', '14:00'),
  })
  if (redeemed.kind !== 'redeemed') throw new Error(`redeem: ${redeemed.kind}`)
  // 2026-11-01, before the clock's 08:00
  scan(batchB.id, 2, 'device-E', china('2026-11-01', '07:00'), null)

  // Brand 'other': must never appear in tea's figures.
  const otherProduct = insertProduct(t, other.brandId, { sku: 'O-1', name: 'Other product' })
  const otherBatch = insertBatch(t, other.brandId, otherProduct.id, { quantity: 2, lot: 'O-LOT' })
  activateCodes(brandDb(t.db, other.brandId), actor, otherBatch.id, null, t.clock.now())
  scan(otherBatch.id, 1, 'device-Z', china('2026-10-30', '12:00'), 'CN-BJ', { brand: other.brandId })
  member('+8613800000009', china('2026-10-30', '12:00'), other.brandId)

  t.clock.set(START)
  return { t, brand, other, bdb, green, oolong, batchA, batchB, m1, m2, m3, codeId }
}
