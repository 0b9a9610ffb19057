import { asc, eq } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import { isUniqueViolation } from '../db/sqlite-errors.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import type { ProductInput } from './product-input.ts'
import { products } from './product-schema.ts'

export type Product = typeof products.$inferSelect

export function listProducts(bdb: BrandDb): Product[] {
  return bdb.db.select().from(products).where(bdb.scoped(products)).orderBy(asc(products.sku)).all()
}

export function findProduct(bdb: BrandDb, id: number): Product | undefined {
  return bdb.db
    .select()
    .from(products)
    .where(bdb.scoped(products, eq(products.id, id)))
    .get()
}

export function findProductBySku(bdb: BrandDb, sku: string): Product | undefined {
  return bdb.db
    .select()
    .from(products)
    .where(bdb.scoped(products, eq(products.sku, sku)))
    .get()
}

export type SaveProductOutcome =
  | { kind: 'saved'; product: Product }
  | { kind: 'sku-taken' }
  | { kind: 'not-found' }

/** Creates a product; the SKU is unique per brand (enforced by a unique index, not by a prior read). */
export function createProduct(
  bdb: BrandDb,
  actor: Actor,
  input: ProductInput,
  now: number,
): SaveProductOutcome {
  try {
    return bdb.db.transaction((tx) => {
      const product = tx
        .insert(products)
        .values({ ...normalize(input), brandId: bdb.brandId, createdAt: now, updatedAt: now })
        .returning()
        .get()
      recordAudit(tx, bdb.brandId, actor, now, {
        action: 'product.create',
        subjectType: 'product',
        subjectId: product.id,
        detail: { sku: product.sku },
      })
      return { kind: 'saved' as const, product }
    })
  } catch (err) {
    if (isUniqueViolation(err)) return { kind: 'sku-taken' }
    throw err
  }
}

export function updateProduct(
  bdb: BrandDb,
  actor: Actor,
  id: number,
  input: ProductInput,
  now: number,
): SaveProductOutcome {
  try {
    return bdb.db.transaction((tx) => {
      const product = tx
        .update(products)
        .set({ ...normalize(input), updatedAt: now })
        .where(bdb.scoped(products, eq(products.id, id)))
        .returning()
        .get()
      if (!product) return { kind: 'not-found' as const }
      recordAudit(tx, bdb.brandId, actor, now, {
        action: 'product.update',
        subjectType: 'product',
        subjectId: id,
        detail: { sku: product.sku },
      })
      return { kind: 'saved' as const, product }
    })
  } catch (err) {
    if (isUniqueViolation(err)) return { kind: 'sku-taken' }
    throw err
  }
}

function normalize(input: ProductInput) {
  return {
    sku: input.sku,
    name: input.name,
    gtin: input.gtin ?? null,
    points: input.points,
    imageUrl: input.imageUrl ?? null,
    notes: input.notes ?? null,
  }
}
