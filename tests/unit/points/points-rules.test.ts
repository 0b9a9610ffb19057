import { and, eq } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import {
  BRAND_ACCOUNTS,
  balanceOf,
  checkLedger,
  MEMBER_ACCOUNT,
  postTransaction,
} from '../../../src/points/ledger-store.ts'
import {
  createTier,
  DEFAULT_POINT_SETTINGS,
  deleteTier,
  listTiers,
  readPointSettings,
  savePointSettings,
  updateTier,
} from '../../../src/points/point-settings-store.ts'
import { addCalendarMonths } from '../../../src/points/points-calendar.ts'
import { ledgerEntries } from '../../../src/points/points-schema.ts'
import { earnedInWindow, heldTier, reviewTiers, tierStatus } from '../../../src/points/tier-store.ts'
import { auditLog } from '../../../src/staff/staff-schema.ts'
import { pointsFixture } from '../../support/points-fixture.ts'
import type { TestApp } from '../../support/test-app.ts'

const owner = { staffId: null, label: 'owner@tea.test' }
const DAY = 86_400_000
let current: TestApp | undefined

afterEach(() => {
  if (current) expect(checkLedger(current.db.$client)).toEqual([])
  current = undefined
})

async function setup(opts: Parameters<typeof pointsFixture>[0] = {}) {
  const f = await pointsFixture(opts)
  current = f.t
  const settings = (s: Partial<typeof DEFAULT_POINT_SETTINGS>) =>
    savePointSettings(f.bdb, owner, { ...DEFAULT_POINT_SETTINGS, ...s }, f.t.clock.now())
  return { ...f, settings }
}

describe('the brand’s points settings', () => {
  it('default to no expiry, no caps and a 365-day tier window, and are saved with an audit record', async () => {
    const { t, brand, settings } = await setup()
    expect(readPointSettings(t.db, brand.brandId)).toEqual({
      expiryMonths: null,
      dailyCap: null,
      weeklyCap: null,
      tierWindowDays: 365,
    })
    settings({ expiryMonths: 12, dailyCap: 100 })
    settings({ expiryMonths: 24, dailyCap: 100 })
    expect(readPointSettings(t.db, brand.brandId)).toMatchObject({ expiryMonths: 24, dailyCap: 100 })
    const audits = t.db.select().from(auditLog).where(eq(auditLog.action, 'points.settings.update')).all()
    expect(audits).toHaveLength(2)
  })

  it('keeps tier names and thresholds unique, and moves the members of a deleted tier down', async () => {
    const { t, brand, bdb, member, claim } = await setup({ points: 50 })
    const silver = createTier(bdb, owner, { name: 'Silver', threshold: 40, multiplierPct: 120 }, 0)
    const gold = createTier(bdb, owner, { name: 'Gold', threshold: 100, multiplierPct: 150 }, 0)
    expect(createTier(bdb, owner, { name: 'Silver', threshold: 7, multiplierPct: 100 }, 0)).toEqual({
      kind: 'name-taken',
    })
    expect(createTier(bdb, owner, { name: 'Bronze', threshold: 40, multiplierPct: 100 }, 0)).toEqual({
      kind: 'threshold-taken',
    })
    if (silver.kind !== 'saved' || gold.kind !== 'saved') throw new Error('tiers not saved')
    expect(
      updateTier(bdb, owner, gold.tier.id, { name: 'Gold', threshold: 40, multiplierPct: 150 }, 0),
    ).toEqual({
      kind: 'threshold-taken',
    })
    const alice = member()
    claim(0, alice)
    claim(1, alice)
    expect(heldTier(t.db, brand.brandId, alice)?.name).toBe('Gold')
    expect(deleteTier(bdb, owner, gold.tier.id, 0)).toEqual({ kind: 'deleted', movedMembers: 1 })
    expect(heldTier(t.db, brand.brandId, alice)?.name).toBe('Silver')
    expect(listTiers(t.db, brand.brandId).map((x) => x.name)).toEqual(['Silver'])
  })
})

