import { CROCKFORD_ALPHABET } from './crockford.ts'

/*
 * Why this catches every single substitution and every neighbour swap:
 *
 * Read each Crockford character as its value v in GF(32), the field of 5-bit numbers built on
 * the primitive polynomial x^5 + x^2 + 1 (addition is XOR). Let α be the element x; it is
 * primitive, so α^0 … α^30 are 31 distinct non-zero elements. The check character c is chosen
 * so that the whole string w (body then c, n+1 chars) satisfies  Σ α^i · w_i = 0.
 *
 * - Changing w_i to w_i + e (e ≠ 0) changes the sum by e · α^i, which is non-zero because a
 *   field has no zero divisors: every single substitution, at any position, is caught.
 * - Swapping distinct neighbours a = w_i, b = w_{i+1} changes the sum by
 *   (a + b) · α^i · (1 + α), non-zero because a ≠ b and α ≠ 1.
 *
 * Both hold for the check character itself, since it carries a weight like any other position.
 * A simple mod-32 sum would miss swaps; the Luhn-style mod-N schemes miss some pairs.
 */

const FIELD_SIZE = 32
/** x^5 + x^2 + 1 */
const PRIMITIVE_POLYNOMIAL = 0b100101

/** EXP[k] = α^k for k in 0..61 (doubled so that a product's log sum needs no modulo); LOG inverts it. */
const EXP = new Uint8Array(2 * (FIELD_SIZE - 1))
const LOG = new Uint8Array(FIELD_SIZE)
{
  let x = 1
  for (let k = 0; k < FIELD_SIZE - 1; k++) {
    EXP[k] = x
    EXP[k + FIELD_SIZE - 1] = x
    LOG[x] = k
    x <<= 1
    if (x & FIELD_SIZE) x ^= PRIMITIVE_POLYNOMIAL
  }
}

const VALUE_OF = new Map<string, number>([...CROCKFORD_ALPHABET].map((ch, v) => [ch, v]))

/** Σ α^i · v_i over `s`, or -1 when a character is not Crockford. */
function weightedSum(s: string): number {
  let sum = 0
  for (let i = 0; i < s.length; i++) {
    const v = VALUE_OF.get(s[i]!)
    if (v === undefined) return -1
    if (v !== 0) sum ^= EXP[LOG[v]! + (i % (FIELD_SIZE - 1))]!
  }
  return sum
}

/**
 * The check character to append to `body` (canonical Crockford, upper case) so that the whole
 * string passes {@link hasValidCheckChar}. Throws on a non-Crockford body (a caller bug).
 *
 * @example
 * const full = body + checkCharFor(body)
 * hasValidCheckChar(full) // true
 */
export function checkCharFor(body: string): string {
  const sum = weightedSum(body)
  if (sum < 0) throw new RangeError('check character asked for a non-Crockford body')
  if (sum === 0) return CROCKFORD_ALPHABET[0]!
  // c · α^n = sum  ⇒  c = sum · α^-n, with n = body.length the check char's position.
  const n = body.length % (FIELD_SIZE - 1)
  return CROCKFORD_ALPHABET[EXP[(LOG[sum]! - n + (FIELD_SIZE - 1)) % (FIELD_SIZE - 1)]!]!
}

/**
 * True when `full` (body followed by its check character, canonical Crockford) is consistent.
 * False for anything else, including the empty string and non-Crockford characters.
 *
 * @example
 * hasValidCheckChar('AB12' + checkCharFor('AB12')) // true
 */
export function hasValidCheckChar(full: string): boolean {
  return full.length > 0 && weightedSum(full) === 0
}
