import { and, asc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import {
  batches,
  codes,
  distributors,
  diversionCases,
  diversionSignals,
  products,
  scans,
} from '../db/schema.ts'
import type { CaseStatus, SignalKind } from './channel-schema.ts'
import type { ChannelScope } from './channel-scope.ts'
import type { CaseFilters } from './report-input.ts'

/** Rows fetched per query while streaming the CSV: bounded memory, and no read held open across ticks. */
export const EXPORT_CHUNK = 2000

export type MatrixRow = {
  distributorId: number | null
  distributorCode: string | null
  distributorName: string | null
  cells: Map<string, number>
  total: number
}

export type DiversionMatrix = {
  /** Region codes found, the busiest first ('' = no resolvable place). */
  regions: string[]
  rows: MatrixRow[]
  columnTotals: Map<string, number>
  total: number
}

/**
 * Signals in the window, of the scope's cases, narrowed by the filters. The signal's own time and
 * batch are filtered on the signal (its (brand_id, at) index bounds the read); distributor,
 * product, region and status on its case.
 */
function signalConditions(bdb: BrandDb, scope: ChannelScope, f: CaseFilters): SQL {
  return bdb.scoped(
    diversionSignals,
    f.fromMs !== undefined ? gte(diversionSignals.at, f.fromMs) : undefined,
    f.toMs !== undefined ? lt(diversionSignals.at, f.toMs) : undefined,
    f.batchId ? eq(diversionSignals.batchId, f.batchId) : undefined,
    // The case's own brand too: it lets the planner start from a distributor's cases when the
    // scope or a filter names distributors, and from the signals' (brand_id, at) index otherwise.
    eq(diversionCases.brandId, bdb.brandId),
    scope.distributorFilter(diversionCases.distributorId),
    f.status ? eq(diversionCases.status, f.status) : undefined,
    f.distributorId ? eq(diversionCases.distributorId, f.distributorId) : undefined,
    f.productId ? eq(diversionCases.productId, f.productId) : undefined,
    f.regionCode !== undefined ? eq(diversionCases.regionCode, f.regionCode) : undefined,
  )
}

/**
 * Diverted scans per distributor and region: distinct scans with an off-region signal, rows the
 * distributors (busiest first), columns the regions found, with totals.
 *
 * @example
 * const m = diversionMatrix(bdb, scope, { fromMs, toMs })
 * m.rows[0].cells.get('CN-SH') // 12
 */
export function diversionMatrix(bdb: BrandDb, scope: ChannelScope, f: CaseFilters): DiversionMatrix {
  const counts = bdb.db
    .select({
      distributorId: diversionCases.distributorId,
      regionCode: diversionCases.regionCode,
      n: sql<number>`count(distinct ${diversionSignals.scanId})`,
    })
    .from(diversionSignals)
    .innerJoin(diversionCases, eq(diversionCases.id, diversionSignals.caseId))
    .where(and(signalConditions(bdb, scope, f), eq(diversionSignals.kind, 'off-region')))
    .groupBy(diversionCases.distributorId, diversionCases.regionCode)
    .all()
  const ids = [...new Set(counts.flatMap((c) => (c.distributorId === null ? [] : [c.distributorId])))]
  const names = new Map(
    (ids.length === 0
      ? []
      : bdb.db
          .select({ id: distributors.id, code: distributors.code, name: distributors.name })
          .from(distributors)
          .where(bdb.scoped(distributors, inArray(distributors.id, ids)))
          .all()
    ).map((d) => [d.id, d]),
  )
  const rows = new Map<number | null, MatrixRow>()
  const columnTotals = new Map<string, number>()
  let total = 0
  for (const c of counts) {
    if (c.n === 0) continue
    let row = rows.get(c.distributorId)
    if (!row) {
      const d = c.distributorId === null ? undefined : names.get(c.distributorId)
      row = {
        distributorId: c.distributorId,
        distributorCode: d?.code ?? null,
        distributorName: d?.name ?? null,
        cells: new Map(),
        total: 0,
      }
      rows.set(c.distributorId, row)
    }
    row.cells.set(c.regionCode, c.n)
    row.total += c.n
    columnTotals.set(c.regionCode, (columnTotals.get(c.regionCode) ?? 0) + c.n)
    total += c.n
  }
  return {
    regions: [...columnTotals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([code]) => code),
    rows: [...rows.values()].sort(
      (a, b) => b.total - a.total || (a.distributorCode ?? '').localeCompare(b.distributorCode ?? ''),
    ),
    columnTotals,
    total,
  }
}

export type ExportRow = {
  signalId: number
  at: number
  kind: SignalKind
  caseId: number
  caseStatus: CaseStatus
  distributorCode: string | null
  distributorName: string | null
  productSku: string
  productName: string
  batchId: number
  lot: string | null
  serial: string | null
  regionCode: string
  placeEn: string | null
  locationSource: string | null
  accuracyM: number | null
  confidence: number
  distanceKm: number | null
  reasons: Record<string, unknown>
}

/**
 * Every signal of the report's filters, oldest first, in chunks of EXPORT_CHUNK read one query
 * at a time (keyset on (at, id), which the (brand_id, at) index serves in order), so a long
 * export neither holds a statement open across event-loop turns nor all rows in memory.
 *
 * @example
 * for (const rows of exportRows(bdb, scope, filters)) for (const r of rows) out.write(line(r))
 */
export function* exportRows(bdb: BrandDb, scope: ChannelScope, f: CaseFilters): Generator<ExportRow[]> {
  let after: { at: number; id: number } | undefined
  for (;;) {
    const rows = bdb.db
      .select({
        signalId: diversionSignals.id,
        at: diversionSignals.at,
        kind: diversionSignals.kind,
        caseId: diversionCases.id,
        caseStatus: diversionCases.status,
        distributorCode: distributors.code,
        distributorName: distributors.name,
        productSku: products.sku,
        productName: products.name,
        batchId: diversionSignals.batchId,
        lot: batches.lot,
        serial: codes.serial,
        regionCode: diversionSignals.regionCode,
        placeEn: scans.placeEn,
        locationSource: scans.locationSource,
        accuracyM: scans.accuracyM,
        confidence: diversionSignals.confidence,
        distanceKm: diversionSignals.distanceKm,
        reasons: diversionSignals.reasons,
      })
      .from(diversionSignals)
      .innerJoin(diversionCases, eq(diversionCases.id, diversionSignals.caseId))
      .innerJoin(products, eq(products.id, diversionCases.productId))
      .leftJoin(distributors, eq(distributors.id, diversionCases.distributorId))
      .leftJoin(batches, eq(batches.id, diversionSignals.batchId))
      .leftJoin(codes, eq(codes.id, diversionSignals.codeId))
      .leftJoin(scans, eq(scans.id, diversionSignals.scanId))
      .where(
        and(
          signalConditions(bdb, scope, f),
          after
            ? sql`(${diversionSignals.at} > ${after.at} or (${diversionSignals.at} = ${after.at} and ${diversionSignals.id} > ${after.id}))`
            : undefined,
          after ? gte(diversionSignals.at, after.at) : undefined,
        ),
      )
      .orderBy(asc(diversionSignals.at), asc(diversionSignals.id))
      .limit(EXPORT_CHUNK)
      .all()
    if (rows.length > 0) yield rows
    if (rows.length < EXPORT_CHUNK) return
    const last = rows.at(-1)!
    after = { at: last.at, id: last.signalId }
  }
}
