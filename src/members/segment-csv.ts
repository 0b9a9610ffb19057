import { Readable } from 'node:stream'
import { csvCell } from '../batches/print-csv.ts'
import type { MemberListView } from './member-list-view.ts'

const EOL = '\r\n'
/** Excel reads a CSV without a byte-order mark in the machine's ANSI code page and garbles 中文 names. */
const BOM = '\uFEFF'
/** Lines are joined into blocks of about this many characters before they are written. */
const BLOCK_CHARS = 64 * 1024

export const SEGMENT_CSV_COLUMNS = [
  'member_id',
  'phone',
  'email',
  'name',
  'tier',
  'balance',
  'points_earned',
  'last_scan_utc',
  'tags',
] as const

/**
 * One member as a CSV line. Every text cell goes through csvCell (src/batches/print-csv.ts), so a
 * member who named themselves '=HYPERLINK(…)' or a tag '@SUM(…)' arrives in the spreadsheet as
 * text; phone numbers start with '+' and are defused the same way. Contacts are already masked
 * for roles without 'members.contact'.
 *
 * @example
 * segmentCsvLine(view) // '12,\'+86138****8000,,Li Hua,Gold,120,300,2026-10-30T08:00:00.000Z,lifecycle:active; vip\r\n'
 */
export function segmentCsvLine(m: MemberListView): string {
  const text = (v: string | null) => csvCell(v ?? '')
  const num = (v: number | null) => (v === null ? '' : String(v))
  return `${[
    String(m.id),
    text(m.phone),
    text(m.email),
    text(m.name),
    text(m.tierName),
    num(m.balance),
    num(m.pointsEarned),
    m.lastScanAt === null ? '' : new Date(m.lastScanAt).toISOString(),
    text(m.tags.map((t) => t.tag).join('; ')),
  ].join(',')}${EOL}`
}

/**
 * The segment's members as a CSV file (BOM, header, CRLF lines), streamed: rows are pulled from
 * the source only as the consumer reads, so memory stays flat for any segment size.
 *
 * @example
 * segmentCsvStream(views).pipe(response)
 */
export function segmentCsvStream(rows: AsyncIterable<MemberListView>): Readable {
  return Readable.from(blocks(rows), { objectMode: false })
}

async function* blocks(rows: AsyncIterable<MemberListView>): AsyncGenerator<Buffer> {
  let block = `${BOM}${SEGMENT_CSV_COLUMNS.join(',')}${EOL}`
  for await (const row of rows) {
    block += segmentCsvLine(row)
    if (block.length >= BLOCK_CHARS) {
      yield Buffer.from(block)
      block = ''
    }
  }
  if (block !== '') yield Buffer.from(block)
}
