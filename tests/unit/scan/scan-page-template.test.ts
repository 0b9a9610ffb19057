import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LANGS } from '../../../views/scan/messages.ts'
import { type ScanPageModel, ScanPageView } from '../../../views/scan/scan-page.tsx'
import { renderScanPage } from '../../../views/scan/scan-page-template.ts'

// Strings a brand or a request could put on the page: markup, quotes, ampersands, CJK, emoji,
// and the private-use characters the template's markers are made of.
const text = fc.string({
  unit: fc.constantFrom(...'<>&"\'/=` ab中文😀\uE000\uE0010123456789'.split('')),
  maxLength: 24,
})
const token = fc.stringMatching(/^[A-Za-z0-9_-]{0,30}$/)

const model: fc.Arbitrary<ScanPageModel> = fc.record({
  lang: fc.constantFrom(...LANGS),
  switchHref: text,
  title: text,
  verdict: fc.record({ tone: fc.constantFrom('ok', 'warn', 'bad'), title: text, text }),
  brandName: text,
  productName: text,
  imageUrl: fc.option(text, { nil: null }),
  lot: text,
  producedOn: text,
  expiresOn: text,
  claim: fc.constantFrom('none', 'box', 'already-yours', 'already-claimed'),
  points: text,
  brandSlug: text,
  scanId: text,
  csrf: fc.oneof(token, text),
  claimKey: text,
  back: text,
})

describe('the scan page template', () => {
  it('renders byte for byte what the JSX view renders, for any strings', () => {
    fc.assert(
      fc.property(model, (m) => {
        expect(renderScanPage(m)).toBe(String(ScanPageView(m)))
      }),
      { numRuns: 500 },
    )
  })

  it('escapes markup in brand data instead of passing it through', () => {
    const m: ScanPageModel = {
      lang: 'en',
      switchHref: '/c/X?lang=zh-CN',
      title: 'Check',
      verdict: { tone: 'ok', title: 'Genuine', text: 'first' },
      brandName: '<img src=x onerror=alert(1)>',
      productName: '" hx-get="/admin',
      imageUrl: null,
      lot: 'L1',
      producedOn: '—',
      expiresOn: '—',
      claim: 'box',
      points: '10',
      brandSlug: 'tea',
      scanId: '7',
      csrf: 'abc_DEF-1',
      claimKey: 'k1',
      back: '/c/X',
    }
    const html = renderScanPage(m)
    expect(html).not.toContain('<img src=x')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(html).toContain('&quot; hx-get=&quot;/admin')
  })
})
