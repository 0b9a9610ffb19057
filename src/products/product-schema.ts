import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { brands } from '../staff/staff-schema.ts'

export const products = sqliteTable(
  'products',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    /** A brand's own grouping ('护肤', 'Skin care'); feeds members' category preference. */
    category: text('category'),
    gtin: text('gtin'),
    points: integer('points').notNull().default(0),
    imageUrl: text('image_url'),
    notes: text('notes'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('products_brand_sku_uq').on(t.brandId, t.sku)],
)
