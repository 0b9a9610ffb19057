import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { brands } from '../staff/staff-schema.ts'

/** Per-brand signing keys; the secret is sealed under the master key (see key-crypto.ts). */
export const signingKeys = sqliteTable(
  'signing_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    // The key id printed in every code; unique across the deployment so a code names its brand.
    kid: text('kid').notNull().unique(),
    sealedSecret: text('sealed_secret').notNull(),
    active: integer('active', { mode: 'boolean' }).notNull(),
    createdAt: integer('created_at').notNull(),
    retiredAt: integer('retired_at'),
  },
  (t) => [index('signing_keys_brand_idx').on(t.brandId)],
)
