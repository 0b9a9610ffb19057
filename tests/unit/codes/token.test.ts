import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isCrockford } from '../../../src/codes/crockford.ts'
import {
  assembleToken,
  computeTag,
  formatHuman,
  KID_LENGTH,
  mintSerial,
  parseToken,
  SERIAL_LENGTH,
  TAG_LENGTH,
  TOKEN_LENGTH,
} from '../../../src/codes/token.ts'
import { crockfordString, secretBytes } from './arbitraries.ts'

const token = fc
  .tuple(secretBytes, crockfordString(KID_LENGTH), crockfordString(SERIAL_LENGTH))
  .map(([secret, kid, serial]) => assembleToken(kid, serial, computeTag(secret, kid, serial)))

describe('a code token', () => {
  it('is 31 characters: key id, 80-bit serial, 60-bit tag and a check character', () => {
    expect([KID_LENGTH, SERIAL_LENGTH, TAG_LENGTH, TOKEN_LENGTH]).toEqual([2, 16, 12, 31])
    expect(SERIAL_LENGTH * 5).toBeGreaterThanOrEqual(80)
    expect(TAG_LENGTH * 5).toBeGreaterThanOrEqual(60)
    fc.assert(
      fc.property(token, (t) => {
        expect(t).toHaveLength(TOKEN_LENGTH)
      }),
    )
  })

  it('splits back into the parts it was made of', () => {
    const secret = new Uint8Array(32).fill(7)
    const serial = mintSerial()
    const tag = computeTag(secret, 'A1', serial)
    expect(parseToken(assembleToken('A1', serial, tag))).toMatchObject({ kind: 'ok', kid: 'A1', serial, tag })
  })

  it('reads back from its printed human form and from lower case', () => {
    fc.assert(
      fc.property(token, (t) => {
        const human = formatHuman(t)
        expect(human).toMatch(/^([0-9A-Z]{4}-){7}[0-9A-Z]{3}$/)
        expect(parseToken(human)).toMatchObject({ kind: 'ok', token: t })
        expect(parseToken(t.toLowerCase())).toMatchObject({ kind: 'ok', token: t })
        expect(parseToken(` ${human.toLowerCase()} `)).toMatchObject({ kind: 'ok', token: t })
      }),
    )
  })

  it('calls a wrong length or a foreign character malformed, and a typo a bad check', () => {
    const t = assembleToken('A1', mintSerial(), computeTag(new Uint8Array(32), 'A1', 'X'.repeat(16)))
    expect(parseToken(t.slice(1)).kind).toBe('malformed')
    expect(parseToken(`${t}0`).kind).toBe('malformed')
    expect(parseToken(`U${t.slice(1)}`).kind).toBe('malformed')
    expect(parseToken(`${t[0] === '2' ? '3' : '2'}${t.slice(1)}`).kind).toBe('bad-check')
  })

  it('never throws, whatever string it is given', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ maxLength: 1000 })),
        (s) => {
          expect(['ok', 'malformed', 'bad-check']).toContain(parseToken(s).kind)
        },
      ),
    )
  })
})

describe('a serial', () => {
  it('is 16 characters of the alphabet', () => {
    for (let i = 0; i < 1000; i++) {
      const serial = mintSerial()
      expect(serial).toHaveLength(SERIAL_LENGTH)
      expect(isCrockford(serial)).toBe(true)
    }
  })

  it('does not repeat across 10,000 mints', () => {
    const serials = new Set(Array.from({ length: 10_000 }, mintSerial))
    expect(serials.size).toBe(10_000)
  })

  it('uses every character of the alphabet at every position about equally', () => {
    // A biased generator would lose entropy; 32,000 serials give ~1,000 per character per position.
    const counts = Array.from({ length: SERIAL_LENGTH }, () => new Map<string, number>())
    for (let i = 0; i < 32_000; i++) {
      const serial = mintSerial()
      for (let p = 0; p < SERIAL_LENGTH; p++)
        counts[p]!.set(serial[p]!, (counts[p]!.get(serial[p]!) ?? 0) + 1)
    }
    for (const position of counts) {
      expect(position.size).toBe(32)
      for (const n of position.values()) expect(n).toBeGreaterThan(800)
    }
  })
})

describe('a tag', () => {
  it('depends on the key, the key id and the serial', () => {
    const a = new Uint8Array(32).fill(1)
    const b = new Uint8Array(32).fill(2)
    const serial = mintSerial()
    const tag = computeTag(a, 'A1', serial)
    expect(tag).toHaveLength(TAG_LENGTH)
    expect(computeTag(a, 'A1', serial)).toBe(tag)
    expect(computeTag(b, 'A1', serial)).not.toBe(tag)
    expect(computeTag(a, 'A2', serial)).not.toBe(tag)
    expect(computeTag(a, 'A1', mintSerial())).not.toBe(tag)
  })
})
