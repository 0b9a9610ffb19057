import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  conversions,
  DailyChart,
  FunnelChart,
  formatNumber,
  formatPercent,
  labelledIndexes,
  MeterBar,
  niceTicks,
} from '../../../views/admin/svg-charts.tsx'

const render = (node: unknown) => String(node)

const WEEK = [
  '2026-10-26',
  '2026-10-27',
  '2026-10-28',
  '2026-10-29',
  '2026-10-30',
  '2026-10-31',
  '2026-11-01',
]
const points = (values: number[]) => values.map((value, i) => ({ day: WEEK[i]!, value }))

describe('axis ticks', () => {
  it('start at zero and reach the largest value on a 1-2-5 step of whole numbers', () => {
    expect(niceTicks(0)).toEqual([0, 1])
    expect(niceTicks(1)).toEqual([0, 1])
    expect(niceTicks(3)).toEqual([0, 1, 2, 3])
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8])
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500])
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (max) => {
        const ticks = niceTicks(max)
        const step = ticks[1]! - ticks[0]!
        expect(ticks[0]).toBe(0)
        expect(ticks.at(-1)!).toBeGreaterThanOrEqual(max)
        expect(ticks.at(-1)! - step).toBeLessThan(max)
        expect(ticks.every((t, i) => Number.isInteger(t) && (i === 0 || t - ticks[i - 1]! === step))).toBe(
          true,
        )
        expect(String(step / 10 ** Math.floor(Math.log10(step)))).toMatch(/^[125]$/)
        expect(ticks.length).toBeLessThanOrEqual(6)
      }),
    )
  })

  it('label the first and last day and at most seven in all', () => {
    expect(labelledIndexes(3)).toEqual([0, 1, 2])
    expect(labelledIndexes(30)).toEqual([0, 5, 10, 15, 20, 25, 29])
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 366 }), (n) => {
        const idx = labelledIndexes(n)
        expect(idx[0]).toBe(0)
        expect(idx.at(-1)).toBe(n - 1)
        expect(idx.length).toBeLessThanOrEqual(7)
        expect(idx.every((v, i) => i === 0 || v > idx[i - 1]!)).toBe(true)
      }),
    )
  })
})

describe('a daily chart', () => {
  it('draws one bar per day with its day and value as a tooltip, and the same figures as a table', () => {
    const html = render(
      DailyChart({ title: 'Scans per day', kind: 'bar', unit: 'scans', points: points([3, 0, 12]) }),
    )
    expect(html.match(/<rect /g)).toHaveLength(3)
    expect(html).toContain('<title>2026-10-26: 3 scans</title>')
    expect(html).toContain('<title>2026-10-28: 12 scans</title>')
    expect(html).toContain('role="img"')
    expect(html).toContain('aria-label="Scans per day: total 15, 3 days, most on 2026-10-28 (12)"')
    expect(html).toContain('<tr><td>2026-10-27</td><td class="num">0</td></tr>')
    expect(html).not.toContain('<script')
  })

  it('draws the tallest bar to the top tick and a zero as no height', () => {
    const html = render(DailyChart({ title: 'Claims', kind: 'bar', unit: 'claims', points: points([10, 0]) }))
    const heights = [...html.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]))
    expect(heights[0]).toBeGreaterThan(0)
    expect(heights[1]).toBe(0)
  })

  it('draws a line through every day with a marker each', () => {
    const html = render(
      DailyChart({ title: 'Sign-ins', kind: 'line', unit: 'sign-ins', points: points([1, 2, 3, 4]) }),
    )
    expect(html).toContain('<polyline')
    expect(/points="([^"]+)"/.exec(html)![1]!.split(' ')).toHaveLength(4)
    expect(html.match(/<circle /g)).toHaveLength(4)
    expect(html).toContain('<title>2026-10-29: 4 sign-ins</title>')
  })

  it('labels the axes with compact numbers and short days', () => {
    const html = render(
      DailyChart({ title: 'Scans', kind: 'bar', unit: 'scans', points: points([15_000, 2_000]) }),
    )
    expect(html).toContain('>15k</text>')
    expect(html).toContain('>10-26</text>')
    expect(html).toContain('>10-27</text>')
  })

  it('says there is nothing to show when every day is zero', () => {
    const html = render(
      DailyChart({ title: 'Redemptions', kind: 'bar', unit: 'redemptions', points: points([0, 0]) }),
    )
    expect(html).not.toContain('<svg')
    expect(html).toContain('No redemptions in this range.')
  })

  it('shows a range figure that is not a sum when given one', () => {
    const html = render(
      DailyChart({
        title: 'Unique',
        kind: 'line',
        unit: 'scanners',
        points: points([3, 2]),
        total: '4 distinct',
      }),
    )
    expect(html).toContain('· 4 distinct')
    expect(html).not.toContain('total 5')
  })

  it('escapes a title and unit', () => {
    const html = render(DailyChart({ title: '<b>x</b>', kind: 'bar', unit: '<i>', points: points([1]) }))
    expect(html).not.toContain('<b>x</b>')
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;')
  })
})

describe('a funnel', () => {
  it('computes each step’s conversion from the step before, with no division by zero', () => {
    expect(conversions([10, 4, 2, 1])).toEqual([null, 0.4, 0.5, 0.5])
    expect(conversions([0, 0, 1])).toEqual([null, null, null])
    expect(formatPercent(2 / 3)).toBe('66.7%')
    expect([0, 999, 1000, 1234567, -1234.4].map(formatNumber)).toEqual([
      '0',
      '999',
      '1,000',
      '1,234,567',
      '-1,234',
    ])
    expect(formatPercent(null)).toBe('—')
  })

  it('draws a bar per step as wide as its share of the first, with the figures in a table', () => {
    const html = render(
      FunnelChart({
        title: 'Funnel',
        steps: [
          { label: 'Scanned', definition: 'devices', value: 1000, exact: false },
          { label: 'Claimed', definition: 'members', value: 250, exact: true },
        ],
      }),
    )
    const widths = [...html.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]))
    expect(widths[1]! / widths[0]!).toBeCloseTo(0.25, 2)
    expect(html).toContain('≈ 1,000')
    expect(html).toContain('<td class="num">25.0%</td>')
    expect(html).toContain('<td class="muted">devices</td>')
  })
})

describe('a meter bar', () => {
  it('fills its share, clamped to the bar', () => {
    expect(render(MeterBar({ fraction: 0.4, label: 'x' }))).toContain('width="40.0"')
    expect(render(MeterBar({ fraction: 7, label: 'x' }))).toContain('width="100.0"')
    expect(render(MeterBar({ fraction: Number.NaN, label: 'x' }))).toContain('width="0.0"')
  })
})
