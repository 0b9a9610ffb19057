import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DistinctCounter, EXACT_LIMIT, hash53 } from '../../../src/dashboard/distinct-counter.ts'

/** 2^11 registers: standard error 1.04 / √2048 ≈ 2.3 %. */
const THREE_SIGMA = 0.07

const counterOf = (values: Iterable<string>) => {
  const c = new DistinctCounter()
  for (const v of values) c.add(v)
  return c
}
const roundTrip = (c: DistinctCounter) => DistinctCounter.fromJSON(JSON.parse(JSON.stringify(c)))

describe('distinct counts over days', () => {
  it('counts exactly up to the exact limit, through storage and merges', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string(), { maxLength: 60 }), { maxLength: 4 }), (days) => {
        const merged = new DistinctCounter()
        for (const day of days) merged.merge(roundTrip(counterOf(day)))
        const truth = new Set(days.flat()).size
        expect(merged.isExact()).toBe(true)
        expect(merged.count()).toBe(truth)
      }),
    )
  })

  it('turns into a sketch above the limit and estimates within 3 standard errors up to a million', () => {
    for (const n of [EXACT_LIMIT + 1, 5_000, 100_000, 1_000_000]) {
      const c = counterOf(Array.from({ length: n }, (_, i) => `device-${i}`))
      expect(c.isExact()).toBe(false)
      expect(Math.abs(c.count() - n) / n).toBeLessThan(THREE_SIGMA)
    }
  })

  it('merges sketches as the union: overlapping days are not counted twice', () => {
    const days = Array.from({ length: 30 }, (_, d) =>
      roundTrip(counterOf(Array.from({ length: 2_000 }, (_, i) => `device-${(d * 500 + i) % 20_000}`))),
    )
    const merged = new DistinctCounter()
    for (const day of days) merged.merge(day)
    // 30 days of 2,000 scanners each, shifting by 500 a day: 16,500 distinct.
    expect(Math.abs(merged.count() - 16_500) / 16_500).toBeLessThan(THREE_SIGMA)
    const exactIntoSketch = roundTrip(counterOf(['device-1', 'someone-new']))
    merged.merge(exactIntoSketch)
    expect(merged.isExact()).toBe(false)
  })

  it('keeps a stored sketch small (2 KiB of registers)', () => {
    const json = JSON.stringify(counterOf(Array.from({ length: 50_000 }, (_, i) => `d${i}`)))
    expect(json.length).toBeLessThan(3_000)
    expect(() => DistinctCounter.fromJSON({ h: 'AAAA' })).toThrow(/registers/)
  })

  it('hashes to 53 bits, spread over the registers', () => {
    const buckets = new Array(16).fill(0)
    for (let i = 0; i < 16_000; i++) {
      const h = hash53(`x${i}`)
      expect(Number.isSafeInteger(h) && h >= 0).toBe(true)
      buckets[h % 16]++
    }
    for (const b of buckets) expect(Math.abs(b - 1000)).toBeLessThan(150)
  })
})
