import QRCode from 'qrcode'
import { describe, expect, it } from 'vitest'
import { qrMatrix, qrSvg } from '../../../src/batches/qr-render.ts'
import { gs1Row, shortRow } from './print-fixtures.ts'

describe('QR rendering', () => {
  it('fits a short-mode code URL in version 4 or lower', () => {
    for (let seq = 1; seq <= 50; seq++) expect(qrMatrix(shortRow(seq).url).version).toBeLessThanOrEqual(4)
  })

  it('draws exactly the symbol qrcode draws, mask choice included', () => {
    const urls = [
      ...Array.from({ length: 40 }, (_, i) => shortRow(i + 1).url),
      ...Array.from({ length: 40 }, (_, i) => gs1Row(i + 1).url),
      ...Array.from({ length: 20 }, (_, i) => `https://example.com/${'p'.repeat(i * 15)}`),
    ]
    for (const url of urls) {
      const expected = QRCode.create(url, { errorCorrectionLevel: 'M' })
      const actual = qrMatrix(url)
      expect(actual.size).toBe(expected.modules.size)
      expect(actual.version).toBe(expected.version)
      const modules = Array.from({ length: actual.size ** 2 }, (_, i) =>
        actual.isDark(i % actual.size, Math.floor(i / actual.size)) ? 1 : 0,
      )
      expect(modules, url).toEqual(Array.from(expected.modules.data))
    }
  })

  it('keeps a four-module quiet zone inside the SVG view box', () => {
    const { url } = shortRow(1)
    const side = qrMatrix(url).size + 8
    const svg = qrSvg(url)
    expect(svg).toContain(`viewBox="0 0 ${side} ${side}"`)
    expect(svg.match(/<path/g)).toHaveLength(1)
    const starts = [...svg.matchAll(/M(\d+) (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])])
    expect(Math.min(...starts.flat())).toBe(4)
  })
})
