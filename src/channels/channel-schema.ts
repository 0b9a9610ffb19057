import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { batches } from '../batches/batch-schema.ts'
import { brands, staff } from '../staff/staff-schema.ts'

export const DISTRIBUTOR_STATUSES = ['active', 'suspended'] as const

/** A brand's distributor (经销商): the party a shipment binds codes to. */
export const distributors = sqliteTable(
  'distributors',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    /** The brand's own distributor number, unique per brand (e.g. 'GD-001'). */
    code: text('code').notNull(),
    name: text('name').notNull(),
    contactName: text('contact_name'),
    contactPhone: text('contact_phone'),
    contactEmail: text('contact_email'),
    status: text('status', { enum: DISTRIBUTOR_STATUSES }).notNull().default('active'),
    notes: text('notes'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('distributors_brand_code_uq').on(t.brandId, t.code)],
)

/**
 * A distributor's sales regions: shipped region codes ('CN-GD', 'US') or a brand region's code
 * ('X<id>', see brand_regions).
 */
export const distributorRegions = sqliteTable(
  'distributor_regions',
  {
    distributorId: integer('distributor_id')
      .notNull()
      .references(() => distributors.id),
    brandId: integer('brand_id').notNull(),
    regionCode: text('region_code').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.distributorId, t.regionCode] }),
    index('distributor_regions_brand_idx').on(t.brandId, t.regionCode),
  ],
)

/** A region an owner drew and uploaded as GeoJSON; its code is 'X' + id. */
export const brandRegions = sqliteTable(
  'brand_regions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    /** Polygons → rings (outer first) → [lon, lat] pairs, validated and closed, as JSON. */
    polygons: text('polygons', { mode: 'json' }).$type<number[][][][]>().notNull(),
    minLon: real('min_lon').notNull(),
    minLat: real('min_lat').notNull(),
    maxLon: real('max_lon').notNull(),
    maxLat: real('max_lat').notNull(),
    vertexCount: integer('vertex_count').notNull(),
    createdByStaffId: integer('created_by_staff_id').references(() => staff.id),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('brand_regions_brand_idx').on(t.brandId)],
)

/** Which distributors a channel manager looks after; owners see every distributor. */
export const staffDistributors = sqliteTable(
  'staff_distributors',
  {
    staffId: integer('staff_id')
      .notNull()
      .references(() => staff.id),
    distributorId: integer('distributor_id')
      .notNull()
      .references(() => distributors.id),
    brandId: integer('brand_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.staffId, t.distributorId] }),
    index('staff_distributors_distributor_idx').on(t.distributorId),
  ],
)

export const SHIPMENT_KINDS = ['batch', 'range', 'list'] as const

/** A warehouse-out (出库): codes activated and bound to a distributor in one audited step. */
export const shipments = sqliteTable(
  'shipments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    distributorId: integer('distributor_id')
      .notNull()
      .references(() => distributors.id),
    kind: text('kind', { enum: SHIPMENT_KINDS }).notNull(),
    /** The batch for 'batch' and 'range' shipments; a list may span batches (null). */
    batchId: integer('batch_id').references(() => batches.id),
    seqFrom: integer('seq_from'),
    seqTo: integer('seq_to'),
    codeCount: integer('code_count').notNull(),
    /** Codes that were bound to another distributor before this shipment. */
    reboundCount: integer('rebound_count').notNull().default(0),
    /** Required when any code was bound before. */
    reason: text('reason'),
    note: text('note'),
    actorStaffId: integer('actor_staff_id').references(() => staff.id),
    actorLabel: text('actor_label').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('shipments_brand_idx').on(t.brandId, t.createdAt),
    index('shipments_distributor_idx').on(t.distributorId, t.createdAt),
  ],
)

export const SIGNAL_KINDS = ['off-region', 'impossible-travel', 'device-count', 'bulk-claim'] as const
export type SignalKind = (typeof SIGNAL_KINDS)[number]
export const CASE_STATUSES = ['open', 'confirmed', 'dismissed'] as const
export type CaseStatus = (typeof CASE_STATUSES)[number]

/**
 * Signals are grouped into cases per distributor, product and region; one open case per group
 * (a decided case stays as it was, and the next signal of the group opens a new one).
 * `regionCode` is '' when the scans had no resolvable region; `distributorId` is null for
 * signals on codes no shipment bound (bulk claiming of an unshipped batch): owners only.
 */
