import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addCalendarMonths,
  chinaDateKey,
  chinaDayStart,
  chinaMonthKey,
  chinaWeekStart,
} from '../../../src/points/points-calendar.ts'
import {
  applyMultiplier,
  nextTierProgress,
  type TierRule,
  tierAfterEarning,
  tierFor,
} from '../../../src/points/tier-rules.ts'

const tiersArb = fc
  .uniqueArray(fc.nat(10_000), { maxLength: 6 })
  .chain((thresholds) =>
    fc
      .tuple(...thresholds.map(() => fc.integer({ min: 100, max: 500 })))
      .map((pcts) =>
        thresholds.map(
          (threshold, i): TierRule => ({ id: i + 1, name: `T${i}`, threshold, multiplierPct: pcts[i]! }),
        ),
      ),
  )
const earnedArb = fc.nat(20_000)

describe('tier rules', () => {
  it('gives the highest tier whose threshold the earned points reach', () => {
    const tiers = [
      { id: 1, name: 'Silver', threshold: 500, multiplierPct: 120 },
      { id: 2, name: 'Gold', threshold: 2000, multiplierPct: 150 },
    ]
    expect(tierFor(499, tiers)).toBeNull()
    expect(tierFor(500, tiers)?.name).toBe('Silver')
    expect(tierFor(1999, tiers)?.name).toBe('Silver')
    expect(tierFor(5000, tiers)?.name).toBe('Gold')
    expect(nextTierProgress(100, tiers)).toEqual({ next: tiers[0], needed: 400 })
    expect(nextTierProgress(2000, tiers)).toEqual({ next: null, needed: 0 })
  })

  it('never gives a lower tier for more points (monotonic in points earned)', () => {
    fc.assert(
      fc.property(tiersArb, earnedArb, fc.nat(5_000), (tiers, a, more) => {
        expect(tierFor(a + more, tiers)?.threshold ?? -1).toBeGreaterThanOrEqual(
          tierFor(a, tiers)?.threshold ?? -1,
        )
      }),
    )
  })

  it('gives a tier whose threshold is reached, and no reached tier above it', () => {
    fc.assert(
      fc.property(tiersArb, earnedArb, (tiers, earned) => {
        const tier = tierFor(earned, tiers)
        if (tier) expect(tier.threshold).toBeLessThanOrEqual(earned)
        for (const t of tiers)
          if (t.threshold <= earned) expect(tier!.threshold).toBeGreaterThanOrEqual(t.threshold)
      }),
    )
  })

  it('points to the next tier exactly: reaching `needed` more points reaches it', () => {
    fc.assert(
      fc.property(tiersArb, earnedArb, (tiers, earned) => {
        const { next, needed } = nextTierProgress(earned, tiers)
        if (!next) {
          expect(tiers.every((t) => t.threshold <= earned)).toBe(true)
          return
        }
        expect(needed).toBeGreaterThan(0)
        expect(tierFor(earned + needed, tiers)?.id).toBe(next.id)
        expect(tierFor(earned + needed - 1, tiers)?.id).toBe(tierFor(earned, tiers)?.id)
      }),
    )
  })

  it('never lowers a tier on earning (upgrade at once, downgrade only at review)', () => {
    fc.assert(
      fc.property(
        tiersArb,
        earnedArb,
        fc.option(fc.nat(5), { nil: undefined }),
        (tiers, earned, heldIndex) => {
          const held = heldIndex === undefined ? null : (tiers[heldIndex] ?? null)
          const after = tierAfterEarning(held, earned, tiers)
          expect(after?.threshold ?? -1).toBeGreaterThanOrEqual(held?.threshold ?? -1)
          expect(after?.threshold ?? -1).toBeGreaterThanOrEqual(tierFor(earned, tiers)?.threshold ?? -1)
        },
      ),
    )
  })

  it('rounds multiplied points down and never below the product points', () => {
    expect(applyMultiplier(15, 150)).toBe(22)
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.integer({ min: 100, max: 500 }), (points, pct) => {
        const credited = applyMultiplier(points, pct)
        expect(Number.isSafeInteger(credited)).toBe(true)
        expect(credited).toBeGreaterThanOrEqual(points)
        expect(credited).toBeLessThanOrEqual((points * pct) / 100)
      }),
    )
  })
})

describe('the points calendar', () => {
  it('starts the China day at 16:00 UTC and the ISO week on Monday 00:00 China time', () => {
    // 2026-11-08 is a Sunday; 23:59 there is 15:59 UTC.
    const sundayLate = Date.UTC(2026, 10, 8, 15, 59)
    expect(chinaDayStart(sundayLate)).toBe(Date.UTC(2026, 10, 7, 16))
    expect(chinaDayStart(sundayLate + 60_000)).toBe(Date.UTC(2026, 10, 8, 16))
    expect(chinaWeekStart(sundayLate)).toBe(Date.UTC(2026, 10, 1, 16))
    expect(chinaWeekStart(sundayLate + 60_000)).toBe(Date.UTC(2026, 10, 8, 16))
    expect(chinaDateKey(sundayLate + 60_000)).toBe('2026-11-09')
    expect(chinaMonthKey(Date.UTC(2026, 10, 30, 16))).toBe('2026-12')
  })

  it('puts every instant in a day and a week that contain it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), (now) => {
        const day = chinaDayStart(now)
        const week = chinaWeekStart(now)
        expect(day).toBeLessThanOrEqual(now)
        expect(now - day).toBeLessThan(86_400_000)
        expect(week).toBeLessThanOrEqual(day)
        expect(now - week).toBeLessThan(7 * 86_400_000)
        expect(new Date(week + 8 * 3_600_000).getUTCDay()).toBe(1)
      }),
    )
  })

  it('adds calendar months, clamping to the end of a shorter month', () => {
    expect(addCalendarMonths(Date.UTC(2026, 0, 31, 10), 1)).toBe(Date.UTC(2026, 1, 28, 10))
    expect(addCalendarMonths(Date.UTC(2027, 10, 1), 12)).toBe(Date.UTC(2028, 10, 1))
    expect(addCalendarMonths(Date.UTC(2027, 11, 15), 3)).toBe(Date.UTC(2028, 2, 15))
  })
})
