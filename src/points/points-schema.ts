import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// 'merge' moves a merged member's remaining lots to the member they were merged into (issue 7).
// The kind column is plain text in SQLite (no CHECK): a new kind needs no migration.
// 'bonus': points given by a programme rule (the birthday bonus), not for a purchase.
export const LEDGER_KINDS = [
  'claim',
  'expiry',
  'redemption',
  'reversal',
  'adjustment',
  'merge',
  'bonus',
] as const
export type LedgerKind = (typeof LEDGER_KINDS)[number]

/** One business event in the points ledger; its entries sum to zero. Append-only (triggers). */
export const ledgerTransactions = sqliteTable(
  'ledger_transactions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    kind: text('kind', { enum: LEDGER_KINDS }).notNull(),
    memo: text('memo').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('ledger_tx_brand_idx').on(t.brandId, t.createdAt)],
)

/**
 * Double-entry lines: a member account (member_id set) or a brand account ('brand:issued',
 * 'brand:redeemed', 'brand:expired', 'brand:adjusted'). A member's balance is the sum of their lines.
 */
export const ledgerEntries = sqliteTable(
  'ledger_entries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    txId: integer('tx_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    brandId: integer('brand_id').notNull(),
    account: text('account').notNull(),
    memberId: integer('member_id'),
    amount: integer('amount').notNull(),
    // On a member's credit line: when the points of this earning lot expire (FIFO); null = never.
    expiresAt: integer('expires_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    // brand_id and amount make a member's balance (ledger-store.ts balanceOf, read on every claim)
    // a read of this index alone: without them it read one table row per entry of the member's
    // history, so each claim of a loyal member cost more than the last.
    index('ledger_entries_member_idx').on(t.memberId, t.createdAt, t.brandId, t.amount),
    index('ledger_entries_tx_idx').on(t.txId),
  ],
)

/** At most one claim per code (the unique index is the guard); the idempotency key makes retries safe. */
export const claims = sqliteTable(
  'claims',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    codeId: integer('code_id').notNull(),
    memberId: integer('member_id').notNull(),
    txId: integer('tx_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    points: integer('points').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('claims_code_uq').on(t.codeId),
    uniqueIndex('claims_idempotency_uq').on(t.idempotencyKey),
    index('claims_member_idx').on(t.memberId, t.createdAt),
  ],
)

/** A brand's points rules; a brand without a row uses the defaults (no expiry, no caps). */
export const pointSettings = sqliteTable('point_settings', {
  brandId: integer('brand_id').primaryKey(),
  /** Points expire this many months after they were earned (FIFO by earning lot); null = never. */
  expiryMonths: integer('expiry_months'),
  /** Most points a member may earn per calendar day / ISO week (China time); null = no cap. */
  dailyCap: integer('daily_cap'),
  weeklyCap: integer('weekly_cap'),
  /** Tiers are computed on points earned in this rolling window. */
  tierWindowDays: integer('tier_window_days').notNull().default(365),
  updatedAt: integer('updated_at').notNull(),
})

/** Member tiers: reached by points earned in the rolling window; earn with a multiplier. */
export const tiers = sqliteTable(
  'tiers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    name: text('name').notNull(),
    threshold: integer('threshold').notNull(),
    /** 100 = 1.0×, 150 = 1.5×. */
    multiplierPct: integer('multiplier_pct').notNull().default(100),
  },
  (t) => [
    uniqueIndex('tiers_brand_name_uq').on(t.brandId, t.name),
    uniqueIndex('tiers_brand_threshold_uq').on(t.brandId, t.threshold),
  ],
)

/** A member's current tier: raised at once on earning, lowered only by the periodic review. */
export const memberTiers = sqliteTable('member_tiers', {
  memberId: integer('member_id').primaryKey(),
  brandId: integer('brand_id').notNull(),
  tierId: integer('tier_id'),
  since: integer('since').notNull(),
  reviewedAt: integer('reviewed_at'),
})

export const rewards = sqliteTable(
  'rewards',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    pointsPrice: integer('points_price').notNull(),
    /** Units left; null = unlimited. */
    stock: integer('stock'),
    perMemberLimit: integer('per_member_limit'),
    availableFrom: integer('available_from'),
    availableUntil: integer('available_until'),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('rewards_brand_idx').on(t.brandId)],
)

export const REDEMPTION_STATUSES = ['issued', 'cancelled'] as const

export const redemptions = sqliteTable(
  'redemptions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    rewardId: integer('reward_id')
      .notNull()
      .references(() => rewards.id),
    memberId: integer('member_id').notNull(),
    txId: integer('tx_id')
      .notNull()
      .references(() => ledgerTransactions.id),
    reversalTxId: integer('reversal_tx_id'),
    /** The reward code the member shows or types at the counter. */
    rewardCode: text('reward_code').notNull(),
    points: integer('points').notNull(),
    status: text('status', { enum: REDEMPTION_STATUSES }).notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    createdAt: integer('created_at').notNull(),
    cancelledAt: integer('cancelled_at'),
  },
  (t) => [
    uniqueIndex('redemptions_code_uq').on(t.rewardCode),
    uniqueIndex('redemptions_idempotency_uq').on(t.idempotencyKey),
    index('redemptions_member_idx').on(t.memberId),
  ],
)

export const PRIVACY_REQUEST_KINDS = ['export', 'erasure'] as const

/** Members' data export and erasure requests, listed for owners (PIPL accountability). */
export const privacyRequests = sqliteTable(
  'privacy_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    memberId: integer('member_id').notNull(),
    kind: text('kind', { enum: PRIVACY_REQUEST_KINDS }).notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('privacy_requests_brand_idx').on(t.brandId, t.at)],
)

/** Which daily job ran for which brand and day: makes the expiry, review and birthday jobs idempotent. */
export const jobRuns = sqliteTable(
  'job_runs',
  {
    job: text('job').notNull(),
    brandId: integer('brand_id').notNull(),
    period: text('period').notNull(),
    at: integer('at').notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [primaryKey({ columns: [t.job, t.brandId, t.period] })],
)
