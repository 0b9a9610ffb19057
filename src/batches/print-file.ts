import type { Readable } from 'node:stream'
import { csvPrintStream, txtPrintStream } from './print-csv.ts'
import type { PrintFormat } from './print-formats.ts'
import { pdfLabelStream } from './print-pdf.ts'
import type { PrintRowSource } from './print-row.ts'
import { csvZipPrintStream, svgZipPrintStream } from './print-zip.ts'

export type PrintFileOptions = {
  /** Names the files inside ZIPs; the download name comes from fileNameFor(). */
  baseName: string
  /** Heading on every PDF page; defaults to the base name. */
  title?: string
  rowsPerFile?: number
  columns?: number
  rows?: number
  modifiedAt?: Date
}

/**
 * Streams a batch's print file in the chosen format; every format reads rows only as fast as the
 * returned stream is consumed.
 *
 * @example
 * const file = writePrintFile('pdf', rowsOfBatch(db, batchId), { baseName: 'TEA-1-L7' })
 * return new Response(Readable.toWeb(file), { headers: { 'content-type': contentTypeFor('pdf') } })
 */
export function writePrintFile(
  format: PrintFormat,
  rows: PrintRowSource,
  options: PrintFileOptions,
): Readable {
  switch (format) {
    case 'csv':
      return csvPrintStream(rows)
    case 'txt':
      return txtPrintStream(rows)
    case 'csv-zip':
      return csvZipPrintStream(rows, options)
    case 'svg-zip':
      return svgZipPrintStream(rows, options)
    case 'pdf':
      return pdfLabelStream(rows, {
        columns: options.columns,
        rows: options.rows,
        title: options.title ?? options.baseName,
      })
  }
}
