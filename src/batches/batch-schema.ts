import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { products } from '../products/product-schema.ts'
import { brands, staff } from '../staff/staff-schema.ts'

export const URL_MODES = ['short', 'gs1'] as const
export const BATCH_STATUSES = ['minting', 'ready', 'failed'] as const
export const CODE_STATES = ['generated', 'exported', 'activated', 'claimed', 'voided'] as const
export type CodeState = (typeof CODE_STATES)[number]
export const VOID_REASONS = ['misprint', 'stolen', 'damaged', 'recalled', 'leaked', 'other'] as const
export type VoidReason = (typeof VOID_REASONS)[number]

export const batches = sqliteTable(
  'batches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    productId: integer('product_id')
      .notNull()
      .references(() => products.id),
    lot: text('lot'),
    quantity: integer('quantity').notNull(),
    producedOn: text('produced_on'),
    expiresOn: text('expires_on'),
    urlMode: text('url_mode', { enum: URL_MODES }).notNull(),
    kid: text('kid').notNull(),
    status: text('status', { enum: BATCH_STATUSES }).notNull(),
    mintedCount: integer('minted_count').notNull().default(0),
    error: text('error'),
    createdByStaffId: integer('created_by_staff_id').references(() => staff.id),
    createdAt: integer('created_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [index('batches_brand_idx').on(t.brandId, t.createdAt)],
)

export const codes = sqliteTable(
  'codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    batchId: integer('batch_id').notNull(),
    seq: integer('seq').notNull(),
    serial: text('serial').notNull(),
    kid: text('kid').notNull(),
    tag: text('tag').notNull(),
    state: text('state', { enum: CODE_STATES }).notNull().default('generated'),
    activatedAt: integer('activated_at'),
    voidedAt: integer('voided_at'),
    voidReason: text('void_reason', { enum: VOID_REASONS }),
    claimedAt: integer('claimed_at'),
    /** The distributor the latest warehouse-out (出库) bound this code to, and that shipment. */
    distributorId: integer('distributor_id'),
    shipmentId: integer('shipment_id'),
  },
  // Foreign keys on codes are left to the batch row: with ten million rows per batch, the checks
  // double the mint time and the batch insert already proves brand and product.
  (t) => [
    uniqueIndex('codes_serial_uq').on(t.serial),
    uniqueIndex('codes_batch_seq_uq').on(t.batchId, t.seq),
  ],
)

export const printExports = sqliteTable(
  'print_exports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    batchId: integer('batch_id')
      .notNull()
      .references(() => batches.id),
    format: text('format').notNull(),
    // Which codes the file held: a seq range of its batch (inclusive).
    seqFrom: integer('seq_from').notNull(),
    seqTo: integer('seq_to').notNull(),
    codeCount: integer('code_count').notNull(),
    actorStaffId: integer('actor_staff_id').references(() => staff.id),
    actorLabel: text('actor_label').notNull(),
    downloadLinkId: integer('download_link_id'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('print_exports_batch_idx').on(t.batchId)],
)

export const downloadLinks = sqliteTable('download_links', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  brandId: integer('brand_id')
    .notNull()
    .references(() => brands.id),
  batchId: integer('batch_id')
    .notNull()
    .references(() => batches.id),
  format: text('format').notNull(),
  recipient: text('recipient').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
  revokedAt: integer('revoked_at'),
  createdByStaffId: integer('created_by_staff_id').references(() => staff.id),
  createdAt: integer('created_at').notNull(),
})
