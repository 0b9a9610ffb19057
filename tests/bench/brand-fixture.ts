import { randomBytes } from 'node:crypto'
import { createBatch, mintChunk } from '../../src/batches/batch-store.ts'
import { Keyring } from '../../src/codes/keyring.ts'
import { type BrandDb, brandDb } from '../../src/db/brand-scope.ts'
import { type Db, openDatabase } from '../../src/db/index.ts'
import { createProduct, type Product } from '../../src/products/product-store.ts'
import type { Actor } from '../../src/staff/audit-store.ts'
import { createBrand } from '../../src/staff/brand-setup.ts'

export type BrandFixture = { db: Db; bdb: BrandDb; keyring: Keyring; actor: Actor; product: Product }

/**
 * A fresh file database (real migrations and pragmas) holding one brand with a signing key and one
 * product, made through the same domain calls the admin console uses.
 */
export function openBrandFixture(file: string): BrandFixture {
  const db = openDatabase(file)
  const now = Date.now()
  const brand = createBrand(
    db,
    randomBytes(32),
    {
      slug: 'bench',
      name: 'Bench Co',
      ownerEmail: 'owner@bench.test',
      ownerName: 'Bench Owner',
      passwordHash: 'not-a-real-hash',
    },
    now,
  )
  if (brand.kind !== 'created') throw new Error(`bench brand not created: ${brand.kind}`)
  const keyring = new Keyring()
  keyring.add(brand.key)
  const bdb = brandDb(db, brand.brandId)
  const actor: Actor = { staffId: brand.ownerId, label: 'bench' }
  const saved = createProduct(
    bdb,
    actor,
    { sku: 'BENCH-1', name: 'Bench tea', gtin: null, points: 0, imageUrl: null, notes: null },
    now,
  )
  if (saved.kind !== 'saved') throw new Error(`bench product not created: ${saved.kind}`)
  return { db, bdb, keyring, actor, product: saved.product }
}

/**
 * Mints a batch exactly as the server and the CLI do: `createBatch`, then `mintChunk` until done.
 * `onChunk` sees the progress after every chunk.
 */
export function mintBatch(
  fx: BrandFixture,
  quantity: number,
  onChunk?: (minted: number) => void,
): { batchId: number } {
  const created = createBatch(
    fx.bdb,
    fx.keyring,
    fx.actor,
    { productId: fx.product.id, quantity, lot: 'BENCH', producedOn: null, expiresOn: null, urlMode: 'short' },
    Date.now(),
  )
  if (created.kind !== 'created') throw new Error(`bench batch not created: ${created.kind}`)
  for (;;) {
    const progress = mintChunk(fx.db, fx.keyring, created.batch.id, Date.now())
    onChunk?.(progress.minted)
    if (progress.done) return { batchId: created.batch.id }
  }
}

/** Calls `report` each time `done` crosses another tenth of `total`. */
export function tenths(total: number, report: (done: number) => void): (done: number) => void {
  let next = Math.ceil(total / 10)
  return (done) => {
    if (done < next && done < total) return
    report(done)
    next = done + Math.ceil(total / 10)
  }
}
