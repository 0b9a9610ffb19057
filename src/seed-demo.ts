import { eq } from 'drizzle-orm'
import { createBatch, mintChunk } from './batches/batch-store.ts'
import { activateCodes } from './batches/code-actions-store.ts'
import type { Keyring } from './codes/keyring.ts'
import { brandDb } from './db/brand-scope.ts'
import type { Db } from './db/index.ts'
import { createProduct } from './products/product-store.ts'
import { createBrand } from './staff/brand-setup.ts'
import { generatePassword, hashPassword } from './staff/password.ts'
import { brands } from './staff/staff-schema.ts'

export const DEMO_SLUG = 'demo'
export const DEMO_OWNER_EMAIL = 'owner@demo.onecode.local'
export const DEMO_SKU = 'DEMO-001'
// GS1's own example GTIN (9506000134352), as GTIN-14.
export const DEMO_GTIN = '09506000134352'

/**
 * Seeds the demo brand on first start: an owner whose password is returned (and printed once by the
 * server), two products (DEMO-001 with a GTIN), and a small activated batch to scan. Idempotent.
 */
export async function seedDemo(db: Db, master: Uint8Array, keyring: Keyring, now: number) {
  if (db.select().from(brands).where(eq(brands.slug, DEMO_SLUG)).get()) return undefined
  const password = generatePassword()
  const created = createBrand(
    db,
    master,
    {
      slug: DEMO_SLUG,
      name: 'Demo Tea Co.',
      ownerEmail: DEMO_OWNER_EMAIL,
      ownerName: 'Demo Owner',
      passwordHash: await hashPassword(password),
    },
    now,
  )
  if (created.kind !== 'created') return undefined
  keyring.add(created.key)
  const bdb = brandDb(db, created.brandId)
  const actor = { staffId: null, label: 'demo-seed' }
  const tea = createProduct(
    bdb,
    actor,
    {
      sku: DEMO_SKU,
      name: 'Oolong Tea 500 ml',
      gtin: DEMO_GTIN,
      points: 10,
      imageUrl: null,
      notes: 'Demo product',
    },
    now,
  )
  createProduct(
    bdb,
    actor,
    { sku: 'DEMO-002', name: 'Jasmine Tea Gift Box', gtin: null, points: 50, imageUrl: null, notes: null },
    now,
  )
  if (tea.kind === 'saved') {
    const batch = createBatch(
      bdb,
      keyring,
      actor,
      {
        productId: tea.product.id,
        quantity: 20,
        lot: 'L2026A',
        producedOn: '2026-11-01',
        expiresOn: '2028-10-31',
        urlMode: 'short',
      },
      now,
    )
    if (batch.kind === 'created') {
      while (!mintChunk(db, keyring, batch.batch.id, now).done) {}
      activateCodes(bdb, actor, batch.batch.id, null, now)
    }
  }
  return { email: DEMO_OWNER_EMAIL, password }
}
