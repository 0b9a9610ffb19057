import { Readable } from 'node:stream'
import PDFDocument from 'pdfkit'
import type { PrintRow, PrintRowSource } from './print-row.ts'
import { QUIET_ZONE_MODULES, qrMatrix } from './qr-render.ts'

/** ISO 216 A4 in PDF points (1/72 inch). */
export const A4_POINTS = { width: 595.28, height: 841.89 } as const
const MM = 72 / 25.4
/** 8 mm keeps the grid inside what office and label printers can reach. */
const PAGE_MARGIN = 8 * MM
const HEADER_HEIGHT = 16
const LABEL_PADDING = 4
/** Room under each code for the serial line and the seq line. */
const TEXT_BAND = 16
const SERIAL_MAX_FONT_SIZE = 7
const SEQ_FONT_SIZE = 5
/** Courier advances every glyph by 600/1000 em, so a serial's width is known before drawing it. */
const COURIER_ADVANCE = 0.6

/** The default label sheet: 4 × 8 labels on A4. */
export const DEFAULT_GRID = { columns: 4, rows: 8 } as const

export type PdfLabelOptions = { columns?: number; rows?: number; title?: string }
export type Rect = { x: number; y: number; width: number; height: number }
/** Where each label goes, in PDF points from the page's top-left corner, row by row. */
export type LabelSheetLayout = { page: Rect; cells: Rect[]; qrBoxes: Rect[] }

/**
 * The label grid of an A4 sheet: `columns × rows` equal cells inside the margins and under the
 * header; in each cell a square QR box (quiet zone included) centred at the top, text below it.
 * Exported so tests, and printers aligning die-cut stock, can find every label.
 *
 * @example
 * const { cells, qrBoxes } = labelSheetLayout({ columns: 4, rows: 8 })
 * cells.length // 32
 */
export function labelSheetLayout(options: Pick<PdfLabelOptions, 'columns' | 'rows'> = {}): LabelSheetLayout {
  const columns = options.columns ?? DEFAULT_GRID.columns
  const rows = options.rows ?? DEFAULT_GRID.rows
  if (!Number.isInteger(columns) || !Number.isInteger(rows) || columns < 1 || rows < 1) {
    throw new RangeError('columns and rows must be positive integers')
  }
  const width = (A4_POINTS.width - 2 * PAGE_MARGIN) / columns
  const height = (A4_POINTS.height - 2 * PAGE_MARGIN - HEADER_HEIGHT) / rows
  const side = Math.min(width - 2 * LABEL_PADDING, height - 2 * LABEL_PADDING - TEXT_BAND)
  if (side < 36) throw new RangeError(`a ${columns}×${rows} grid leaves QR codes too small to scan on A4`)
  const cells: Rect[] = []
  const qrBoxes: Rect[] = []
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const cell = {
        x: PAGE_MARGIN + column * width,
        y: PAGE_MARGIN + HEADER_HEIGHT + row * height,
        width,
        height,
      }
      cells.push(cell)
      qrBoxes.push({ x: cell.x + (width - side) / 2, y: cell.y + LABEL_PADDING, width: side, height: side })
    }
  }
  return { page: { x: 0, y: 0, ...A4_POINTS }, cells, qrBoxes }
}

/** Whether a `columns × rows` grid fits A4 with QR codes large enough to scan. */
export function isPrintableGrid(columns: number, rows: number): boolean {
  try {
    labelSheetLayout({ columns, rows })
    return true
  } catch {
    return false
  }
}

/**
 * The batch as A4 label sheets: each label a vector QR (one filled path of module runs, the quiet
 * zone left blank), the serial under it in Courier and the seq in small print. Pages are handed to
 * the consumer as they are finished and the next rows are read only when it asks for more, so a
 * long batch never sits in memory (pdfkit keeps a few hundred bytes of page tree per page).
 *
 * @example
 * pdfLabelStream(rowsOfBatch(db, batchId), { title: 'TEA-1 lot 7', columns: 4, rows: 8 }).pipe(response)
 */
export function pdfLabelStream(rows: PrintRowSource, options: PdfLabelOptions = {}): Readable {
  return Readable.from(pdfChunks(rows, options), { objectMode: false })
}

async function* pdfChunks(rows: PrintRowSource, options: PdfLabelOptions): AsyncGenerator<Buffer> {
  const layout = labelSheetLayout(options)
  const title = options.title ?? 'onecode labels'
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    autoFirstPage: false,
    bufferPages: false,
    info: { Title: title, Creator: 'onecode' },
  })
  const perPage = layout.cells.length
  let count = 0
  let pageNumber = 0
  const startPage = () => {
    // addPage() writes out the previous page: with bufferPages off, pdfkit keeps no page content
    doc.addPage()
    pageNumber++
    doc.font('Helvetica').fontSize(8).fillColor('#000')
    doc.text(`${title} · page ${pageNumber}`, PAGE_MARGIN, PAGE_MARGIN, { lineBreak: false })
  }
  for await (const row of rows) {
    const cell = count % perPage
    if (cell === 0) {
      startPage()
      // pdfkit pushes into its own readable buffer without waiting; draining it here, between
      // pages, is what lets the consumer's pace decide when the next rows are read
      yield* drain(doc)
    }
    drawLabel(doc, layout.cells[cell]!, layout.qrBoxes[cell]!, row)
    count++
  }
  if (count === 0) startPage()
  doc.end()
  yield* drain(doc)
}

function* drain(doc: PDFKit.PDFDocument): Generator<Buffer> {
  for (let chunk = doc.read() as Buffer | null; chunk !== null; chunk = doc.read() as Buffer | null)
    yield chunk
}

function drawLabel(doc: PDFKit.PDFDocument, cell: Rect, box: Rect, row: PrintRow): void {
  const qr = qrMatrix(row.url)
  const module = box.width / (qr.size + 2 * QUIET_ZONE_MODULES)
  const left = box.x + QUIET_ZONE_MODULES * module
  const top = box.y + QUIET_ZONE_MODULES * module
  // one path filled once: separate fills would leave anti-aliasing seams between module rows
  for (let y = 0; y < qr.size; y++) {
    let x = 0
    while (x < qr.size) {
      if (!qr.isDark(x, y)) {
        x++
        continue
      }
      const start = x
      while (x < qr.size && qr.isDark(x, y)) x++
      doc.rect(left + start * module, top + y * module, (x - start) * module, module)
    }
  }
  doc.fill('#000')

  const textWidth = cell.width - 2 * LABEL_PADDING
  const serialSize = Math.min(SERIAL_MAX_FONT_SIZE, textWidth / (row.serial.length * COURIER_ADVANCE))
  const serialWidth = row.serial.length * COURIER_ADVANCE * serialSize
  const serialTop = box.y + box.height + 1
  doc.font('Courier').fontSize(serialSize)
  doc.text(row.serial, cell.x + (cell.width - serialWidth) / 2, serialTop, { lineBreak: false })
  doc.font('Helvetica').fontSize(SEQ_FONT_SIZE)
  const seq = `#${row.seq}`
  doc.text(seq, cell.x + (cell.width - doc.widthOfString(seq)) / 2, serialTop + serialSize + 2, {
    lineBreak: false,
  })
}
