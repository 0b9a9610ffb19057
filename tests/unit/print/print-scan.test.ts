import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Resvg } from '@resvg/resvg-js'
import jsQRModule from 'jsqr'
import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { labelSheetLayout, pdfLabelStream } from '../../../src/batches/print-pdf.ts'
import { svgZipPrintStream } from '../../../src/batches/print-zip.ts'
import { countingSource, mixedRows, readAll, rowsFrom, tempFile, unzipEntries } from './print-fixtures.ts'

/** pdftoppm's resolution: 150 dpi is a coarse office scan, so a pass here has margin to spare. */
const DPI = 150
const PX_PER_PT = DPI / 72

// jsqr is CommonJS typed as an ES default export: under NodeNext the callable sits on `.default`
const jsQR = jsQRModule.default

type Image = { data: Uint8ClampedArray; width: number; height: number }

function decode(image: Image): string | undefined {
  return jsQR(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' })?.data
}

function crop(page: PNG, x: number, y: number, width: number, height: number): Image {
  const left = Math.max(0, Math.floor(x))
  const top = Math.max(0, Math.floor(y))
  const w = Math.min(page.width - left, Math.ceil(width))
  const h = Math.min(page.height - top, Math.ceil(height))
  const data = new Uint8ClampedArray(w * h * 4)
  for (let row = 0; row < h; row++) {
    const from = ((top + row) * page.width + left) * 4
    data.set(page.data.subarray(from, from + w * 4), row * w * 4)
  }
  return { data, width: w, height: h }
}

/** Every PDF page as a 150 dpi PNG, rendered by poppler (an independent reader of the PDF). */
function renderPages(pdf: Buffer): PNG[] {
  const pdfPath = tempFile('labels.pdf', pdf)
  execFileSync('pdftoppm', ['-r', String(DPI), '-png', pdfPath, join(dirname(pdfPath), 'page')])
  return readdirSync(dirname(pdfPath))
    .filter((name) => name.startsWith('page') && name.endsWith('.png'))
    .sort()
    .map((name) => PNG.sync.read(readFileSync(join(dirname(pdfPath), name))))
}

/** Decodes each label of each page from its own QR box (plus a little slack), in label order. */
function decodeLabels(pages: PNG[], layout: ReturnType<typeof labelSheetLayout>, count: number): string[] {
  const decoded: string[] = []
  for (let i = 0; i < count; i++) {
    const page = pages[Math.floor(i / layout.cells.length)]!
    const box = layout.qrBoxes[i % layout.cells.length]!
    const slack = 2
    const image = crop(
      page,
      (box.x - slack) * PX_PER_PT,
      (box.y - slack) * PX_PER_PT,
      (box.width + 2 * slack) * PX_PER_PT,
      (box.height + 2 * slack) * PX_PER_PT,
    )
    decoded.push(decode(image) ?? `<label ${i + 1} unreadable>`)
  }
  return decoded
}

describe('printed codes scan back to exactly the URLs they were made from', () => {
  const rows = mixedRows(12)
  const urls = rows.map((row) => row.url)

  it('decodes every SVG in the SVG ZIP to its own row URL', async () => {
    const zip = await readAll(svgZipPrintStream(rowsFrom(rows), { baseName: 'scan' }))
    const entries = unzipEntries(tempFile('scan.zip', zip))
    const decodedByName = new Map<string, string | undefined>()
    for (const [name, svg] of entries) {
      const rendered = new Resvg(svg, { fitTo: { mode: 'width', value: 400 }, background: 'white' }).render()
      const image = {
        data: new Uint8ClampedArray(rendered.pixels),
        width: rendered.width,
        height: rendered.height,
      }
      decodedByName.set(name, decode(image))
    }
    expect(decodedByName).toEqual(
      new Map(rows.map((row) => [`${String(row.seq).padStart(8, '0')}-${row.serial}.svg`, row.url])),
    )
  })

  it('decodes every label of the default 4 × 8 A4 sheet, the smallest codes we print', async () => {
    const pdf = await readAll(pdfLabelStream(rowsFrom(rows), { title: 'scan test' }))
    const pages = renderPages(pdf)
    expect(pages).toHaveLength(1)
    const decoded = decodeLabels(pages, labelSheetLayout(), rows.length)
    expect(new Set(decoded)).toEqual(new Set(urls))
    expect(decoded).toEqual(urls)
  })

  it('adds pages as needed and every label on them still decodes', async () => {
    const grid = { columns: 3, rows: 2 }
    const pdf = await readAll(pdfLabelStream(rowsFrom(rows), grid))
    const pages = renderPages(pdf)
    expect(pages).toHaveLength(2)
    expect(decodeLabels(pages, labelSheetLayout(grid), rows.length)).toEqual(urls)
  })

  it('prints every human-readable serial and seq as real text', async () => {
    const pdf = await readAll(pdfLabelStream(rowsFrom(rows), { title: 'Lot 7' }))
    const text = execFileSync('pdftotext', [tempFile('text.pdf', pdf), '-']).toString()
    for (const row of rows) {
      expect(text).toContain(row.serial)
      expect(text).toContain(`#${row.seq}`)
    }
    expect(text).toContain('Lot 7 · page 1')
  })

  it('reads rows a page at a time as the PDF is consumed', async () => {
    const { state, rows: endless } = countingSource()
    const stream = pdfLabelStream(endless)
    await new Promise((resolve) => stream.once('data', resolve))
    stream.pause()
    for (let i = 0; i < 20; i++) await new Promise(setImmediate)
    // a page of 32 labels is ~25 KiB, so a 16 KiB buffer holds back after a page or two
    expect(state.pulled).toBeLessThan(32 * 4)
    stream.destroy()
  })
})
