import fc from 'fast-check'
import { CROCKFORD_ALPHABET } from '../../../src/codes/crockford.ts'

/** A string of `length` Crockford characters. */
export function crockfordString(length: number): fc.Arbitrary<string> {
  return fc
    .array(fc.constantFrom(...CROCKFORD_ALPHABET), { minLength: length, maxLength: length })
    .map((chars) => chars.join(''))
}

/** A random 32-byte signing secret. */
export const secretBytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ minLength: 32, maxLength: 32 })
