import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { staff } from '../staff/staff-schema.ts'

/**
 * What a member did, rolled up per member by the tags job (and kept current on claim): the list,
 * the filters and the segments read this instead of scanning a million scans.
 */
export const memberActivity = sqliteTable(
  'member_activity',
  {
    memberId: integer('member_id').primaryKey(),
    brandId: integer('brand_id').notNull(),
    scanCount: integer('scan_count').notNull().default(0),
    claimCount: integer('claim_count').notNull().default(0),
    firstScanAt: integer('first_scan_at'),
    lastScanAt: integer('last_scan_at'),
    lastClaimAt: integer('last_claim_at'),
    /** Points earned (claims) in the last 365 days. */
    pointsEarned: integer('points_earned').notNull().default(0),
    balance: integer('balance').notNull().default(0),
    /** Median days between the member's scanning days; null below three scanning days. */
    usualIntervalDays: real('usual_interval_days'),
    preferredRegion: text('preferred_region'),
    preferredProductId: integer('preferred_product_id'),
    preferredCategory: text('preferred_category'),
    rfmR: integer('rfm_r'),
    rfmF: integer('rfm_f'),
    rfmM: integer('rfm_m'),
    lifecycle: text('lifecycle'),
    computedAt: integer('computed_at').notNull(),
  },
  (t) => [
    index('member_activity_brand_last_scan_idx').on(t.brandId, t.lastScanAt),
    index('member_activity_brand_lifecycle_idx').on(t.brandId, t.lifecycle),
  ],
)

export const TAG_SOURCES = ['auto', 'manual'] as const

/**
 * Tags on a member. Automatic tags ('lifecycle:active', 'rfm:r5', 'product:12', 'region:CN-GD', …)
 * are rewritten by the tags job with `reason` saying how they were computed; manual tags are
 * added and removed by staff (audited).
 */
export const memberTags = sqliteTable(
  'member_tags',
  {
    memberId: integer('member_id').notNull(),
    brandId: integer('brand_id').notNull(),
    tag: text('tag').notNull(),
    source: text('source', { enum: TAG_SOURCES }).notNull(),
    reason: text('reason').notNull(),
    createdByStaffId: integer('created_by_staff_id').references(() => staff.id),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.memberId, t.tag] }),
    index('member_tags_brand_tag_idx').on(t.brandId, t.tag),
  ],
)

/** A saved filter over members (profile, tags, tier, activity, points). */
export const segments = sqliteTable(
  'segments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    filter: text('filter', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdByStaffId: integer('created_by_staff_id').references(() => staff.id),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('segments_brand_idx').on(t.brandId)],
)

/** A brand's member-programme settings; a brand without a row uses the defaults. */
export const programmeSettings = sqliteTable('programme_settings', {
  brandId: integer('brand_id').primaryKey(),
  /** Lifecycle: 'new' within newDays of joining; 'active' if scanned within activeDays; … */
  newDays: integer('new_days').notNull().default(30),
  activeDays: integer('active_days').notNull().default(90),
  /** … 'dormant' up to churnDays since the last scan, 'churned' after. */
  churnDays: integer('churn_days').notNull().default(365),
  /** Birthday bonus points (0 = off). */
  birthdayPoints: integer('birthday_points').notNull().default(0),
  /** Churn warning when days since the last scan exceed this many times the usual interval. */
  churnFactor: real('churn_factor').notNull().default(3),
  updatedAt: integer('updated_at').notNull(),
})

/** One birthday bonus per member and year: the primary key makes the job idempotent. */
export const birthdayBonuses = sqliteTable(
  'birthday_bonuses',
  {
    memberId: integer('member_id').notNull(),
    year: integer('year').notNull(),
    brandId: integer('brand_id').notNull(),
    txId: integer('tx_id').notNull(),
    points: integer('points').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.memberId, t.year] })],
)

/** The churn warning list, as the last churn job found it. */
export const churnWarnings = sqliteTable(
  'churn_warnings',
  {
    memberId: integer('member_id').primaryKey(),
    brandId: integer('brand_id').notNull(),
    usualIntervalDays: real('usual_interval_days').notNull(),
    daysSinceLastScan: real('days_since_last_scan').notNull(),
    lastScanAt: integer('last_scan_at').notNull(),
    computedAt: integer('computed_at').notNull(),
  },
  (t) => [index('churn_warnings_brand_idx').on(t.brandId, t.daysSinceLastScan)],
)

/** An owner merged `fromMemberId` into `intoMemberId`; the ledger moved with compensating entries. */
export const memberMerges = sqliteTable(
  'member_merges',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    fromMemberId: integer('from_member_id').notNull(),
    intoMemberId: integer('into_member_id').notNull(),
    txId: integer('tx_id'),
    pointsMoved: integer('points_moved').notNull(),
    actorStaffId: integer('actor_staff_id').references(() => staff.id),
    at: integer('at').notNull(),
  },
  (t) => [index('member_merges_brand_idx').on(t.brandId, t.at)],
)

/**
 * Scans, unique scanners, sign-ins, claims, redemptions and new members per brand and China-time
 * day: the dashboard reads finished days from here (filled by the stats job) and today live.
 */
export const dailyStats = sqliteTable(
  'daily_stats',
  {
    brandId: integer('brand_id').notNull(),
    day: text('day').notNull(),
    scans: integer('scans').notNull(),
    uniqueScanners: integer('unique_scanners').notNull(),
    signIns: integer('sign_ins').notNull(),
    claims: integer('claims').notNull(),
    redemptions: integer('redemptions').notNull(),
    newMembers: integer('new_members').notNull(),
    computedAt: integer('computed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.brandId, t.day] })],
)
