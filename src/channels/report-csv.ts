import { setImmediate as nextTurn } from 'node:timers/promises'
import { csvCell } from '../batches/print-csv.ts'
import { type RegionName, regionLabel } from './region-names.ts'
import type { ExportRow } from './report-store.ts'

const EOL = '\r\n'
/** Excel reads a CSV without a byte-order mark as the machine's ANSI code page and garbles 中文. */
const BOM = '\uFEFF'

export const REPORT_CSV_COLUMNS = [
  'signal_id',
  'time_utc',
  'kind',
  'case_id',
  'case_status',
  'distributor_code',
  'distributor',
  'product_sku',
  'product',
  'batch_id',
  'lot',
  'serial',
  'region_code',
  'region',
  'place',
  'location_source',
  'accuracy_m',
  'confidence',
  'distance_km',
  'reasons',
] as const

/** 'distance_km=1204; source=gps' — the signal's reasons on one line. */
export function reasonsText(reasons: Record<string, unknown>): string {
  return Object.entries(reasons)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ')
}

/**
 * One CSV line of a signal. Every text cell goes through csvCell, so a distributor called
 * '=HYPERLINK(…)' arrives in the spreadsheet as text; numbers are ours and written as they are.
 *
 * @example
 * reportCsvLine(row, (code) => ({ code, nameEn: 'Shanghai', nameZh: '上海市' }))
 */
export function reportCsvLine(r: ExportRow, regionName: (code: string) => RegionName): string {
  const text = (v: string | null | undefined) => csvCell(v ?? '')
  const num = (v: number | null | undefined, digits?: number) =>
    v == null ? '' : digits === undefined ? String(v) : v.toFixed(digits)
  return [
    num(r.signalId),
    new Date(r.at).toISOString(),
    text(r.kind),
    num(r.caseId),
    text(r.caseStatus),
    text(r.distributorCode),
    text(r.distributorName),
    text(r.productSku),
    text(r.productName),
    num(r.batchId),
    text(r.lot),
    text(r.serial),
    text(r.regionCode),
    text(regionLabel(regionName(r.regionCode))),
    text(r.placeEn),
    text(r.locationSource),
    num(r.accuracyM, 0),
    num(r.confidence, 2),
    num(r.distanceKm, 1),
    text(reasonsText(r.reasons)),
  ].join(',')
}

/**
 * The export as UTF-8 blocks: a BOM and the header, then one block per chunk of rows, giving the
 * event loop a turn between chunks so that scans and claims are answered during a long export.
 *
 * @example
 * Readable.from(reportCsvBlocks(exportRows(bdb, scope, f), (codes) => regionNamer(bdb, codes)))
 */
export async function* reportCsvBlocks(
  chunks: Iterable<ExportRow[]>,
  namerFor: (codes: string[]) => (code: string) => RegionName,
): AsyncGenerator<Buffer> {
  yield Buffer.from(`${BOM}${REPORT_CSV_COLUMNS.join(',')}${EOL}`)
  for (const rows of chunks) {
    const name = namerFor(rows.map((r) => r.regionCode))
    let block = ''
    for (const r of rows) block += reportCsvLine(r, name) + EOL
    yield Buffer.from(block)
    await nextTurn()
  }
}
