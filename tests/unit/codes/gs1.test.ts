import digitalLinkJs from 'digital-link.js'
import { describe, expect, it } from 'vitest'
import {
  buildDigitalLink,
  gtinCheckDigit,
  isValidGs1Lot,
  isValidGtin,
  parseDigitalLinkParts,
  toGtin14,
} from '../../../src/codes/gs1.ts'
import { Keyring } from '../../../src/codes/keyring.ts'

const { DigitalLink } = digitalLinkJs
const BASE = 'https://oc.example.com'
const keyring = new Keyring([{ kid: 'K7', brandId: 1, secret: new Uint8Array(32).fill(3), active: true }])

describe('GTINs', () => {
  it('carry the GS1 mod-10 check digit', () => {
    expect(gtinCheckDigit('950600013435')).toBe(2)
    expect(gtinCheckDigit('0950600013435')).toBe(2)
    expect(gtinCheckDigit('9638507')).toBe(4)
    expect(gtinCheckDigit('03600029145')).toBe(2)
  })

  it('are accepted at 8, 12, 13 and 14 digits with a correct check digit', () => {
    for (const gtin of ['96385074', '036000291452', '9506000134352', '09506000134352']) {
      expect(isValidGtin(gtin), gtin).toBe(true)
    }
  })

  it('are refused with a wrong check digit, a wrong length or non-digits', () => {
    for (const gtin of [
      '96385075',
      '9506000134353',
      '950600013435',
      '0950600013435X',
      '',
      '１２３４５６７８',
    ]) {
      expect(isValidGtin(gtin), gtin).toBe(false)
    }
  })

  it('pad to 14 digits without breaking the check digit', () => {
    expect(toGtin14('96385074')).toBe('00000096385074')
    expect(isValidGtin(toGtin14('036000291452'))).toBe(true)
  })
})

describe('lot numbers', () => {
  it('allow 1 to 20 characters of GS1 character set 82', () => {
    expect(isValidGs1Lot('L2024-07/A')).toBe(true)
    expect(isValidGs1Lot(`!"%&'()*+,-./:;<=>?_z`.slice(0, 20))).toBe(true)
    expect(isValidGs1Lot('A'.repeat(20))).toBe(true)
  })

  it('refuse empty, over-long, spaced or non-ASCII lots', () => {
    for (const lot of ['', 'A'.repeat(21), 'LOT 1', '批次1', 'A#1', 'A~1'])
      expect(isValidGs1Lot(lot), lot).toBe(false)
  })
})

describe('GS1 Digital Link URIs for a code', () => {
  const token = keyring.mint(1)

  it.each([
    ['with a lot', 'L2024-07'],
    ['with a lot that needs percent-encoding', `A/B%C&D'(E)*+,:;<=>?`.slice(0, 20)],
    ['without a lot', null],
  ])('are accepted by GS1’s own toolkit %s, with the tag in the t parameter', (_, lot) => {
    const url = buildDigitalLink({ baseUrl: BASE, gtin: '9506000134352', lot, token })
    const dl = DigitalLink(url)
    expect(dl.isValid(), JSON.stringify(dl.getValidationTrace())).toBe(true)
    expect(dl.getIdentifier()).toEqual({ '01': '09506000134352' })
    expect(dl.getKeyQualifiers()['21']).toBe(token.slice(0, 18))
    expect(dl.getAttributes()).toEqual({ t: token.slice(18) })
    if (lot) expect(decodeURIComponent(dl.getKeyQualifiers()['10']!)).toBe(lot)
  })

  it('keep the AI 21 serial within GS1’s 20 characters', () => {
    const url = buildDigitalLink({ baseUrl: BASE, gtin: '9506000134352', token })
    expect(url).toBe(`${BASE}/01/09506000134352/21/${token.slice(0, 18)}?t=${token.slice(18)}`)
  })

  it('are checked by the toolkit too: a wrong GTIN check digit fails there as well', () => {
    expect(
      DigitalLink(`${BASE}/01/09506000134353/21/${token.slice(0, 18)}?t=${token.slice(18)}`).isValid(),
    ).toBe(false)
  })

  it('read back to the same token, which the keyring accepts', () => {
    const parts = parseDigitalLinkParts({
      gtin: '09506000134352',
      lot: 'L2024-07',
      serial: token.slice(0, 18),
      t: token.slice(18),
    })
    expect(parts).toEqual({ kind: 'ok', gtin14: '09506000134352', lot: 'L2024-07', token })
    if (parts.kind === 'ok') expect(keyring.verify(parts.token).kind).toBe('valid')
  })

  it('read back from lower case too', () => {
    const parts = parseDigitalLinkParts({
      gtin: '9506000134352',
      serial: token.slice(0, 18).toLowerCase(),
      t: token.slice(18).toLowerCase(),
    })
    expect(parts).toMatchObject({ kind: 'ok', lot: null, token })
  })

  it('are refused with a reason when the GTIN, lot, serial or tag is wrong', () => {
    const serial = token.slice(0, 18)
    const t = token.slice(18)
    expect(parseDigitalLinkParts({ gtin: '09506000134353', serial, t })).toMatchObject({ kind: 'malformed' })
    expect(parseDigitalLinkParts({ gtin: '09506000134352', lot: 'A B', serial, t })).toMatchObject({
      kind: 'malformed',
    })
    expect(parseDigitalLinkParts({ gtin: '09506000134352', serial: serial.slice(1), t })).toMatchObject({
      kind: 'malformed',
    })
    expect(parseDigitalLinkParts({ gtin: '09506000134352', serial })).toMatchObject({
      kind: 'malformed',
      reason: /t is missing/,
    })
  })

  it('are not built from an invalid GTIN or lot', () => {
    expect(() => buildDigitalLink({ baseUrl: BASE, gtin: '9506000134353', token })).toThrow(RangeError)
    expect(() => buildDigitalLink({ baseUrl: BASE, gtin: '9506000134352', lot: 'A B', token })).toThrow(
      RangeError,
    )
  })
})
