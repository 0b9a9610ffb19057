import type { Readable } from 'node:stream'
import type { BrandDb } from '../db/brand-scope.ts'
import type { Actor } from '../staff/audit-store.ts'
import type { BatchWithProduct } from './batch-store.ts'
import type { Range } from './code-actions-store.ts'
import { printRows, recordPrintExport } from './print-export-store.ts'
import { writePrintFile } from './print-file.ts'
import { contentTypeFor, fileNameFor, type PrintFormat, safeFileStem } from './print-formats.ts'

export type PrintFile = { exportId: number; stream: Readable; fileName: string; contentType: string }

/**
 * Records a print export (who, which codes) and opens its file as a stream; the one path used by
 * the console, the printer link and the CLI, so no print file is ever made without its record.
 *
 * @example
 * const file = openPrintFile(bdb, actor, batch, 'csv', { from: 1, to: batch.quantity }, baseUrl, now)
 * file.stream.pipe(fs.createWriteStream(out))
 */
export function openPrintFile(
  bdb: BrandDb,
  actor: Actor,
  batch: BatchWithProduct,
  format: PrintFormat,
  range: Range,
  baseUrl: string,
  now: number,
  opts: {
    downloadLinkId?: number
    onRow?: (seq: number) => void
    grid?: { columns?: number; rows?: number }
  } = {},
): PrintFile {
  const exportId = recordPrintExport(
    bdb,
    actor,
    { batchId: batch.id, format, range, downloadLinkId: opts.downloadLinkId },
    now,
  )
  const baseName = safeFileStem(`${batch.productSku}-batch${batch.id}${batch.lot ? `-${batch.lot}` : ''}`)
  const rows = printRows(bdb.db, batch, baseUrl, range)
  const stream = writePrintFile(format, opts.onRow ? observed(rows, opts.onRow) : rows, {
    baseName,
    title: `${batch.productName} · batch #${batch.id}${batch.lot ? ` · lot ${batch.lot}` : ''}`,
    modifiedAt: new Date(now),
    columns: opts.grid?.columns,
    rows: opts.grid?.rows,
  })
  return { exportId, stream, fileName: fileNameFor(format, baseName), contentType: contentTypeFor(format) }
}

async function* observed<T extends { seq: number }>(rows: AsyncIterable<T>, onRow: (seq: number) => void) {
  for await (const row of rows) {
    onRow(row.seq)
    yield row
  }
}
