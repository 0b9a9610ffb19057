import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  autoTagsOf,
  type BrandScales,
  calendarDaysBetween,
  lifecycleOf,
  type MemberFigures,
  preferredOf,
  rfmScale,
} from '../../../src/members/auto-tags.ts'

const DAY = 86_400_000
const HOUR = 3_600_000
// 2026-11-01 12:00 in China (04:00 UTC): a whole number of days back lands at the same China time.
const NOW = Date.UTC(2026, 10, 1, 4)
const daysAgo = (n: number) => NOW - n * DAY
const SETTINGS = { newDays: 30, activeDays: 90, churnDays: 365 }
const LONG_AGO = daysAgo(1000)

const stageOf = (joinedAt: number, lastScanAt: number | null) =>
  lifecycleOf({ joinedAt, lastScanAt }, SETTINGS, NOW).lifecycle

describe('the lifecycle rules, at each threshold and one day either side', () => {
  it('calls a member new up to and including the 30th day after joining, whether or not they scanned', () => {
    expect(stageOf(daysAgo(29), null)).toBe('new')
    expect(stageOf(daysAgo(30), null)).toBe('new')
    expect(stageOf(daysAgo(31), null)).toBe('dormant')
    expect(stageOf(daysAgo(30), daysAgo(1))).toBe('new')
    expect(stageOf(daysAgo(31), daysAgo(1))).toBe('active')
  })

  it('calls a member active while the last scan is at most 90 days old', () => {
    expect(stageOf(LONG_AGO, daysAgo(89))).toBe('active')
    expect(stageOf(LONG_AGO, daysAgo(90))).toBe('active')
    expect(stageOf(LONG_AGO, daysAgo(91))).toBe('dormant')
  })

  it('calls a member dormant up to 365 days after the last scan and churned from the day after', () => {
    expect(stageOf(LONG_AGO, daysAgo(364))).toBe('dormant')
    expect(stageOf(LONG_AGO, daysAgo(365))).toBe('dormant')
    expect(stageOf(LONG_AGO, daysAgo(366))).toBe('churned')
  })

  it('counts the join as the last scan of a member who never scanned: dormant to day 365, then churned', () => {
    expect(stageOf(daysAgo(364), null)).toBe('dormant')
    expect(stageOf(daysAgo(365), null)).toBe('dormant')
    expect(stageOf(daysAgo(366), null)).toBe('churned')
  })

  it('follows the brand’s own thresholds', () => {
    const t = { newDays: 7, activeDays: 14, churnDays: 60 }
    const at = (joined: number, last: number | null) =>
      lifecycleOf({ joinedAt: joined, lastScanAt: last }, t, NOW)
    expect(at(daysAgo(7), null).lifecycle).toBe('new')
    expect(at(daysAgo(8), daysAgo(14)).lifecycle).toBe('active')
    expect(at(daysAgo(100), daysAgo(15)).lifecycle).toBe('dormant')
    expect(at(daysAgo(100), daysAgo(61)).lifecycle).toBe('churned')
  })

  it('counts calendar days in China time, not 24-hour periods', () => {
    // 23:30 China time yesterday is one day ago, though only 12.5 hours have passed.
    const lateYesterday = Date.UTC(2026, 9, 31, 15, 30)
    expect(calendarDaysBetween(lateYesterday, NOW)).toBe(1)
    // 00:10 China time today (still 31 October in UTC) is today.
    const earlyToday = Date.UTC(2026, 9, 31, 16, 10)
    expect(calendarDaysBetween(earlyToday, NOW)).toBe(0)
    // So the 90-day edge moves at China midnight: 90 days and 11 hours back is still day 90.
    expect(stageOf(LONG_AGO, daysAgo(90) - 11 * HOUR)).toBe('active')
    expect(stageOf(LONG_AGO, daysAgo(90) - 13 * HOUR)).toBe('dormant')
  })

  it('says in the reason how it was computed, with the member’s own dates and the thresholds', () => {
    const dormant = lifecycleOf({ joinedAt: LONG_AGO, lastScanAt: daysAgo(123) }, SETTINGS, NOW)
    expect(dormant.reason).toBe(
      'last scan 2026-07-01, 123 days ago; dormant after 90 days without a scan, churned after 365',
    )
    expect(lifecycleOf({ joinedAt: daysAgo(3), lastScanAt: null }, SETTINGS, NOW).reason).toBe(
      'joined 2026-10-29, 3 days ago; new for 30 days after joining',
    )
    expect(lifecycleOf({ joinedAt: daysAgo(400), lastScanAt: null }, SETTINGS, NOW).reason).toContain(
      'never scanned; churned after 365 days',
    )
    expect(lifecycleOf({ joinedAt: LONG_AGO, lastScanAt: NOW }, SETTINGS, NOW).reason).toContain(
      'last scan 2026-11-01, today',
    )
  })
})

