/**
 * Crockford base32: digits and upper-case letters without I, L, O and U, so that a code read
 * aloud or typed from a label survives the usual confusions, and so that an upper-case code is
 * QR-alphanumeric (a smaller QR than byte mode).
 */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

const CROCKFORD_PATTERN = /^[0-9A-HJKMNP-TV-Z]*$/

/** Hyphen-minus, whitespace, and the dashes NFKC leaves alone (U+2010–U+2015, minus sign U+2212). */
const DASHES_AND_SPACES = /[-\s\u2010-\u2015\u2212]/g
const NOT_ASCII = /[\u0080-\uffff]/

/**
 * Turns what a person typed into canonical Crockford form: trims, upper-cases, drops dashes and
 * whitespace, and reads I and L as 1 and O as 0 (Crockford's decoding rules). U is left alone
 * so that it fails {@link isCrockford} instead of silently becoming something else. Full-width
 * letters, digits and dashes (what a Chinese input method types) read as their ASCII selves
 * (NFKC), and so do the typographic dashes an autocorrecting keyboard puts in.
 *
 * @example
 * normalizeCodeInput(' ab1o-il2 ') // 'AB10112'
 * normalizeCodeInput('ＡＢ１－２') // 'AB12'
 */
export function normalizeCodeInput(s: string): string {
  // NFKC only when there is something for it to do: printed links and most typing are ASCII.
  const ascii = NOT_ASCII.test(s) ? s.normalize('NFKC') : s
  return ascii.trim().toUpperCase().replace(DASHES_AND_SPACES, '').replace(/[IL]/g, '1').replace(/O/g, '0')
}

/**
 * True when every character of `s` is in {@link CROCKFORD_ALPHABET} (upper case only; call
 * {@link normalizeCodeInput} first for typed input). The empty string is Crockford.
 *
 * @example
 * isCrockford('AB12') // true
 * isCrockford('AU12') // false
 */
export function isCrockford(s: string): boolean {
  return CROCKFORD_PATTERN.test(s)
}

/**
 * Encodes the first `chars * 5` bits of `bytes`, most significant bit first, as `chars`
 * Crockford characters. Throws when `bytes` holds fewer bits than asked for (a caller bug).
 *
 * @example
 * encodeBitsToCrockford(new Uint8Array([0xff, 0x00]), 3) // 'ZW0'
 */
export function encodeBitsToCrockford(bytes: Uint8Array, chars: number): string {
  if (!Number.isInteger(chars) || chars < 0 || chars * 5 > bytes.length * 8) {
    throw new RangeError(`cannot take ${chars} Crockford chars from ${bytes.length} bytes`)
  }
  let out = ''
  // A small bit buffer: at most 12 bits are ever held, so plain numbers are exact.
  let buffer = 0
  let held = 0
  let next = 0
  for (let i = 0; i < chars; i++) {
    if (held < 5) {
      buffer = (buffer << 8) | bytes[next++]!
      held += 8
    }
    held -= 5
    out += CROCKFORD_ALPHABET[(buffer >> held) & 31]
    buffer &= (1 << held) - 1
  }
  return out
}
