import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CROCKFORD_ALPHABET } from '../../../src/codes/crockford.ts'
import { Keyring, type SigningKey } from '../../../src/codes/keyring.ts'
import {
  assembleToken,
  computeTag,
  formatHuman,
  parseToken,
  SERIAL_LENGTH,
  TOKEN_LENGTH,
} from '../../../src/codes/token.ts'
import { crockfordString } from './arbitraries.ts'

const BRAND = 1
const OTHER_BRAND = 2

function key(kid: string, brandId: number, active = true): SigningKey {
  return { kid, brandId, secret: randomBytes(32), active }
}

describe('judging a code without the database', () => {
  const brandKey = key('A1', BRAND)
  const keyring = new Keyring([brandKey])
  /** Any code the brand could have printed. */
  const validToken = crockfordString(SERIAL_LENGTH).map((serial) =>
    assembleToken(brandKey.kid, serial, computeTag(brandKey.secret, brandKey.kid, serial)),
  )

  it('accepts a code it minted, in any letter case and with or without dashes', () => {
    const token = keyring.mint(BRAND)
    const valid = { kind: 'valid', token, kid: 'A1', brandId: BRAND, serial: token.slice(2, 18) }
    expect(keyring.verify(token)).toEqual(valid)
    expect(keyring.verify(token.toLowerCase())).toEqual(valid)
    expect(keyring.verify(formatHuman(token))).toEqual(valid)
    expect(keyring.verify(formatHuman(token).toLowerCase())).toEqual(valid)
  })

  it('rejects every single mistyped character as a bad check, without a database read', () => {
    // Keyring.verify takes no database handle at all: the check character decides alone.
    fc.assert(
      fc.property(
        validToken,
        fc.nat({ max: TOKEN_LENGTH - 1 }),
        fc.integer({ min: 1, max: 31 }),
        (token, position, shift) => {
          expect(keyring.verify(token).kind).toBe('valid')
          const replacement = CROCKFORD_ALPHABET[(CROCKFORD_ALPHABET.indexOf(token[position]!) + shift) % 32]!
          const typo = token.slice(0, position) + replacement + token.slice(position + 1)
          expect(keyring.verify(typo)).toEqual({ kind: 'bad-check' })
        },
      ),
      { numRuns: 2_000 },
    )
  })

  it('rejects every swap of two different neighbouring characters as a bad check, without a database read', () => {
    fc.assert(
      fc.property(validToken, fc.nat({ max: TOKEN_LENGTH - 2 }), (token, position) => {
        fc.pre(token[position] !== token[position + 1])
        const swapped =
          token.slice(0, position) + token[position + 1] + token[position] + token.slice(position + 2)
        expect(keyring.verify(swapped)).toEqual({ kind: 'bad-check' })
      }),
      { numRuns: 2_000 },
    )
  })

  it('rejects a code signed under another brand’s key id as an unknown key', () => {
    const otherBrand = new Keyring([key('B7', OTHER_BRAND)])
    expect(keyring.verify(otherBrand.mint(OTHER_BRAND))).toEqual({ kind: 'unknown-key' })
  })

  it('rejects a well-formed code whose tag was forged as a bad tag', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (forgerSecret) => {
        const genuine = parseToken(keyring.mint(BRAND))
        if (genuine.kind !== 'ok') throw new Error('minted token did not parse')
        const forgedTag = computeTag(forgerSecret, genuine.kid, genuine.serial)
        fc.pre(forgedTag !== genuine.tag)
        expect(keyring.verify(assembleToken(genuine.kid, genuine.serial, forgedTag))).toEqual({
          kind: 'bad-tag',
        })
      }),
      { numRuns: 200 },
    )
  })

  it('calls junk malformed rather than throwing', () => {
    expect(keyring.verify('')).toEqual({ kind: 'malformed' })
    expect(keyring.verify('https://example.com/c/nope')).toEqual({ kind: 'malformed' })
  })
})

describe('rotating a brand’s signing key', () => {
  it('mints with the new key and keeps verifying codes signed with the old one', () => {
    const keyring = new Keyring([key('A1', BRAND)])
    const old = keyring.mint(BRAND)
    keyring.add(key('A2', BRAND))
    expect(keyring.activeKeyFor(BRAND)?.kid).toBe('A2')
    expect(keyring.activeKeyFor(BRAND)?.active).toBe(true)
    const fresh = keyring.mint(BRAND)
    expect(fresh.slice(0, 2)).toBe('A2')
    expect(keyring.verify(old)).toMatchObject({ kind: 'valid', kid: 'A1', brandId: BRAND })
    expect(keyring.verify(fresh)).toMatchObject({ kind: 'valid', kid: 'A2', brandId: BRAND })
    expect(keyring.size).toBe(2)
    expect(keyring.has('A1')).toBe(true)
  })

  it('leaves other brands’ active keys alone', () => {
    const keyring = new Keyring([key('A1', BRAND), key('B1', OTHER_BRAND)])
    keyring.add(key('A2', BRAND))
    expect(keyring.activeKeyFor(OTHER_BRAND)?.kid).toBe('B1')
  })

  it('replaces a key added again under the same key id', () => {
    const keyring = new Keyring([key('A1', BRAND)])
    const before = keyring.mint(BRAND)
    keyring.add(key('A1', BRAND))
    expect(keyring.size).toBe(1)
    expect(keyring.verify(before)).toEqual({ kind: 'bad-tag' })
  })

  it('does not let a caller change a stored secret by mutating its own copy', () => {
    const k = key('A1', BRAND)
    const keyring = new Keyring([k])
    const token = keyring.mint(BRAND)
    k.secret.fill(0)
    expect(keyring.verify(token).kind).toBe('valid')
  })

  it('treats minting for a brand without an active key as a bug', () => {
    const keyring = new Keyring([key('A1', BRAND, false)])
    expect(keyring.activeKeyFor(BRAND)).toBeUndefined()
    expect(() => keyring.mint(BRAND)).toThrow(/no active signing key/)
    expect(() => new Keyring().mint(BRAND)).toThrow()
  })

  it('refuses key ids that cannot appear in a token', () => {
    expect(() => new Keyring([key('a1', BRAND)])).toThrow(RangeError)
    expect(() => new Keyring([key('A', BRAND)])).toThrow(RangeError)
    expect(() => new Keyring([key('AU', BRAND)])).toThrow(RangeError)
  })
})
