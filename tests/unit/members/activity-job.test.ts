import { and, asc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { recomputeMemberTags, rollUpMember, usualIntervalDays } from '../../../src/members/activity-job.ts'
import { members } from '../../../src/members/member-schema.ts'
import { memberActivity, memberTags } from '../../../src/members/programme-schema.ts'
import { checkLedger } from '../../../src/points/ledger-store.ts'
import { DAY, programmeFixture } from '../../support/programme-fixture.ts'
import type { TestApp } from '../../support/test-app.ts'

const activityOf = (t: TestApp, memberId: number) =>
  t.db.select().from(memberActivity).where(eq(memberActivity.memberId, memberId)).get()

const tagsOf = (t: TestApp, memberId: number) =>
  t.db
    .select({ tag: memberTags.tag, source: memberTags.source, reason: memberTags.reason })
    .from(memberTags)
    .where(eq(memberTags.memberId, memberId))
    .orderBy(asc(memberTags.tag))
    .all()

/** Every activity row and tag of the database, without the times a run stamps on them. */
const snapshot = (t: TestApp) => ({
  activity: t.db
    .select()
    .from(memberActivity)
    .orderBy(asc(memberActivity.memberId))
    .all()
    .map(({ computedAt: _, ...row }) => row),
  tags: t.db
    .select()
    .from(memberTags)
    .orderBy(asc(memberTags.memberId), asc(memberTags.tag))
    .all()
    .map(({ createdAt: _, ...row }) => row),
})

describe('the usual interval between scanning days', () => {
  it('is the median gap, the mean of the middle two for an even number of gaps, and none below three days', () => {
    expect(usualIntervalDays([100, 107, 110, 124])).toBe(7)
    expect(usualIntervalDays([100, 102, 106, 112, 120])).toBe(5)
    expect(usualIntervalDays([1, 11, 12])).toBe(5.5)
    expect(usualIntervalDays([1, 11])).toBeNull()
    expect(usualIntervalDays([])).toBeNull()
  })
})

describe('rolling up one member', () => {
  const claim = (codeId: number, at: number, productId = 1) => ({
    codeId,
    at,
    points: 10,
    productId,
    sku: `P-${productId}`,
    name: `Product ${productId}`,
    category: null,
  })

  it('counts a claim as a scan only when the member has no recorded scan of that code', () => {
    const f = rollUpMember(
      [{ codeId: 5, at: 10 * DAY, regionCode: null, counted: 1 }],
      [claim(5, 10 * DAY + 60_000), claim(6, 3 * DAY)],
      0,
    )
    expect(f.scanCount).toBe(2)
    expect(f.firstScanAt).toBe(3 * DAY)
    expect(f.lastScanAt).toBe(10 * DAY)
    expect(f.claimCount).toBe(2)
  })

  it('leaves out repeat scans that were not counted', () => {
    const f = rollUpMember(
      [
        { codeId: 5, at: DAY, regionCode: 'CN-GD', counted: 1 },
        { codeId: 5, at: DAY + 1000, regionCode: 'CN-GD', counted: 0 },
      ],
      [],
      0,
    )
    expect(f.scanCount).toBe(1)
    expect(f.region).toEqual({ code: 'CN-GD', scans: 1, ofScans: 1 })
  })
})

describe('the tags job: member activity rolled up', () => {
  it('rolls up scans, claims, points, balance, interval and preferences from a known history', async () => {
    const f = await programmeFixture()
    const tea = f.product('TEA-1', { points: 10, category: 'Tea' })
    const gift = f.product('GIFT-1', { points: 50, category: 'Gift' })
    const m = f.member({ joinedAt: f.daysAgo(500) })
    // Claimed 400 days ago right after signing in: the scan carries no member, the claim stands for it.
    f.claim(m, tea, f.daysAgo(400))
    f.claim(m, tea, f.daysAgo(10), { region: 'CN-GD' })
    f.claim(m, gift, f.daysAgo(7), { region: 'CN-SH' })
    f.scan(m, f.daysAgo(3), { region: 'CN-SH' })
    f.scan(m, f.daysAgo(3) + 60_000, { region: 'CN-SH', counted: false })

    const outcome = recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())

    expect(outcome).toMatchObject({ members: 1, chunks: 1 })
    expect(activityOf(f.t, m)).toMatchObject({
      brandId: f.brand.brandId,
      scanCount: 4,
      claimCount: 3,
      firstScanAt: f.daysAgo(400),
      lastScanAt: f.daysAgo(3),
      lastClaimAt: f.daysAgo(7),
      // The claim of 400 days ago is outside the 365 days; the balance keeps it.
      pointsEarned: 60,
      balance: 70,
      // Scanning days 400, 10, 7 and 3 days ago: gaps 390, 3, 4 → median 4.
      usualIntervalDays: 4,
      preferredRegion: 'CN-SH',
      preferredProductId: tea.id,
      preferredCategory: 'Tea',
      rfmR: 1,
      rfmF: 1,
      rfmM: 1,
      lifecycle: 'active',
    })
    expect(tagsOf(f.t, m).map((t) => t.tag)).toEqual([
      'category:Tea',
      'lifecycle:active',
      'product:TEA-1',
      'region:CN-SH',
      'rfm:f1',
      'rfm:m1',
      'rfm:r1',
    ])
    expect(tagsOf(f.t, m).find((t) => t.tag === 'product:TEA-1')?.reason).toBe(
      'most claimed product: TEA-1 (Product TEA-1), 2 of 3 claims',
    )
    expect(checkLedger(f.t.db.$client)).toEqual([])
  })

  it('gives a tie in claims or scans to the most recent product, category and region', async () => {
    const f = await programmeFixture()
    const tea = f.product('TEA-1', { category: 'Tea' })
    const gift = f.product('GIFT-1', { category: 'Gift' })
    const m = f.member({ joinedAt: f.daysAgo(100) })
    f.claim(m, tea, f.daysAgo(9), { region: 'CN-GD' })
    f.claim(m, gift, f.daysAgo(4), { region: 'CN-SH' })
    const n = f.member({ joinedAt: f.daysAgo(100) })
    f.claim(n, gift, f.daysAgo(9), { region: 'CN-SH' })
    f.claim(n, tea, f.daysAgo(4), { region: 'CN-GD' })

    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())

    expect(activityOf(f.t, m)).toMatchObject({
      preferredProductId: gift.id,
      preferredCategory: 'Gift',
      preferredRegion: 'CN-SH',
    })
    expect(activityOf(f.t, n)).toMatchObject({
      preferredProductId: tea.id,
      preferredCategory: 'Tea',
      preferredRegion: 'CN-GD',
    })
  })

  it('has no usual interval below three scanning days, counting two scans on one day once', async () => {
    const f = await programmeFixture()
    const m = f.member({ joinedAt: f.daysAgo(100) })
    f.scan(m, f.daysAgo(20))
    f.scan(m, f.daysAgo(5))
    f.scan(m, f.daysAgo(5) + 3_600_000)
    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())
    expect(activityOf(f.t, m)).toMatchObject({ scanCount: 3, usualIntervalDays: null })
    f.scan(m, f.daysAgo(1))
    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())
    // Days 20, 5 and 1 ago: gaps 15 and 4 → 9.5.
    expect(activityOf(f.t, m)).toMatchObject({ scanCount: 4, usualIntervalDays: 9.5 })
  })

  it('scores RFM in quintiles of the brand and tags the top and bottom fifths', async () => {
    const f = await programmeFixture()
    const tea = f.product('TEA-1', { points: 10 })
    const ids: number[] = []
    for (let i = 0; i < 5; i++) {
      const m = f.member({ joinedAt: f.daysAgo(200) })
      ids.push(m)
      // Member i last scanned 50 − 10·i days ago, with i + 1 claims.
      for (let k = 0; k <= i; k++) f.claim(m, tea, f.daysAgo(50 - 10 * i + k), {})
    }
    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())
    expect(ids.map((id) => activityOf(f.t, id)).map((a) => [a?.rfmR, a?.rfmF, a?.rfmM])).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
      [4, 4, 4],
      [5, 5, 5],
    ])
    expect(tagsOf(f.t, ids[4]!).map((t) => t.tag)).toEqual(
      expect.arrayContaining(['rfm:r5', 'rfm:f5', 'rfm:m5']),
    )
    expect(tagsOf(f.t, ids[0]!).find((t) => t.tag === 'rfm:f1')?.reason).toBe(
      "frequency 1: 1 scan in the last 365 days; more than 0% of the brand's 5 scanning members",
    )
  })

  it('gives the same figures and tags when run again', async () => {
    const f = await programmeFixture()
    const tea = f.product('TEA-1', { category: 'Tea' })
    for (let i = 0; i < 6; i++) {
      const m = f.member({ joinedAt: f.daysAgo(20 + 40 * i) })
      for (let k = 0; k < i; k++)
        f.claim(m, tea, f.daysAgo(5 + 30 * k + i), { region: i % 2 ? 'CN-GD' : 'CN-SH' })
    }
    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())
    const first = snapshot(f.t)
    f.t.clock.advance(60_000)
    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())
    expect(snapshot(f.t)).toEqual(first)
    // Chunks of one member give the same answer as one chunk.
    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now(), { chunkSize: 1 })
    expect(snapshot(f.t)).toEqual(first)
  })

  it('replaces the automatic tags when they change, without duplicates, and leaves manual tags alone', async () => {
    const f = await programmeFixture()
    const m = f.member({ joinedAt: f.daysAgo(200) })
    f.scan(m, f.daysAgo(2), { region: 'CN-GD' })
    const manual = (tag: string) =>
      f.t.db
        .insert(memberTags)
        .values({
          memberId: m,
          brandId: f.brand.brandId,
          tag,
          source: 'manual',
          reason: 'met at the trade fair',
          createdByStaffId: f.brand.ownerId,
          createdAt: f.daysAgo(30),
        })
        .run()
    manual('vip')
    // A manual tag that happens to carry an automatic name stays manual.
    manual('region:CN-GD')

    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())
    expect(tagsOf(f.t, m)).toEqual([
      { tag: 'lifecycle:active', source: 'auto', reason: expect.stringContaining('2 days ago') },
      { tag: 'region:CN-GD', source: 'manual', reason: 'met at the trade fair' },
      { tag: 'rfm:f1', source: 'auto', reason: expect.any(String) },
      { tag: 'rfm:m1', source: 'auto', reason: expect.any(String) },
      { tag: 'rfm:r1', source: 'auto', reason: expect.any(String) },
      { tag: 'vip', source: 'manual', reason: 'met at the trade fair' },
    ])

    f.t.clock.advance(100 * DAY)
    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())
    const after = tagsOf(f.t, m)
    expect(after.filter((t) => t.tag.startsWith('lifecycle:'))).toEqual([
      {
        tag: 'lifecycle:dormant',
        source: 'auto',
        reason: expect.stringContaining('102 days ago; dormant after 90 days'),
      },
    ])
    expect(after.filter((t) => t.source === 'manual')).toHaveLength(2)
    expect(new Set(after.map((t) => t.tag)).size).toBe(after.length)
    const vip = f.t.db
      .select()
      .from(memberTags)
      .where(and(eq(memberTags.memberId, m), eq(memberTags.tag, 'vip')))
      .get()
    expect(vip).toMatchObject({ createdByStaffId: f.brand.ownerId, createdAt: f.daysAgo(130) })
  })

  it('drops the activity and automatic tags of erased and merged members, keeping manual tags', async () => {
    const f = await programmeFixture()
    const kept = f.member({ joinedAt: f.daysAgo(100) })
    const erased = f.member({ joinedAt: f.daysAgo(100) })
    const merged = f.member({ joinedAt: f.daysAgo(100) })
    for (const m of [kept, erased, merged]) f.scan(m, f.daysAgo(3))
    f.t.db
      .insert(memberTags)
      .values({
        memberId: erased,
        brandId: f.brand.brandId,
        tag: 'vip',
        source: 'manual',
        reason: 'x',
        createdAt: f.daysAgo(1),
      })
      .run()
    recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())
    expect(activityOf(f.t, erased)).toBeDefined()

    const now = f.t.clock.now()
    f.t.db.update(members).set({ deletedAt: now }).where(eq(members.id, erased)).run()
    f.t.db.update(members).set({ mergedIntoId: kept }).where(eq(members.id, merged)).run()
    const outcome = recomputeMemberTags(f.t.db, f.brand.brandId, now)

    expect(outcome.members).toBe(1)
    expect(activityOf(f.t, erased)).toBeUndefined()
    expect(activityOf(f.t, merged)).toBeUndefined()
    expect(tagsOf(f.t, erased)).toEqual([{ tag: 'vip', source: 'manual', reason: 'x' }])
    expect(tagsOf(f.t, merged)).toEqual([])
    expect(activityOf(f.t, kept)).toBeDefined()
  })

  it('keeps brands apart: another brand’s members, scans and claims neither count nor change', async () => {
    const f = await programmeFixture({ slug: 'tea' })
    const g = await programmeFixture({ t: f.t, slug: 'wine' })
    const wine = g.product('WINE-1', { points: 99 })
    const ours = f.member({ joinedAt: f.daysAgo(100) })
    const theirs = g.member({ joinedAt: g.daysAgo(100) })
    f.scan(ours, f.daysAgo(3))
    g.claim(theirs, wine, g.daysAgo(2), { region: 'CN-BJ' })

    const outcome = recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())

    expect(outcome.members).toBe(1)
    expect(activityOf(f.t, theirs)).toBeUndefined()
    expect(tagsOf(f.t, theirs)).toEqual([])
    expect(activityOf(f.t, ours)).toMatchObject({ scanCount: 1, claimCount: 0, pointsEarned: 0 })
    // The RFM distribution is the brand's own: its one scanning member is in it alone.
    expect(tagsOf(f.t, ours).find((t) => t.tag.startsWith('rfm:r'))?.reason).toContain(
      "of the brand's 1 scanning members",
    )
  })
})
