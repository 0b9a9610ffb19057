import { eq } from 'drizzle-orm'
import { createBatch, mintChunk } from './batches/batch-store.ts'
import { activateCodes } from './batches/code-actions-store.ts'
import { createDistributor } from './channels/distributor-store.ts'
import { createShipment, WHOLE_BRAND_SCOPE } from './channels/shipment-store.ts'
import type { Keyring } from './codes/keyring.ts'
import { brandDb } from './db/brand-scope.ts'
import type { Db } from './db/index.ts'
import { createProduct } from './products/product-store.ts'
import { createBrand } from './staff/brand-setup.ts'
import { generatePassword, hashPassword } from './staff/password.ts'
import { brands, staff } from './staff/staff-schema.ts'

export const DEMO_SLUG = 'demo'
export const DEMO_OWNER_EMAIL = 'owner@demo.onecode.local'
export const DEMO_SKU = 'DEMO-001'
// GS1's own example GTIN (9506000134352), as GTIN-14.
export const DEMO_GTIN = '09506000134352'
export const DEMO_MANAGER_EMAIL = 'manager@demo.onecode.local'

/**
 * Seeds the demo brand on first start: an owner whose password is returned (and printed once by the
 * server), two products (DEMO-001 with a GTIN), and a small activated batch to scan. Idempotent.
 * The channel side: two distributors (华南总代 selling in Guangdong and Guangxi, 华东总代 in
 * Shanghai, Jiangsu and Zhejiang), a channel manager assigned to the first (password returned as
 * `manager`), and the batch's first half shipped to the first distributor.
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
  const managerPassword = generatePassword()
  const manager = db
    .insert(staff)
    .values({
      brandId: created.brandId,
      email: DEMO_MANAGER_EMAIL,
      name: 'Demo Channel Manager',
      role: 'channel_manager',
      passwordHash: await hashPassword(managerPassword),
      createdAt: now,
    })
    .returning()
    .get()
  const south = createDistributor(
    bdb,
    actor,
    {
      name: '华南总代',
      code: 'SC-001',
      contactName: '陈经理',
      contactPhone: null,
      contactEmail: null,
      status: 'active',
      notes: 'Demo distributor for South China',
      regions: ['CN-GD', 'CN-GX'],
    },
    now,
    manager.id,
  )
  createDistributor(
    bdb,
    actor,
    {
      name: '华东总代',
      code: 'EC-001',
      contactName: '王经理',
      contactPhone: null,
      contactEmail: null,
      status: 'active',
      notes: 'Demo distributor for East China',
      regions: ['CN-SH', 'CN-JS', 'CN-ZJ'],
    },
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
      if (south.kind === 'saved') {
        const half = Math.floor(batch.batch.quantity / 2)
        createShipment(
          bdb,
          WHOLE_BRAND_SCOPE,
          actor,
          {
            distributorId: south.distributor.id,
            target: { kind: 'range', batchId: batch.batch.id, from: 1, to: half },
            reason: null,
            note: 'Demo shipment',
          },
          now,
        )
      }
    }
  }
  return {
    email: DEMO_OWNER_EMAIL,
    password,
    manager: { email: DEMO_MANAGER_EMAIL, password: managerPassword },
  }
}