describe('RFM scores: quintiles within the brand', () => {
  const scores = (values: number[]) => {
    const scale = rfmScale(values)
    return values.map((v) => scale.score(v).score)
  }

  it('gives the lowest fifth 1 and the top fifth 5', () => {
    expect(scores([1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5])
    expect(scores([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1])
  })

  it('moves up a score exactly at each quintile edge', () => {
    const scale = rfmScale(Array.from({ length: 100 }, (_, i) => i))
    expect([19, 20, 39, 40, 59, 60, 79, 80].map((v) => scale.score(v).score)).toEqual([
      1, 2, 2, 3, 3, 4, 4, 5,
    ])
    expect(scale.score(0)).toEqual({ score: 1, below: 0 })
    expect(scale.score(99)).toEqual({ score: 5, below: 99 })
  })

  it('gives equal figures equal scores, placed where the lowest of them would be', () => {
    expect(scores([3, 3, 3, 3, 3])).toEqual([1, 1, 1, 1, 1])
    expect(scores([1, 1, 1, 1, 9])).toEqual([1, 1, 1, 1, 5])
    expect(scores([0, 5, 5, 5, 5, 5, 5, 5, 5, 9])).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 5])
  })

  it('scores a figure outside the distribution by where it would sit', () => {
    const scale = rfmScale([10, 20, 30, 40, 50])
    expect(scale.score(5).score).toBe(1)
    expect(scale.score(1000).score).toBe(5)
    expect(rfmScale([]).score(7)).toEqual({ score: 1, below: 0 })
  })

  it('never lowers a score for a higher figure, and keeps every score between 1 and 5', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }), (values) => {
        const scale = rfmScale(values)
        const sorted = [...values].sort((a, b) => a - b)
        const s = sorted.map((v) => scale.score(v).score)
        for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThanOrEqual(s[i - 1]!)
        for (const x of s) expect(x >= 1 && x <= 5).toBe(true)
        // At most a fifth of the members (plus ties) can score 5.
        const fives = sorted.filter((v) => scale.score(v).score === 5)
        if (fives.length > 0)
          expect(sorted.filter((v) => v < fives[0]!).length).toBeGreaterThanOrEqual(0.8 * values.length)
      }),
    )
  })
})

describe('preferences: the most claims or scans, ties to the most recent', () => {
  it('prefers the higher count over the more recent', () => {
    expect(
      preferredOf([
        { key: 'CN-GD', count: 3, lastAt: 1 },
        { key: 'CN-SH', count: 2, lastAt: 9 },
      ]),
    ).toEqual({ key: 'CN-GD', count: 3, lastAt: 1, total: 5 })
  })

  it('breaks a tie in count by the most recent, and a tie in both by the lowest key', () => {
    expect(
      preferredOf([
        { key: 'CN-GD', count: 3, lastAt: 5 },
        { key: 'CN-SH', count: 3, lastAt: 9 },
        { key: 'CN-BJ', count: 1, lastAt: 10 },
      ])?.key,
    ).toBe('CN-SH')
    expect(
      preferredOf([
        { key: 7, count: 2, lastAt: 5 },
        { key: 3, count: 2, lastAt: 5 },
      ])?.key,
    ).toBe(3)
  })

  it('has no preference without claims or scans', () => {
    expect(preferredOf([])).toBeNull()
  })
})

describe('the automatic tags of a member', () => {
  const flat = rfmScale([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  const scales: BrandScales = { r: rfmScale([]), f: flat, m: flat }
  const figures: MemberFigures = {
    joinedAt: LONG_AGO,
    lastScanAt: daysAgo(2),
    recentScans: 7,
    pointsEarned: 3,
    product: { sku: 'TEA-1', name: 'Oolong', claims: 5, ofClaims: 8 },
    category: { name: 'Tea', claims: 7, ofClaims: 8 },
    region: { code: 'CN-GD', scans: 4, ofScans: 6 },
  }

  it('tags lifecycle, RFM, product, category and region, each with a reason in the member’s figures', () => {
    const r = rfmScale(
      [daysAgo(300), daysAgo(100), daysAgo(2), daysAgo(1)].map((t) => Math.floor((t + 8 * HOUR) / DAY)),
    )
    const verdict = autoTagsOf(figures, SETTINGS, { ...scales, r }, NOW)
    expect(verdict.lifecycle).toBe('active')
    expect(verdict.rfm).toEqual({ r: 3, f: 4, m: 2 })
    expect(Object.fromEntries(verdict.tags.map((t) => [t.tag, t.reason]))).toEqual({
      'lifecycle:active':
        'last scan 2026-10-30, 2 days ago; active while the last scan is at most 90 days old',
      'rfm:r3':
        "recency 3: last scan 2026-10-30, 2 days ago; more recent than 50% of the brand's 4 scanning members",
      'rfm:f4': "frequency 4: 7 scans in the last 365 days; more than 70% of the brand's 10 scanning members",
      'rfm:m2':
        "monetary 2: 3 points earned in the last 365 days; more than 30% of the brand's 10 scanning members",
      'product:TEA-1': 'most claimed product: TEA-1 (Oolong), 5 of 8 claims',
      'category:Tea': 'most claimed category: Tea, 7 of 8 claims',
      'region:CN-GD': 'most scans from CN-GD: 4 of 6 located scans',
    })
  })

  it('gives a member who never scanned a lifecycle tag only, and no RFM scores', () => {
    const verdict = autoTagsOf(
      {
        ...figures,
        joinedAt: daysAgo(100),
        lastScanAt: null,
        recentScans: 0,
        pointsEarned: 0,
        product: null,
        category: null,
        region: null,
      },
      SETTINGS,
      scales,
      NOW,
    )
    expect(verdict.rfm).toBeNull()
    expect(verdict.tags.map((t) => t.tag)).toEqual(['lifecycle:dormant'])
  })
})