export const diversionCases = sqliteTable(
  'diversion_cases',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    distributorId: integer('distributor_id').references(() => distributors.id),
    productId: integer('product_id').notNull(),
    regionCode: text('region_code').notNull(),
    status: text('status', { enum: CASE_STATUSES }).notNull().default('open'),
    signalCount: integer('signal_count').notNull().default(0),
    /** The highest confidence among the case's signals, 0..1. */
    maxConfidence: real('max_confidence').notNull().default(0),
    firstAt: integer('first_at').notNull(),
    lastAt: integer('last_at').notNull(),
    decidedByStaffId: integer('decided_by_staff_id').references(() => staff.id),
    decidedAt: integer('decided_at'),
    note: text('note'),
  },
  (t) => [
    uniqueIndex('diversion_cases_open_uq')
      .on(t.brandId, sql`coalesce(${t.distributorId}, 0)`, t.productId, t.regionCode)
      .where(sql`status = 'open'`),
    index('diversion_cases_brand_idx').on(t.brandId, t.status, t.lastAt),
    // The report's unfiltered case list: newest activity first without sorting the brand's cases.
    index('diversion_cases_brand_last_idx').on(t.brandId, t.lastAt),
    index('diversion_cases_distributor_idx').on(t.distributorId, t.lastAt),
  ],
)

/** One check's finding about one scan, with its reasons; belongs to one case. */
export const diversionSignals = sqliteTable(
  'diversion_signals',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    caseId: integer('case_id')
      .notNull()
      .references(() => diversionCases.id),
    kind: text('kind', { enum: SIGNAL_KINDS }).notNull(),
    scanId: integer('scan_id'),
    codeId: integer('code_id').notNull(),
    distributorId: integer('distributor_id'),
    productId: integer('product_id').notNull(),
    batchId: integer('batch_id').notNull(),
    shipmentId: integer('shipment_id'),
    regionCode: text('region_code').notNull(),
    /** How sure the check is, 0..1 (GPS accuracy, IP location, …). */
    confidence: real('confidence').notNull(),
    /** Off-region: great-circle km from the scan to the nearest allowed region. */
    distanceKm: real('distance_km'),
    /** Human-readable reasons and the figures behind them. */
    reasons: text('reasons', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    at: integer('at').notNull(),
  },
  (t) => [
    // A check runs once per scan and kind, however often it is retried.
    uniqueIndex('diversion_signals_scan_kind_uq').on(t.scanId, t.kind),
    index('diversion_signals_case_idx').on(t.caseId, t.at),
    index('diversion_signals_brand_at_idx').on(t.brandId, t.at),
    // Covers the report's distributor × region matrix: it is read from the index alone.
    index('diversion_signals_report_idx').on(t.brandId, t.kind, t.at, t.caseId, t.scanId),
    index('diversion_signals_code_idx').on(t.codeId),
  ],
)

export const DIVERTED_POLICIES = ['award', 'hold', 'refuse'] as const
export type DivertedPolicy = (typeof DIVERTED_POLICIES)[number]
export const HELD_CLAIM_STATUSES = ['held', 'released', 'refused'] as const

/**
 * A claim of a diverted scan under the brand's 'hold' policy: no points until a manager decides
 * the case (dismissed → released and awarded; confirmed → refused). While held, nobody else can
 * claim the code.
 */
export const heldClaims = sqliteTable(
  'held_claims',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    codeId: integer('code_id').notNull(),
    memberId: integer('member_id').notNull(),
    scanId: integer('scan_id').notNull(),
    caseId: integer('case_id')
      .notNull()
      .references(() => diversionCases.id),
    idempotencyKey: text('idempotency_key').notNull(),
    status: text('status', { enum: HELD_CLAIM_STATUSES }).notNull().default('held'),
    /** The claim row made when the hold was released. */
    claimId: integer('claim_id'),
    createdAt: integer('created_at').notNull(),
    decidedAt: integer('decided_at'),
  },
  (t) => [
    uniqueIndex('held_claims_code_held_uq').on(t.codeId).where(sql`status = 'held'`),
    uniqueIndex('held_claims_idempotency_uq').on(t.idempotencyKey),
    index('held_claims_case_idx').on(t.caseId),
    index('held_claims_member_idx').on(t.memberId),
  ],
)

/** A brand's anti-diversion settings; a brand without a row uses the defaults. */
export const channelSettings = sqliteTable('channel_settings', {
  brandId: integer('brand_id').primaryKey(),
  /** Whether a diverted scan still earns points. */
  divertedPolicy: text('diverted_policy', { enum: DIVERTED_POLICIES }).notNull().default('award'),
  /** Distinct devices on one code before a device-count signal. */
  maxDevicesPerCode: integer('max_devices_per_code').notNull().default(3),
  /** Bulk claiming: this many claims of one batch by one member or device within the window. */
  bulkClaimCount: integer('bulk_claim_count').notNull().default(20),
  bulkClaimWindowMinutes: integer('bulk_claim_window_minutes').notNull().default(60),
  updatedAt: integer('updated_at').notNull(),
})
