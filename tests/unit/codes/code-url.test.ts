import QRCode from 'qrcode'
import { describe, expect, it } from 'vitest'
import { isQrAlphanumericUrl, MAX_BASE_URL_LENGTH, shortCodeUrl } from '../../../src/codes/code-url.ts'
import { Keyring } from '../../../src/codes/keyring.ts'

const keyring = new Keyring([{ kid: 'K7', brandId: 1, secret: new Uint8Array(32).fill(5), active: true }])

function qrVersion(text: string): number {
  return QRCode.create(text, { errorCorrectionLevel: 'M' }).version
}

/** A plausible base URL of exactly `length` characters. */
function baseUrlOfLength(length: number): string {
  const stem = 'https://codes.'
  const tail = '.example.com'
  return stem + 'a'.repeat(length - stem.length - tail.length) + tail
}

describe('the short code URL in a QR', () => {
  it('is the base URL, /C/ and the token, in upper case', () => {
    const token = keyring.mint(1)
    expect(shortCodeUrl('https://oc.example.com', token)).toBe(`HTTPS://OC.EXAMPLE.COM/C/${token}`)
    expect(shortCodeUrl('https://oc.example.com/', token)).toBe(`HTTPS://OC.EXAMPLE.COM/C/${token}`)
  })

  it('fits a version 4 QR code at error correction M with a realistic base URL', () => {
    expect(qrVersion(shortCodeUrl('https://oc.example.com', keyring.mint(1)))).toBeLessThanOrEqual(4)
  })

  it('still fits version 4 with the longest allowed base URL, and no longer fits one character later', () => {
    expect(MAX_BASE_URL_LENGTH).toBe(56)
    const longest = baseUrlOfLength(MAX_BASE_URL_LENGTH)
    expect(longest).toHaveLength(MAX_BASE_URL_LENGTH)
    for (let i = 0; i < 20; i++)
      expect(qrVersion(shortCodeUrl(longest, keyring.mint(1)))).toBeLessThanOrEqual(4)
    expect(qrVersion(shortCodeUrl(baseUrlOfLength(MAX_BASE_URL_LENGTH + 1), keyring.mint(1)))).toBe(5)
  })

  it('leads to a token the keyring accepts', () => {
    const token = keyring.mint(1)
    const printed = shortCodeUrl('https://oc.example.com', token)
    expect(keyring.verify(printed.split('/C/')[1]!)).toMatchObject({ kind: 'valid', token })
  })
})

describe('a base URL', () => {
  it('is QR-alphanumeric when upper-casing leaves only QR alphanumeric characters', () => {
    expect(isQrAlphanumericUrl('https://oc.example.com')).toBe(true)
    expect(isQrAlphanumericUrl('http://192.168.1.10:3000')).toBe(true)
    expect(isQrAlphanumericUrl('https://oc.example.com/~brand')).toBe(false)
    expect(isQrAlphanumericUrl('https://oc_example.com')).toBe(false)
    expect(isQrAlphanumericUrl('https://例子.cn')).toBe(false)
  })
})
