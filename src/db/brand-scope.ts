import { and, eq, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Db } from './index.ts'

/**
 * Every brand-owned query runs through a `BrandDb`: the brand id travels with the handle, and
 * `scoped()` is the one place that adds it to a WHERE clause, so a caller cannot forget it.
 *
 * @example
 * const bdb = brandDb(db, session.brandId)
 * bdb.db.select().from(products).where(bdb.scoped(products, eq(products.sku, 'TEA-1')))
 */
export type BrandDb = {
  db: Db
  brandId: number
  scoped(table: { brandId: SQLiteColumn }, ...conditions: (SQL | undefined)[]): SQL
}

export function brandDb(db: Db, brandId: number): BrandDb {
  return {
    db,
    brandId,
    scoped: (table, ...conditions) => and(eq(table.brandId, brandId), ...conditions) as SQL,
  }
}
