import type { DbLike } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import { isUniqueViolation } from '../db/sqlite-errors.ts'
import type { SignalKind } from './channel-schema.ts'

/**
 * What a check found, in words and figures: `text` is the sentence a channel manager reads (the
 * console is English); the other keys are the figures behind it (km, accuracy, speed, counts…).
 */
export type SignalReasons = { text: string } & Record<string, unknown>

export type NewSignal = {
  brandId: number
  kind: SignalKind
  /** The scan the check ran on; a signal is unique per (scan, kind), so a retried check adds nothing. */
  scanId: number
  codeId: number
  /** null for a code no shipment bound (bulk claiming of an unshipped batch). */
  distributorId: number | null
  productId: number
  batchId: number
  shipmentId: number | null
  /** The scan's resolved region ('CN-SH', 'US'), '' when it had none. */
  regionCode: string
  /** 0..1, see the check that made it. */
  confidence: number
  distanceKm: number | null
  reasons: SignalReasons
  at: number
}

export type RecordedSignal = { kind: 'recorded'; signalId: number; caseId: number } | { kind: 'duplicate' }

const statementsFor = preparedPerConnection((c) => {
  const q = {
    existing: c.prepare<[number, string], { id: number }>(
      'SELECT id FROM diversion_signals WHERE scan_id = ? AND kind = ?',
    ),
    openCase: c.prepare<[number, number, number, string], { id: number }>(`
      SELECT id FROM diversion_cases
      WHERE brand_id = ? AND coalesce(distributor_id, 0) = ? AND product_id = ? AND region_code = ?
        AND status = 'open'`),
    insertCase: c.prepare<[number, number | null, number, string, number, number]>(`
      INSERT INTO diversion_cases (brand_id, distributor_id, product_id, region_code, status, signal_count,
                                   max_confidence, first_at, last_at)
      VALUES (?, ?, ?, ?, 'open', 0, 0, ?, ?)`),
    insertSignal: c.prepare(`
      INSERT INTO diversion_signals (brand_id, case_id, kind, scan_id, code_id, distributor_id, product_id,
                                     batch_id, shipment_id, region_code, confidence, distance_km, reasons, at)
      VALUES (@brandId, @caseId, @kind, @scanId, @codeId, @distributorId, @productId, @batchId, @shipmentId,
              @regionCode, @confidence, @distanceKm, @reasons, @at)`),
    touchCase: c.prepare<{ caseId: number; brandId: number; at: number; confidence: number }>(`
      UPDATE diversion_cases
      SET signal_count = signal_count + 1, first_at = min(first_at, @at), last_at = max(last_at, @at),
          max_confidence = max(max_confidence, @confidence)
      WHERE id = @caseId AND brand_id = @brandId`),
    record: c.transaction((s: NewSignal): RecordedSignal => {
      if (q.existing.get(s.scanId, s.kind)) return { kind: 'duplicate' }
      const caseId = openCaseFor(s)
      const inserted = q.insertSignal.run({
        ...s,
        caseId,
        confidence: round2(s.confidence),
        distanceKm: s.distanceKm === null ? null : Math.round(s.distanceKm * 10) / 10,
        reasons: JSON.stringify(s.reasons),
      })
      q.touchCase.run({ caseId, brandId: s.brandId, at: s.at, confidence: round2(s.confidence) })
      return { kind: 'recorded', signalId: Number(inserted.lastInsertRowid), caseId }
    }),
  }
  /**
   * The open case of the signal's group, opened if there is none. Another connection may open the
   * same case between our look and our insert: the partial unique index refuses the second open
   * case, and the look is repeated (once is enough: the winner's case is committed by then).
   */
  function openCaseFor(s: NewSignal): number {
    const key = [s.brandId, s.distributorId ?? 0, s.productId, s.regionCode] as const
    const found = q.openCase.get(...key)
    if (found) return found.id
    try {
      return Number(
        q.insertCase.run(s.brandId, s.distributorId, s.productId, s.regionCode, s.at, s.at).lastInsertRowid,
      )
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      const winner = q.openCase.get(...key)
      if (!winner) throw err
      return winner.id
    }
  }
  return q
})

function round2(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 100) / 100
}

/**
 * Records a signal and files it in its case, in one transaction (a savepoint inside the caller's):
 * the open case for (brand, distributor, product, region) takes it, or a new case opens; the case's
 * signal count, first/last time and highest confidence follow. A second signal of the same kind
 * for the same scan (a retried request, a check run twice) is a no-op answered `duplicate`.
 *
 * @example
 * recordSignal(db, { brandId, kind: 'off-region', scanId, codeId, distributorId, productId, batchId,
 *   shipmentId, regionCode: 'CN-SH', confidence: 0.95, distanceKm: 863, reasons: { text: '…' }, at: now })
 */
export function recordSignal(db: DbLike, signal: NewSignal): RecordedSignal {
  try {
    return statementsFor(db).record(signal)
  } catch (err) {
    // Another connection recorded the same (scan, kind) between our look and our insert.
    if (isUniqueViolation(err)) return { kind: 'duplicate' }
    throw err
  }
}

