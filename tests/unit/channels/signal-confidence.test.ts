import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bulkClaimConfidence, bulkClaimFires } from '../../../src/channels/bulk-claim-check.ts'
import { deviceCountConfidence, locationConfidence } from '../../../src/channels/diversion-check.ts'

describe('off-region confidence: base(source) × d / (d + r)', () => {
  it('keeps nearly all of the GPS base when the accuracy circle is small next to the distance', () => {
    expect(locationConfidence('gps', 20, 863)).toBe(0.95)
    expect(locationConfidence('gps', 5_000, 863)).toBe(0.94)
  })

  it('is weak when the accuracy circle reaches across the border', () => {
    // ±50 km, 30 km outside: 0.95 × 30 / 80.
    expect(locationConfidence('gps', 50_000, 30)).toBe(0.36)
    // At d = r: half the base.
    expect(locationConfidence('gps', 40_000, 40)).toBe(0.48)
  })

  it('trusts an IP location little, and assumes a 50 km radius when it has none', () => {
    expect(locationConfidence('ip', null, 863)).toBe(0.28)
    expect(locationConfidence('ip', 0, 50)).toBe(0.15)
    expect(locationConfidence('ip', 25_000, 1_000)).toBe(0.29)
  })

  it('is 0 at no distance, never above the source base, and falls as accuracy worsens', () => {
    expect(locationConfidence('gps', 20, 0)).toBe(0)
    fc.assert(
      fc.property(
        fc.constantFrom('gps' as const, 'ip' as const),
        fc.double({ min: 0.01, max: 20_000, noNaN: true }),
        fc.double({ min: 1, max: 1_000_000, noNaN: true }),
        fc.double({ min: 1, max: 1_000_000, noNaN: true }),
        (source, km, a, b) => {
          const c = locationConfidence(source, a, km)
          expect(c).toBeGreaterThanOrEqual(0)
          expect(c).toBeLessThanOrEqual(source === 'gps' ? 0.95 : 0.3)
          const [better, worse] = a < b ? [a, b] : [b, a]
          expect(locationConfidence(source, better, km)).toBeGreaterThanOrEqual(
            locationConfidence(source, worse, km),
          )
        },
      ),
    )
  })
})

describe('device-count and bulk-claim confidence', () => {
  it('rises with phones past the limit, at most 0.95', () => {
    expect(deviceCountConfidence(4, 3)).toBe(0.65)
    expect(deviceCountConfidence(5, 3)).toBe(0.8)
    expect(deviceCountConfidence(30, 3)).toBe(0.95)
  })

  it('starts at 0.6 at the threshold, rises per threshold’s worth of claims, and more for a serial run', () => {
    expect(bulkClaimConfidence(20, 20, false)).toBe(0.6)
    expect(bulkClaimConfidence(20, 20, true)).toBe(0.7)
    expect(bulkClaimConfidence(30, 20, false)).toBe(0.77)
    expect(bulkClaimConfidence(200, 20, true)).toBe(0.95)
  })

  it('files a bulk-claim signal at the threshold and at every further threshold’s worth of claims', () => {
    const fired = Array.from({ length: 70 }, (_, i) => i + 1).filter((n) => bulkClaimFires(n, 20))
    expect(fired).toEqual([20, 40, 60])
    expect(bulkClaimFires(1, 1)).toBe(true)
    expect(bulkClaimFires(2, 1)).toBe(true)
  })
})
