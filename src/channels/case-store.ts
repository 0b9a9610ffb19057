import { and, asc, count, desc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import {
  batches,
  codes,
  distributorRegions,
  distributors,
  diversionCases,
  diversionSignals,
  heldClaims,
  products,
  scans,
  shipments,
  staff,
} from '../db/schema.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import type { CaseStatus, SignalKind } from './channel-schema.ts'
import type { ChannelScope } from './channel-scope.ts'
import { settleHeldClaims } from './held-claims.ts'
import type { CaseFilters, Decision } from './report-input.ts'

export const CASES_PAGE_SIZE = 25
/** A case page lists at most this many codes, scans and signals; the CSV export has them all. */
export const EVIDENCE_LIMIT = 300

export type CaseRow = {
  id: number
  status: CaseStatus
  distributorId: number | null
  distributorCode: string | null
  distributorName: string | null
  productId: number
  productSku: string
  productName: string
  regionCode: string
  signalCount: number
  maxConfidence: number
  firstAt: number
  lastAt: number
  decidedAt: number | null
  decidedByStaffId: number | null
  note: string | null
}

export type CasePage = { rows: CaseRow[]; total: number; page: number; pageCount: number }

const caseColumns = {
  id: diversionCases.id,
  status: diversionCases.status,
  distributorId: diversionCases.distributorId,
  distributorCode: distributors.code,
  distributorName: distributors.name,
  productId: diversionCases.productId,
  productSku: products.sku,
  productName: products.name,
  regionCode: diversionCases.regionCode,
  signalCount: diversionCases.signalCount,
  maxConfidence: diversionCases.maxConfidence,
  firstAt: diversionCases.firstAt,
  lastAt: diversionCases.lastAt,
  decidedAt: diversionCases.decidedAt,
  decidedByStaffId: diversionCases.decidedByStaffId,
  note: diversionCases.note,
}

/**
 * The brand's cases the scope sees, narrowed by the filters. A channel manager's scope leaves out
 * other distributors' cases and the cases of unshipped codes (null distributor).
 */
export function caseConditions(bdb: BrandDb, scope: ChannelScope, f: CaseFilters): SQL {
  return bdb.scoped(
    diversionCases,
    scope.distributorFilter(diversionCases.distributorId),
    f.status ? eq(diversionCases.status, f.status) : undefined,
    f.distributorId ? eq(diversionCases.distributorId, f.distributorId) : undefined,
    f.productId ? eq(diversionCases.productId, f.productId) : undefined,
    f.regionCode !== undefined ? eq(diversionCases.regionCode, f.regionCode) : undefined,
    // Active in the window: it had a signal before the end and its last one after the start.
    f.fromMs !== undefined ? gte(diversionCases.lastAt, f.fromMs) : undefined,
    f.toMs !== undefined ? lt(diversionCases.firstAt, f.toMs) : undefined,
    f.batchId
      ? sql`exists (select 1 from ${diversionSignals} where ${diversionSignals.caseId} = ${diversionCases.id} and ${diversionSignals.batchId} = ${f.batchId})`
      : undefined,
  )
}

/**
 * One page of cases, newest activity first.
 *
 * @example
 * listCases(bdb, channelScopeOf(db, staff), { status: 'open' }, 1) // { rows, total, page: 1, pageCount }
 */
export function listCases(bdb: BrandDb, scope: ChannelScope, f: CaseFilters, page: number): CasePage {
  const where = caseConditions(bdb, scope, f)
  const total = bdb.db.select({ n: count() }).from(diversionCases).where(where).get()?.n ?? 0
  const pageCount = Math.max(1, Math.ceil(total / CASES_PAGE_SIZE))
  const current = Math.min(page, pageCount)
  const rows = bdb.db
    .select(caseColumns)
    .from(diversionCases)
    .innerJoin(products, eq(products.id, diversionCases.productId))
    .leftJoin(distributors, eq(distributors.id, diversionCases.distributorId))
    .where(where)
    .orderBy(desc(diversionCases.lastAt), desc(diversionCases.id))
    .limit(CASES_PAGE_SIZE)
    .offset((current - 1) * CASES_PAGE_SIZE)
    .all()
  return { rows, total, page: current, pageCount }
}

export type FilterOptions = {
  distributors: { id: number; code: string; name: string }[]
  products: { id: number; sku: string; name: string }[]
  regionCodes: string[]
}

/** What the filter form offers: the scope's distributors, and products and regions of its cases. */
export function filterOptions(bdb: BrandDb, scope: ChannelScope): FilterOptions {
  const visible = scope.distributorFilter(diversionCases.distributorId)
  return {
    distributors: bdb.db
      .select({ id: distributors.id, code: distributors.code, name: distributors.name })
      .from(distributors)
      .where(bdb.scoped(distributors, scope.distributorFilter(distributors.id)))
      .orderBy(asc(distributors.code))
      .all(),
    products: bdb.db
      .select({ id: products.id, sku: products.sku, name: products.name })
      .from(products)
      .where(
        bdb.scoped(
          products,
          sql`${products.id} in (select ${diversionCases.productId} from ${diversionCases} where ${bdb.scoped(diversionCases, visible)})`,
        ),
      )
      .orderBy(asc(products.sku))
      .all(),
    regionCodes: bdb.db
      .selectDistinct({ code: diversionCases.regionCode })
      .from(diversionCases)
      .where(bdb.scoped(diversionCases, visible))
      .orderBy(asc(diversionCases.regionCode))
      .all()
      .map((r) => r.code),
  }
}

/** Whether a distributor id names one of the brand's distributors inside the scope. */
export function distributorVisible(bdb: BrandDb, scope: ChannelScope, distributorId: number): boolean {
  if (!scope.seesDistributor(distributorId)) return false
  return (
    bdb.db
      .select({ id: distributors.id })
      .from(distributors)
      .where(bdb.scoped(distributors, eq(distributors.id, distributorId)))
      .get() !== undefined
  )
}

/** The case, if it is the brand's and inside the scope; anything else is "not found". */
export function findCase(bdb: BrandDb, scope: ChannelScope, caseId: number): CaseRow | undefined {
  return bdb.db
    .select(caseColumns)
    .from(diversionCases)
    .innerJoin(products, eq(products.id, diversionCases.productId))
    .leftJoin(distributors, eq(distributors.id, diversionCases.distributorId))
    .where(and(caseConditions(bdb, scope, {}), eq(diversionCases.id, caseId)))
    .get()
}

export type CaseEvidence = {
  distributor?: {
    id: number
    code: string
    name: string
    status: string
    contactName: string | null
    regionCodes: string[]
  }
  decidedBy?: string
  codes: {
    id: number
    serial: string
    batchId: number
    lot: string | null
    state: string
    shipmentId: number | null
  }[]
  codeCount: number
  scans: {
    id: number
    codeId: number | null
    at: number
    verdict: string
    deviceId: string
    placeEn: string | null
    placeZh: string | null
    regionCode: string | null
    locationSource: string | null
    accuracyM: number | null
    lat: number | null
    lon: number | null
  }[]
  scanCount: number
  signals: {
    id: number
    kind: SignalKind
    at: number
    scanId: number | null
    codeId: number
    regionCode: string
    confidence: number
    distanceKm: number | null
    reasons: Record<string, unknown>
  }[]
  shipments: {
    id: number
    kind: string
    distributorName: string
    batchId: number | null
    seqFrom: number | null
    seqTo: number | null
    codeCount: number
    reboundCount: number
    reason: string | null
    note: string | null
    actorLabel: string
    createdAt: number
  }[]
  heldClaims: { id: number; codeId: number; memberId: number; createdAt: number }[]
}

/**
 * Everything a manager needs to act on a case: the distributor and its sales regions, the codes
 * its signals name, every scan of those codes, the signals with their reasons, the shipments that
 * bound the codes (only those of distributors in scope), and the claims held for the decision.
 */
export function caseEvidence(bdb: BrandDb, scope: ChannelScope, c: CaseRow): CaseEvidence {
  const db = bdb.db
  const d = c.distributorId
    ? db
        .select()
        .from(distributors)
        .where(bdb.scoped(distributors, eq(distributors.id, c.distributorId)))
        .get()
    : undefined
  const regionCodes = d
    ? db
        .select({ code: distributorRegions.regionCode })
        .from(distributorRegions)
        .where(bdb.scoped(distributorRegions, eq(distributorRegions.distributorId, d.id)))
        .orderBy(asc(distributorRegions.regionCode))
        .all()
        .map((r) => r.code)
    : []
  const signals = db
    .select({
      id: diversionSignals.id,
      kind: diversionSignals.kind,
      at: diversionSignals.at,
      scanId: diversionSignals.scanId,
      codeId: diversionSignals.codeId,
      regionCode: diversionSignals.regionCode,
      confidence: diversionSignals.confidence,
      distanceKm: diversionSignals.distanceKm,
      reasons: diversionSignals.reasons,
      shipmentId: diversionSignals.shipmentId,
    })
    .from(diversionSignals)
    .where(bdb.scoped(diversionSignals, eq(diversionSignals.caseId, c.id)))
    .orderBy(desc(diversionSignals.at), desc(diversionSignals.id))
    .limit(EVIDENCE_LIMIT)
    .all()
  const codeIdRows = db
    .selectDistinct({ codeId: diversionSignals.codeId })
    .from(diversionSignals)
    .where(bdb.scoped(diversionSignals, eq(diversionSignals.caseId, c.id)))
    .all()
  const codeIds = codeIdRows.map((r) => r.codeId).slice(0, EVIDENCE_LIMIT)
  const caseCodes =
    codeIds.length === 0
      ? []
      : db
          .select({
            id: codes.id,
            serial: codes.serial,
            batchId: codes.batchId,
            lot: batches.lot,
            state: codes.state,
            shipmentId: codes.shipmentId,
          })
          .from(codes)
          .innerJoin(batches, eq(batches.id, codes.batchId))
          .where(and(eq(codes.brandId, bdb.brandId), inArray(codes.id, codeIds)))
          .orderBy(asc(codes.batchId), asc(codes.seq))
          .all()
  const scanWhere =
    codeIds.length === 0 ? sql`false` : and(eq(scans.brandId, bdb.brandId), inArray(scans.codeId, codeIds))
  const scanRows = db
    .select({
      id: scans.id,
      codeId: scans.codeId,
      at: scans.at,
      verdict: scans.verdict,
      deviceId: scans.deviceId,
      placeEn: scans.placeEn,
      placeZh: scans.placeZh,
      regionCode: scans.regionCode,
      locationSource: scans.locationSource,
      accuracyM: scans.accuracyM,
      lat: scans.lat,
      lon: scans.lon,
    })
    .from(scans)
    .where(scanWhere)
    .orderBy(desc(scans.at), desc(scans.id))
    .limit(EVIDENCE_LIMIT)
    .all()
  const scanCount = db.select({ n: count() }).from(scans).where(scanWhere).get()?.n ?? 0
  // The shipment that bound each code when it was scanned, and the code's latest binding.
  const shipmentIds = [
    ...new Set([
      ...signals.flatMap((s) => (s.shipmentId ? [s.shipmentId] : [])),
      ...caseCodes.flatMap((k) => (k.shipmentId ? [k.shipmentId] : [])),
    ]),
  ]
  const shipmentRows =
    shipmentIds.length === 0
      ? []
      : db
          .select({
            id: shipments.id,
            kind: shipments.kind,
            distributorId: shipments.distributorId,
            distributorName: distributors.name,
            batchId: shipments.batchId,
            seqFrom: shipments.seqFrom,
            seqTo: shipments.seqTo,
            codeCount: shipments.codeCount,
            reboundCount: shipments.reboundCount,
            reason: shipments.reason,
            note: shipments.note,
            actorLabel: shipments.actorLabel,
            createdAt: shipments.createdAt,
          })
          .from(shipments)
          .innerJoin(distributors, eq(distributors.id, shipments.distributorId))
          .where(bdb.scoped(shipments, inArray(shipments.id, shipmentIds)))
          .orderBy(asc(shipments.createdAt))
          .all()
          .filter((s) => scope.seesDistributor(s.distributorId))
  const held = db
    .select({
      id: heldClaims.id,
      codeId: heldClaims.codeId,
      memberId: heldClaims.memberId,
      createdAt: heldClaims.createdAt,
    })
    .from(heldClaims)
    .where(bdb.scoped(heldClaims, eq(heldClaims.caseId, c.id), eq(heldClaims.status, 'held')))
    .orderBy(asc(heldClaims.createdAt))
    .all()
  const decider = c.decidedByStaffId
    ? db
        .select({ name: staff.name, email: staff.email })
        .from(staff)
        .where(bdb.scoped(staff, eq(staff.id, c.decidedByStaffId)))
        .get()
    : undefined
  return {
    decidedBy: decider ? `${decider.name} <${decider.email}>` : undefined,
    distributor: d
      ? {
          id: d.id,
          code: d.code,
          name: d.name,
          status: d.status,
          contactName: d.contactName,
          regionCodes,
        }
      : undefined,
    codes: caseCodes,
    codeCount: codeIdRows.length,
    scans: scanRows,
    scanCount,
    signals: signals.map(({ shipmentId: _, ...s }) => s),
    shipments: shipmentRows.map(({ distributorId: _, ...s }) => s),
    heldClaims: held,
  }
}

export type DecideOutcome =
  | { kind: 'decided'; status: CaseStatus; released: number; refused: number }
  | { kind: 'not-found' }
  | { kind: 'already-decided'; status: CaseStatus; decidedAt: number | null }

/**
 * Confirms or dismisses an open case in one transaction: the case's status, decider, time and
 * note; an audit record; and the claims held for it settled (a dismissed case releases them and
 * awards the points, a confirmed one refuses them). The UPDATE only matches an open case, so two
 * managers deciding at once cannot both win.
 *
 * @example
 * decideCase(bdb, scope, { staffId: 3, label: 'li@tea.cn' }, 12, 'confirm', 'Sold in Shanghai market', now)
 */
export function decideCase(
  bdb: BrandDb,
  scope: ChannelScope,
  actor: Actor & { staffId: number },
  caseId: number,
  decision: Decision,
  note: string,
  now: number,
): DecideOutcome {
  const status: CaseStatus = decision === 'confirm' ? 'confirmed' : 'dismissed'
  return bdb.db.transaction((tx) => {
    const visible = caseConditions(bdb, scope, {})
    const updated = tx
      .update(diversionCases)
      .set({ status, decidedByStaffId: actor.staffId, decidedAt: now, note })
      .where(and(visible, eq(diversionCases.id, caseId), eq(diversionCases.status, 'open')))
      .returning({
        distributorId: diversionCases.distributorId,
        productId: diversionCases.productId,
        regionCode: diversionCases.regionCode,
        signalCount: diversionCases.signalCount,
      })
      .get()
    if (!updated) {
      const existing = tx
        .select({ status: diversionCases.status, decidedAt: diversionCases.decidedAt })
        .from(diversionCases)
        .where(and(visible, eq(diversionCases.id, caseId)))
        .get()
      return existing
        ? { kind: 'already-decided', status: existing.status, decidedAt: existing.decidedAt }
        : { kind: 'not-found' }
    }
    // settleHeldClaims takes the Db handle: its one connection carries this open transaction.
    const settled = settleHeldClaims(bdb.db, bdb.brandId, caseId, status, now)
    recordAudit(tx, bdb.brandId, actor, now, {
      action: `diversion.case.${decision}`,
      subjectType: 'diversion_case',
      subjectId: caseId,
      detail: { ...updated, note, heldReleased: settled.released, heldRefused: settled.refused },
    })
    return { kind: 'decided', status, released: settled.released, refused: settled.refused }
  })
}
