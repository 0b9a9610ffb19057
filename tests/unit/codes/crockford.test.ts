import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CROCKFORD_ALPHABET,
  encodeBitsToCrockford,
  isCrockford,
  normalizeCodeInput,
} from '../../../src/codes/crockford.ts'

/** The obvious, slow reading of "first chars*5 bits, big-endian", as a referee. */
function referenceEncode(bytes: Uint8Array, chars: number): string {
  const bits = [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('')
  let out = ''
  for (let i = 0; i < chars; i++) out += CROCKFORD_ALPHABET[Number.parseInt(bits.slice(i * 5, i * 5 + 5), 2)]
  return out
}

describe('the Crockford alphabet', () => {
  it('has 32 distinct characters and none that people confuse: no I, L, O or U', () => {
    expect(new Set(CROCKFORD_ALPHABET).size).toBe(32)
    expect(CROCKFORD_ALPHABET).not.toMatch(/[ILOU]/)
  })

  it('reads typed input the way Crockford intends: any case, dashes and spaces ignored, I/L as 1, O as 0', () => {
    expect(normalizeCodeInput(' ab-cd ef\tgh ')).toBe('ABCDEFGH')
    expect(normalizeCodeInput('iIlLoO')).toBe('111100')
  })

  it('reads full-width characters and Unicode dashes the way their ASCII counterparts read', () => {
    const dashes = ['-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFF0D']
    const typed = fc.array(
      fc.record({
        ch: fc.constantFrom(...CROCKFORD_ALPHABET, ...'abcilo'),
        wide: fc.boolean(),
        dash: fc.option(fc.constantFrom(...dashes), { nil: '' }),
      }),
      { maxLength: 40 },
    )
    fc.assert(
      fc.property(typed, (parts) => {
        const ascii = parts.map((p) => p.ch).join('')
        const wide = parts
          .map((p) => (p.wide ? String.fromCharCode(p.ch.charCodeAt(0) + 0xfee0) : p.ch) + p.dash)
          .join('')
        expect(normalizeCodeInput(`\u3000${wide} `)).toBe(normalizeCodeInput(ascii))
      }),
    )
    expect(normalizeCodeInput('ＡＢ１－２—３')).toBe('AB123')
  })

  it('keeps U, so that a U is refused rather than guessed', () => {
    expect(normalizeCodeInput('u')).toBe('U')
    expect(isCrockford('U')).toBe(false)
  })

  it('accepts only upper-case alphabet characters', () => {
    expect(isCrockford(CROCKFORD_ALPHABET)).toBe(true)
    for (const ch of 'abcILOU-_ é') expect(isCrockford(ch), ch).toBe(false)
  })

  it('encodes the leading bits of any bytes, most significant first', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), (bytes, n) => {
        const chars = n % (Math.floor((bytes.length * 8) / 5) + 1)
        expect(encodeBitsToCrockford(bytes, chars)).toBe(referenceEncode(bytes, chars))
      }),
    )
    expect(encodeBitsToCrockford(new Uint8Array([0xff, 0x00]), 3)).toBe('ZW0')
  })

  it('refuses to invent bits that the bytes do not hold', () => {
    expect(() => encodeBitsToCrockford(new Uint8Array(1), 2)).toThrow(RangeError)
  })
})