describe('claiming under the brand’s rules', () => {
  it('credits the product points times the tier multiplier, rounded down, from the claim after the upgrade', async () => {
    const { t, brand, bdb, member, claim } = await setup({ points: 15 })
    createTier(bdb, owner, { name: 'Silver', threshold: 30, multiplierPct: 150 }, 0)
    const alice = member()
    expect(claim(0, alice)).toMatchObject({ kind: 'claimed', points: 15 })
    expect(heldTier(t.db, brand.brandId, alice)).toBeNull()
    // This claim reaches 30 earned: the upgrade happens at once, inside the claim.
    expect(claim(1, alice)).toMatchObject({ kind: 'claimed', points: 15 })
    expect(heldTier(t.db, brand.brandId, alice)?.name).toBe('Silver')
    expect(claim(2, alice)).toMatchObject({ kind: 'claimed', points: 22, balance: 52 })
    expect(balanceOf(t.db, brand.brandId, alice)).toBe(52)
  })

  it('gives each claim an earning lot that expires the configured calendar months later', async () => {
    const { t, brand, member, claim, settings } = await setup()
    const alice = member()
    claim(0, alice)
    settings({ expiryMonths: 12 })
    claim(1, alice)
    const lots = t.db
      .select({ expiresAt: ledgerEntries.expiresAt })
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.brandId, brand.brandId), eq(ledgerEntries.memberId, alice)))
      .orderBy(ledgerEntries.id)
      .all()
    expect(lots.map((l) => l.expiresAt)).toEqual([null, addCalendarMonths(t.clock.now(), 12)])
  })

  it('keeps a code over the daily cap claimable from midnight China time', async () => {
    const { t, brand, member, claim, codeState, settings } = await setup({ points: 10 })
    settings({ dailyCap: 20 })
    const alice = member()
    // 2026-11-02 23:59 in Shanghai.
    t.clock.set(Date.UTC(2026, 10, 2, 15, 59))
    expect(claim(0, alice)).toMatchObject({ kind: 'claimed' })
    expect(claim(1, alice)).toMatchObject({ kind: 'claimed' })
    expect(claim(2, alice)).toEqual({
      kind: 'over-cap',
      cap: 'daily',
      claimableFrom: Date.UTC(2026, 10, 2, 16),
    })
    expect(codeState(2)).toBe('activated')
    t.clock.advance(60_000)
    expect(claim(2, alice)).toMatchObject({ kind: 'claimed', points: 10, balance: 30 })
    expect(codeState(2)).toBe('claimed')
    expect(balanceOf(t.db, brand.brandId, alice)).toBe(30)
  })

  it('keeps a code over the weekly cap claimable next week (Monday 00:00 China time)', async () => {
    const { t, member, claim, codeState, settings } = await setup({ points: 10 })
    settings({ weeklyCap: 30 })
    const alice = member()
    const bob = member()
    t.clock.set(Date.UTC(2026, 10, 2, 16)) // Monday 2026-11-03 00:00 China time
    expect(claim(0, alice)).toMatchObject({ kind: 'claimed' })
    t.clock.set(Date.UTC(2026, 10, 8, 15, 59)) // Sunday 2026-11-08 23:59
    expect(claim(1, alice)).toMatchObject({ kind: 'claimed' })
    expect(claim(2, alice)).toMatchObject({ kind: 'claimed' })
    expect(claim(3, alice)).toEqual({
      kind: 'over-cap',
      cap: 'weekly',
      claimableFrom: Date.UTC(2026, 10, 8, 16),
    })
    // Another member's caps are their own.
    expect(claim(3, bob)).toMatchObject({ kind: 'claimed' })
    expect(claim(4, alice)).toMatchObject({ kind: 'over-cap', cap: 'weekly' })
    expect(codeState(4)).toBe('activated')
    t.clock.advance(60_000)
    expect(claim(4, alice)).toMatchObject({ kind: 'claimed' })
  })

  it('answers the weekly cap when both caps are reached, and lets a code worth more than a cap open a period', async () => {
    const { t, member, claim, settings } = await setup({ points: 25 })
    settings({ dailyCap: 20, weeklyCap: 20 })
    const alice = member()
    t.clock.set(Date.UTC(2026, 10, 4, 4)) // Wednesday noon in Shanghai
    expect(claim(0, alice)).toMatchObject({ kind: 'claimed', points: 25 })
    expect(claim(1, alice)).toEqual({
      kind: 'over-cap',
      cap: 'weekly',
      claimableFrom: Date.UTC(2026, 10, 8, 16),
    })
  })
})

describe('tiers over time', () => {
  it('counts points earned in the window, not the balance: redeeming does not lower the tier', async () => {
    const { t, brand, bdb, member, claim } = await setup({ points: 50 })
    createTier(bdb, owner, { name: 'Silver', threshold: 100, multiplierPct: 100 }, 0)
    const alice = member()
    claim(0, alice)
    claim(1, alice)
    postTransaction(
      t.db,
      brand.brandId,
      {
        kind: 'redemption',
        memo: 'tea cup',
        entries: [
          { account: MEMBER_ACCOUNT, memberId: alice, amount: -80 },
          { account: BRAND_ACCOUNTS.redeemed, amount: 80 },
        ],
      },
      t.clock.now(),
    )
    expect(earnedInWindow(t.db, brand.brandId, alice, t.clock.now())).toBe(100)
    expect(reviewTiers(t.db, brand.brandId, t.clock.now())).toMatchObject({ kind: 'reviewed', lowered: 0 })
    expect(tierStatus(t.db, brand.brandId, alice, t.clock.now())).toMatchObject({
      tier: { name: 'Silver' },
      earned: 100,
      next: null,
    })
  })

  it('lowers a tier only at the monthly review, once per month', async () => {
    const { t, brand, bdb, member, claim, settings } = await setup({ points: 50 })
    settings({ tierWindowDays: 30 })
    createTier(bdb, owner, { name: 'Silver', threshold: 100, multiplierPct: 100 }, 0)
    const alice = member()
    claim(0, alice)
    claim(1, alice)
    expect(heldTier(t.db, brand.brandId, alice)?.name).toBe('Silver')
    t.clock.advance(40 * DAY)
    expect(earnedInWindow(t.db, brand.brandId, alice, t.clock.now(), 30)).toBe(0)
    // The window has passed, but nothing lowers the tier before the review.
    expect(claim(2, alice)).toMatchObject({ kind: 'claimed', points: 50 })
    expect(heldTier(t.db, brand.brandId, alice)?.name).toBe('Silver')
    expect(reviewTiers(t.db, brand.brandId, t.clock.now())).toMatchObject({ kind: 'reviewed', lowered: 1 })
    expect(heldTier(t.db, brand.brandId, alice)).toBeNull()
    expect(reviewTiers(t.db, brand.brandId, t.clock.now() + DAY)).toMatchObject({ kind: 'already-ran' })
    // Earning again raises at once, without waiting for a review.
    claim(3, alice)
    expect(heldTier(t.db, brand.brandId, alice)?.name).toBe('Silver')
  })
})
