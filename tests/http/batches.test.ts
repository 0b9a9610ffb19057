import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createBatch, mintChunk } from '../../src/batches/batch-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { auditLog, batches, codes } from '../../src/db/schema.ts'
import {
  buildTestApp,
  insertBrand,
  insertProduct,
  locationOf,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

async function ownerWithProduct(opts: { gtin?: string } = {}) {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1', gtin: opts.gtin })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, product, owner }
}

const batchCount = (t: TestApp) => t.db.select().from(batches).all().length

describe('creating a batch in the console', () => {
  it('answers 303 to the batch page, mints in the background, and then shows it ready with its counts', async () => {
    const { t, owner, product } = await ownerWithProduct()
    const res = await owner.post('/admin/batches', {
      productId: String(product.id),
      quantity: '12',
      lot: 'L2026-A',
      urlMode: 'short',
    })
    expect(res.status).toBe(303)
    const location = locationOf(res)!
    expect(location).toMatch(/^\/admin\/batches\/\d+$/)
    await t.mintRunner.idle()

    const batchId = Number(location.split('/').pop())
    const batch = t.db.select().from(batches).where(eq(batches.id, batchId)).get()!
    expect(batch).toMatchObject({ status: 'ready', quantity: 12, mintedCount: 12, lot: 'L2026-A' })
    expect(t.db.select().from(codes).where(eq(codes.batchId, batchId)).all()).toHaveLength(12)

    const html = await (await owner.get(location)).text()
    expect(html).toContain('<span class="pill ready">ready</span>')
    expect(html).toContain('12 of 12 codes minted')
    expect(html).toContain('<b>12</b>generated')
    expect(html).toContain('<b>0</b>activated')
    // The finished page has no polling left.
    expect(html).not.toContain('hx-trigger="every 1s"')
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'batch.create')).all()
    expect(audit).toHaveLength(1)
  })

  it.each([
    ['0', 'a batch has at least 1 code'],
    ['10000001', 'a batch has at most 10,000,000 codes'],
    ['twelve', 'quantity must be a number'],
    ['1.5', 'quantity must be a whole number'],
  ])('refuses a quantity of %s with 422 (%s)', async (quantity, message) => {
    const { t, owner, product } = await ownerWithProduct()
    const res = await owner.post('/admin/batches', {
      productId: String(product.id),
      quantity,
      urlMode: 'short',
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain(message)
    expect(batchCount(t)).toBe(0)
  })

  it('refuses a GS1 Digital Link batch for a product without a GTIN', async () => {
    const { t, owner, product } = await ownerWithProduct()
    const res = await owner.post('/admin/batches', {
      productId: String(product.id),
      quantity: '5',
      urlMode: 'gs1',
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('GS1 Digital Link needs a product with a GTIN')
    expect(batchCount(t)).toBe(0)
  })

  it('makes a GS1 Digital Link batch for a product with a GTIN', async () => {
    const { t, owner, product } = await ownerWithProduct({ gtin: '9506000134352' })
    const res = await owner.post('/admin/batches', {
      productId: String(product.id),
      quantity: '3',
      urlMode: 'gs1',
    })
    expect(res.status).toBe(303)
    await t.mintRunner.idle()
    expect(t.db.select().from(batches).get()).toMatchObject({ urlMode: 'gs1', status: 'ready' })
  })

  it('refuses an expiry date before the production date', async () => {
    const { t, owner, product } = await ownerWithProduct()
    const res = await owner.post('/admin/batches', {
      productId: String(product.id),
      quantity: '5',
      producedOn: '2026-11-01',
      expiresOn: '2026-10-01',
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('the expiry date is before the production date')
    expect(batchCount(t)).toBe(0)
  })

  it('refuses a product of another brand as if it did not exist', async () => {
    const { t, owner } = await ownerWithProduct()
    const other = await insertBrand(t, { slug: 'coffee' })
    const theirs = insertProduct(t, other.brandId, { sku: 'COF-1' })
    const res = await owner.post('/admin/batches', { productId: String(theirs.id), quantity: '5' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Choose one of your products.')
    expect(batchCount(t)).toBe(0)
  })
})

describe('watching a batch being minted', () => {
  /** A batch left part-way through minting: 5 of 20 codes, as the runner leaves it between chunks. */
  async function batchHalfMinted() {
    const setup = await ownerWithProduct()
    const { t, brand, product } = setup
    const created = createBatch(
      brandDb(t.db, brand.brandId),
      t.keyring,
      { staffId: null, label: 'test' },
      { productId: product.id, quantity: 20, lot: null, producedOn: null, expiresOn: null, urlMode: 'short' },
      t.clock.now(),
    )
    if (created.kind !== 'created') throw new Error(created.kind)
    mintChunk(t.db, t.keyring, created.batch.id, t.clock.now(), 5)
    return { ...setup, batchId: created.batch.id }
  }

  it('shows a progress panel that polls itself every second while minting', async () => {
    const { owner, batchId } = await batchHalfMinted()
    const res = await owner.get(`/admin/batches/${batchId}/progress`, { 'hx-request': 'true' })
    expect(res.status).toBe(200)
    expect(res.headers.get('hx-refresh')).toBeNull()
    const html = await res.text()
    expect(html).toMatch(/^<div id="batch-progress"/)
    expect(html).toContain('hx-trigger="every 1s"')
    expect(html).toContain(`hx-get="/admin/batches/${batchId}/progress"`)
    expect(html).toContain('minting 25%')
    expect(html).toContain('5 of 20 codes minted')

    const page = await (await owner.get(`/admin/batches/${batchId}`)).text()
    expect(page).toContain('hx-trigger="every 1s"')
    expect(page).toContain('Codes appear here once minting is finished.')
  })

  it('tells htmx to reload the page once the batch is ready', async () => {
    const { t, owner, batchId } = await batchHalfMinted()
    while (!mintChunk(t.db, t.keyring, batchId, t.clock.now()).done) {}
    const htmx = await owner.get(`/admin/batches/${batchId}/progress`, { 'hx-request': 'true' })
    expect(htmx.headers.get('hx-refresh')).toBe('true')
    expect(await htmx.text()).not.toContain('hx-trigger')
    const plain = await owner.get(`/admin/batches/${batchId}/progress`)
    expect(plain.headers.get('hx-refresh')).toBeNull()
  })

  it('refuses print files and activation until minting is finished', async () => {
    const { t, owner, batchId } = await batchHalfMinted()
    const exp = await owner.post(`/admin/batches/${batchId}/export`, { format: 'csv' })
    expect(exp.status).toBe(422)
    expect(await exp.text()).toContain('Print files can be made once minting is finished.')
    const act = await owner.post(`/admin/batches/${batchId}/activate`, { from: '1', to: '5' })
    expect(act.status).toBe(422)
    expect(t.db.select().from(codes).where(eq(codes.state, 'activated')).all()).toHaveLength(0)
  })

  it('finishes a batch of 20,000 codes queued from the console', async () => {
    const { t, owner, product } = await ownerWithProduct()
    const res = await owner.post('/admin/batches', { productId: String(product.id), quantity: '20000' })
    expect(res.status).toBe(303)
    await t.mintRunner.idle()
    expect(t.db.select().from(batches).get()).toMatchObject({ status: 'ready', mintedCount: 20_000 })
    expect(t.db.$client.prepare('select count(*) as n from codes').get()).toEqual({ n: 20_000 })
  })
})

describe('the codes of a batch', () => {
  it('answers the codes table alone to htmx, and the whole page otherwise, with Vary: HX-Request', async () => {
    const { t, owner, product } = await ownerWithProduct()
    await owner.post('/admin/batches', { productId: String(product.id), quantity: '60' })
    await t.mintRunner.idle()
    const batchId = t.db.select().from(batches).get()!.id
    const fragment = await owner.get(`/admin/batches/${batchId}/codes?after=50`, { 'hx-request': 'true' })
    expect(fragment.headers.get('vary')).toContain('HX-Request')
    const html = await fragment.text()
    expect(html).toMatch(/^<div id="codes-table"/)
    expect(html.match(/<td class="num">\d+<\/td>/g)).toHaveLength(10)
    const page = await owner.get(`/admin/batches/${batchId}/codes`)
    expect(page.headers.get('vary')).toContain('HX-Request')
    expect(await page.text()).toMatch(/^<!doctype html>/)
  })
})
