import { TOKEN_LENGTH } from './token.ts'

/**
 * Alphanumeric-mode capacity of a version 4 QR code at error correction M (ISO/IEC 18004,
 * table 7): 64 data codewords. (114 is the figure for level L, which would tolerate less damage.)
 */
const QR_V4_M_ALPHANUMERIC_CAPACITY = 90
const SHORT_PATH_PREFIX = '/C/'

/**
 * The longest public base URL whose short code URLs still fit a version 4 (33×33) QR code at
 * error correction M: 90 − '/C/'.length − 31 = 56 characters.
 */
export const MAX_BASE_URL_LENGTH = QR_V4_M_ALPHANUMERIC_CAPACITY - SHORT_PATH_PREFIX.length - TOKEN_LENGTH

/**
 * Why this base URL makes larger QR codes than needed, or null: the warning the server logs at
 * start and the CLI prints before an export.
 *
 * @example
 * baseUrlTooLong('https://oc.example.com') // null
 */
export function baseUrlTooLong(baseUrl: string): string | null {
  return baseUrl.length > MAX_BASE_URL_LENGTH
    ? `PUBLIC_BASE_URL is longer than ${MAX_BASE_URL_LENGTH} characters: short-URL QR codes will need a version above 4`
    : null
}

/** The 45 characters QR alphanumeric mode can encode. */
const QR_ALPHANUMERIC_PATTERN = /^[0-9A-Z $%*+\-./:]*$/

/**
 * The short URL printed in a code's QR, in upper case so that the whole URL is QR-alphanumeric
 * (11 bits per 2 chars instead of 16); scheme and host are case-insensitive, and the server
 * accepts both /C/ and /c/.
 *
 * @example
 * shortCodeUrl('https://oc.example.com', token) // 'HTTPS://OC.EXAMPLE.COM/C/AB7K…'
 */
export function shortCodeUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${SHORT_PATH_PREFIX}${token}`.toUpperCase()
}

/**
 * True when the base URL, upper-cased, uses only QR alphanumeric characters (so its short URLs
 * encode in alphanumeric mode). Length is checked separately against {@link MAX_BASE_URL_LENGTH}.
 *
 * @example
 * isQrAlphanumericUrl('https://oc.example.com') // true
 * isQrAlphanumericUrl('https://oc.example.com/~brand') // false
 */
export function isQrAlphanumericUrl(baseUrl: string): boolean {
  return QR_ALPHANUMERIC_PATTERN.test(baseUrl.toUpperCase())
}
