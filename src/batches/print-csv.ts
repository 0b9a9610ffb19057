import { Readable } from 'node:stream'
import type { PrintRow, PrintRowSource } from './print-row.ts'

/** Rows are joined into blocks of about this many characters: one stream chunk per row costs ~5×. */
export const PRINT_BLOCK_CHARS = 64 * 1024

/** RFC 4180 line ends: the Windows tools of print houses (Excel, BarTender) expect CRLF. */
const EOL = '\r\n'

export const CSV_HEADER = `seq,serial,url${EOL}`

/** Cells a spreadsheet would run as a formula (CSV injection, OWASP): =, +, -, @, tab, CR. */
const FORMULA_START = /^[=+\-@\t\r]/
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/

/**
 * One CSV cell: defused with a leading apostrophe if a spreadsheet would treat it as a formula
 * (lot names inside URLs come from users), then quoted per RFC 4180 if needed.
 *
 * @example
 * csvCell('=HYPERLINK("x")') // '"\'=HYPERLINK(""x"")"'
 */
export function csvCell(value: string): string {
  const defused = FORMULA_START.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(defused) ? `"${defused.replaceAll('"', '""')}"` : defused
}

/**
 * One CSV line of a print row, with its line end.
 *
 * @example
 * csvLine({ seq: 1, serial: 'AB12-CD34', url: 'HTTP://X/C/AB12CD34' }) // '1,AB12-CD34,HTTP://X/C/AB12CD34\r\n'
 */
export function csvLine(row: PrintRow): string {
  return `${row.seq},${csvCell(row.serial)},${csvCell(row.url)}${EOL}`
}

/**
 * One tab-separated line for variable-data printers. A tab or line break inside a value would
 * shift every later column on the label, and these tools have no quoting, so it is refused.
 *
 * @example
 * txtLine({ seq: 1, serial: 'AB12-CD34', url: 'HTTP://X/C/AB12CD34' }) // '1\tAB12-CD34\tHTTP://X/C/AB12CD34\r\n'
 */
export function txtLine(row: PrintRow): string {
  if (/[\t\r\n]/.test(row.serial) || /[\t\r\n]/.test(row.url)) {
    throw new Error(`print row ${row.seq} holds a tab or line break; URLs must be percent-encoded`)
  }
  return `${row.seq}\t${row.serial}\t${row.url}${EOL}`
}

/**
 * The batch as a CSV (`seq,serial,url` header, CRLF lines), streamed: rows are pulled from the
 * source only as the consumer reads, so memory stays flat for any batch size.
 *
 * @example
 * csvPrintStream(rowsOfBatch(db, batchId)).pipe(response)
 */
export function csvPrintStream(rows: PrintRowSource): Readable {
  return Readable.from(textBlocks(rows, CSV_HEADER, csvLine), { objectMode: false })
}

/**
 * The batch as tab-separated `seq\tserial\turl` lines without header, for variable-data printers.
 *
 * @example
 * txtPrintStream(rowsOfBatch(db, batchId)).pipe(fs.createWriteStream('lot7.txt'))
 */
export function txtPrintStream(rows: PrintRowSource): Readable {
  return Readable.from(textBlocks(rows, '', txtLine), { objectMode: false })
}

/**
 * Encodes rows into ~64 KiB UTF-8 blocks, pulling the next row only when the consumer asks for
 * the next block (an async generator behind Readable.from runs only on read()).
 *
 * @example
 * for await (const block of textBlocks(rows, CSV_HEADER, csvLine)) out.write(block)
 */
export async function* textBlocks(
  rows: AsyncIterable<PrintRow>,
  header: string,
  encode: (row: PrintRow) => string,
): AsyncGenerator<Buffer> {
  let block = header
  for await (const row of rows) {
    block += encode(row)
    if (block.length >= PRINT_BLOCK_CHARS) {
      yield Buffer.from(block)
      block = ''
    }
  }
  if (block !== '') yield Buffer.from(block)
}
