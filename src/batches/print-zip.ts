import { Readable } from 'node:stream'
import { CSV_HEADER, csvLine, PRINT_BLOCK_CHARS } from './print-csv.ts'
import { safeFileStem } from './print-formats.ts'
import type { PrintRow, PrintRowSource } from './print-row.ts'
import { type ZipEntry, zipStream } from './print-zip-writer.ts'
import { qrSvg } from './qr-render.ts'

/** 100 000 rows (~8 MB of CSV) is what spreadsheet tools and RIP software open without complaint. */
export const DEFAULT_ROWS_PER_CSV_FILE = 100_000
const CSV_FILE_NUMBER_DIGITS = 4
const SVG_SEQ_DIGITS = 8

export type CsvZipOptions = { baseName: string; rowsPerFile?: number; modifiedAt?: Date }
export type SvgZipOptions = { baseName: string; modifiedAt?: Date }

/**
 * The batch as a ZIP of CSV files of `rowsPerFile` rows each (`${baseName}-0001.csv`, …), every file
 * with the `seq,serial,url` header. An empty batch gives one file holding only the header.
 *
 * @example
 * csvZipPrintStream(rowsOfBatch(db, batchId), { baseName: 'TEA-1-L7' }).pipe(response)
 */
export function csvZipPrintStream(rows: PrintRowSource, options: CsvZipOptions): Readable {
  const rowsPerFile = options.rowsPerFile ?? DEFAULT_ROWS_PER_CSV_FILE
  if (!Number.isSafeInteger(rowsPerFile) || rowsPerFile < 1) throw new RangeError('rowsPerFile must be ≥ 1')
  const entries = csvChunkEntries(rows, safeFileStem(options.baseName), rowsPerFile)
  return Readable.from(zipStream(entries, { modifiedAt: options.modifiedAt }), { objectMode: false })
}

/**
 * The batch as a ZIP of one SVG QR per code, named `${seq padded to 8}-${serial}.svg` so a file
 * listing sorts in batch order. Serial characters outside `A–Z a–z 0–9 . _ -` (GS1 serials allow
 * `/`, which would make folders) become `_`.
 *
 * @example
 * svgZipPrintStream(rowsOfBatch(db, batchId), { baseName: 'TEA-1-L7' }).pipe(response)
 */
export function svgZipPrintStream(rows: PrintRowSource, options: SvgZipOptions): Readable {
  return Readable.from(zipStream(svgEntries(rows), { modifiedAt: options.modifiedAt }), { objectMode: false })
}

async function* svgEntries(rows: PrintRowSource): AsyncGenerator<ZipEntry> {
  for await (const row of rows) {
    const seq = String(row.seq).padStart(SVG_SEQ_DIGITS, '0')
    const serial = row.serial.replace(/[^A-Za-z0-9._-]/g, '_')
    yield { name: `${seq}-${serial}.svg`, data: Buffer.from(qrSvg(row.url)) }
  }
}

/**
 * One entry per `rowsPerFile` rows, all reading from one iterator: the ZIP writer finishes an
 * entry's blocks before asking for the next entry, so the chunks never interleave.
 */
async function* csvChunkEntries(
  rows: PrintRowSource,
  stem: string,
  rowsPerFile: number,
): AsyncGenerator<ZipEntry> {
  const iterator = rows[Symbol.asyncIterator]()
  let next: IteratorResult<PrintRow> = await iterator.next()
  let fileNumber = 0
  try {
    do {
      fileNumber++
      const name = `${stem}-${String(fileNumber).padStart(CSV_FILE_NUMBER_DIGITS, '0')}.csv`
      async function* blocks(): AsyncGenerator<Buffer> {
        let block = CSV_HEADER
        for (let count = 0; count < rowsPerFile && !next.done; count++) {
          block += csvLine(next.value)
          next = await iterator.next()
          if (block.length >= PRINT_BLOCK_CHARS) {
            yield Buffer.from(block)
            block = ''
          }
        }
        if (block !== '') yield Buffer.from(block)
      }
      yield { name, blocks: blocks() }
    } while (!next.done)
  } finally {
    // a download cancelled half-way must release the source (a database cursor) too
    await iterator.return?.()
  }
}
