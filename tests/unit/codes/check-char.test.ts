import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkCharFor, hasValidCheckChar } from '../../../src/codes/check-char.ts'
import { CROCKFORD_ALPHABET } from '../../../src/codes/crockford.ts'
import { crockfordString } from './arbitraries.ts'

const body = fc.integer({ min: 1, max: 30 }).chain((n) => crockfordString(n))

describe('the check character', () => {
  it('makes every body valid once appended', () => {
    fc.assert(
      fc.property(body, (b) => {
        expect(hasValidCheckChar(b + checkCharFor(b))).toBe(true)
      }),
    )
  })

  it('catches every single wrong character, the check character included', () => {
    fc.assert(
      fc.property(body, (b) => {
        const full = b + checkCharFor(b)
        for (let i = 0; i < full.length; i++) {
          for (const ch of CROCKFORD_ALPHABET) {
            if (ch === full[i]) continue
            expect(hasValidCheckChar(full.slice(0, i) + ch + full.slice(i + 1))).toBe(false)
          }
        }
      }),
      { numRuns: 200 },
    )
  })

  it('catches every swap of two different neighbours, the check character included', () => {
    fc.assert(
      fc.property(body, (b) => {
        const full = b + checkCharFor(b)
        for (let i = 0; i + 1 < full.length; i++) {
          if (full[i] === full[i + 1]) continue
          const swapped = full.slice(0, i) + full[i + 1] + full[i] + full.slice(i + 2)
          expect(hasValidCheckChar(swapped)).toBe(false)
        }
      }),
    )
  })

  it('rejects empty and non-Crockford strings instead of throwing', () => {
    expect(hasValidCheckChar('')).toBe(false)
    expect(hasValidCheckChar('AB-C')).toBe(false)
    expect(() => checkCharFor('ABU')).toThrow(RangeError)
  })
})