const withdrawStatements = preparedPerConnection((c) => ({
  // Only from open cases: a decided case keeps the evidence its decision rested on.
  ipFindings: c.prepare<[number, string], { id: number; caseId: number; brandId: number }>(`
    SELECT s.id, s.case_id AS caseId, s.brand_id AS brandId
    FROM diversion_signals s JOIN diversion_cases k ON k.id = s.case_id AND k.brand_id = s.brand_id
    WHERE s.scan_id = ? AND s.kind = ? AND json_extract(s.reasons, '$.source') = 'ip' AND k.status = 'open'`),
  remove: c.prepare<[number]>('DELETE FROM diversion_signals WHERE id = ?'),
  recount: c.prepare<{ caseId: number; brandId: number }>(`
    UPDATE diversion_cases
    SET signal_count = signal_count - 1,
        max_confidence = coalesce((SELECT max(confidence) FROM diversion_signals WHERE case_id = @caseId), 0),
        first_at = coalesce((SELECT min(at) FROM diversion_signals WHERE case_id = @caseId), first_at),
        last_at = coalesce((SELECT max(at) FROM diversion_signals WHERE case_id = @caseId), last_at)
    WHERE id = @caseId AND brand_id = @brandId`),
  // An open case left with nothing in it (and nothing held on it) was only ever about that finding.
  dropEmpty: c.prepare<{ caseId: number; brandId: number }>(`
    DELETE FROM diversion_cases
    WHERE id = @caseId AND brand_id = @brandId AND status = 'open' AND signal_count = 0
      AND NOT EXISTS (SELECT 1 FROM held_claims WHERE case_id = @caseId)`),
}))

type TouchedCase = { caseId: number; brandId: number }

/**
 * Withdraws a scan's signal of this kind that rested on an IP location, once the phone's own GPS
 * fix has replaced that location: a signal is unique per (scan, kind), so the GPS finding could
 * not be filed beside it, and an IP guess must not stand for the phone's position. Only from an
 * open case (a decided one keeps its evidence); the case's count, times and highest confidence
 * follow. Answers the cases it touched: once the checks have filed the GPS findings, pass them to
 * dropEmptyCases, so that a finding filed again keeps its case (and its id) rather than a new one.
 * Call both inside the checks' transaction.
 *
 * @example
 * const touched = withdrawIpSignal(db, scanId, 'off-region'); …file…; dropEmptyCases(db, touched)
 */
export function withdrawIpSignal(db: DbLike, scanId: number, kind: SignalKind): TouchedCase[] {
  const q = withdrawStatements(db)
  const found = q.ipFindings.all(scanId, kind)
  for (const g of found) {
    q.remove.run(g.id)
    q.recount.run({ caseId: g.caseId, brandId: g.brandId })
  }
  return found.map((g) => ({ caseId: g.caseId, brandId: g.brandId }))
}

/** Removes the open cases among these that were left with no signal and no held claim. */
export function dropEmptyCases(db: DbLike, touched: TouchedCase[]): void {
  const q = withdrawStatements(db)
  for (const t of touched) q.dropEmpty.run(t)
}

export type CaseSignal = {
  id: number
  kind: SignalKind
  scanId: number | null
  codeId: number
  serial: string
  seq: number
  batchId: number
  shipmentId: number | null
  regionCode: string
  confidence: number
  distanceKm: number | null
  reasons: SignalReasons
  at: number
  /** The scan behind the signal: when, where (coarse place; coordinates until the retention job). */
  scan: {
    at: number
    placeZh: string | null
    placeEn: string | null
    lat: number | null
    lon: number | null
    accuracyM: number | null
    locationSource: 'gps' | 'ip' | null
  } | null
}

const listStatements = preparedPerConnection((c) => ({
  signals: c.prepare<[number, number, number, number]>(`
    SELECT g.id, g.kind, g.scan_id AS scanId, g.code_id AS codeId, c.serial, c.seq, g.batch_id AS batchId,
           g.shipment_id AS shipmentId, g.region_code AS regionCode, g.confidence, g.distance_km AS distanceKm,
           g.reasons, g.at, s.at AS scanAt, s.place_zh AS placeZh, s.place_en AS placeEn, s.lat, s.lon,
           s.accuracy_m AS accuracyM, s.location_source AS locationSource
    FROM diversion_signals g
    JOIN codes c ON c.id = g.code_id
    LEFT JOIN scans s ON s.id = g.scan_id
    WHERE g.case_id = ? AND g.brand_id = ?
    ORDER BY g.at, g.id
    LIMIT ? OFFSET ?`),
  ofScan: c.prepare<[number, number], { id: number; kind: SignalKind; caseId: number }>(
    'SELECT id, kind, case_id AS caseId FROM diversion_signals WHERE scan_id = ? AND brand_id = ? ORDER BY id',
  ),
}))

type SignalRow = Omit<CaseSignal, 'scan' | 'reasons'> & {
  reasons: string
  scanAt: number | null
  placeZh: string | null
  placeEn: string | null
  lat: number | null
  lon: number | null
  accuracyM: number | null
  locationSource: 'gps' | 'ip' | null
}

/**
 * One page of a case's signals, oldest first, each with its code and the scan behind it: the
 * evidence list of the case page. Brand-scoped: another brand's case id yields nothing.
 *
 * @example
 * listCaseSignals(db, staff.brandId, caseId, { limit: 50, offset: 0 })
 */
export function listCaseSignals(
  db: DbLike,
  brandId: number,
  caseId: number,
  page: { limit: number; offset: number } = { limit: 100, offset: 0 },
): CaseSignal[] {
  const rows = listStatements(db).signals.all(caseId, brandId, page.limit, page.offset) as SignalRow[]
  return rows.map(({ scanAt, placeZh, placeEn, lat, lon, accuracyM, locationSource, reasons, ...r }) => ({
    ...r,
    reasons: JSON.parse(reasons) as SignalReasons,
    scan: scanAt === null ? null : { at: scanAt, placeZh, placeEn, lat, lon, accuracyM, locationSource },
  }))
}

/** The signals one scan raised (kind and case), e.g. for tests and the code lookup. */
export function signalsOfScan(
  db: DbLike,
  brandId: number,
  scanId: number,
): { id: number; kind: SignalKind; caseId: number }[] {
  return listStatements(db).ofScan.all(scanId, brandId)
}
