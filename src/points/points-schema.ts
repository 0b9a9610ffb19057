import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

export const LEDGER_KINDS = ['claim', 'expiry', 'redemption', 'reversal', 'adjustment'] as const
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
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('ledger_entries_member_idx').on(t.memberId, t.createdAt),
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
