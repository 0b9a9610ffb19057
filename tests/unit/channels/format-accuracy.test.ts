import { describe, expect, it } from 'vitest'
import { formatAccuracy } from '../../../views/admin/cases-pages.tsx'

describe("a case page's location accuracy", () => {
  it('reads in metres for a phone fix and in kilometres for an IP radius', () => {
    expect(formatAccuracy(18.4)).toBe('±18 m')
    expect(formatAccuracy(999)).toBe('±999 m')
    expect(formatAccuracy(1000)).toBe('±1 km')
    expect(formatAccuracy(2500)).toBe('±2.5 km')
    expect(formatAccuracy(50_000)).toBe('±50 km')
  })
})
