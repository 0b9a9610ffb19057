import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createDownloadLink } from '../../src/batches/print-export-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { auditLog, codes, downloadLinks, printExports, products } from '../../src/db/schema.ts'
import { buildTestApp, insertBatch, insertBrand, insertProduct, signInAs } from '../support/test-app.ts'

/** Brand A with a product, a ready batch and a printer link; brand B's owner signed in. */
async function twoBrands() {
  const t = buildTestApp()
  const a = await insertBrand(t, { slug: 'alpha' })
  const aProduct = insertProduct(t, a.brandId, { sku: 'ALPHA-SKU', name: 'Alpha Secret Product' })
  const aBatch = insertBatch(t, a.brandId, aProduct.id, { quantity: 4, lot: 'ALPHALOT' })
  const { link: aLink } = createDownloadLink(
    brandDb(t.db, a.brandId),
    { staffId: a.ownerId, label: a.ownerEmail },
    { batchId: aBatch.id, format: 'csv', recipient: 'Alpha Printer', ttlHours: 24 },
    t.clock.now(),
  )
  const b = await insertBrand(t, { slug: 'bravo' })
  const bProduct = insertProduct(t, b.brandId, { sku: 'BRAVO-SKU', name: 'Bravo Product' })
  const bBatch = insertBatch(t, b.brandId, bProduct.id, { quantity: 2 })
  const bOwner = await signInAs(t, b.ownerId)
  return { t, a, aProduct, aBatch, aLink, bProduct, bBatch, bOwner }
}

describe('another brand’s rows are out of reach', () => {
  it('answers 404 to every page and fragment of brand A’s batch', async () => {
    const { aBatch, bOwner } = await twoBrands()
    for (const path of [
      `/admin/batches/${aBatch.id}`,
      `/admin/batches/${aBatch.id}/progress`,
      `/admin/batches/${aBatch.id}/codes`,
    ]) {
      const res = await bOwner.get(path)
      expect(res.status, path).toBe(404)
      expect(await res.text()).not.toContain('ALPHA')
    }
    const fragment = await bOwner.get(`/admin/batches/${aBatch.id}/codes`, { 'hx-request': 'true' })
    expect(fragment.status).toBe(404)
  })

  it('answers 404 to exporting, activating, voiding and linking brand A’s batch, and changes nothing', async () => {
    const { t, aBatch, bOwner } = await twoBrands()
    const attempts: [string, Record<string, string>][] = [
      [`/admin/batches/${aBatch.id}/export`, { format: 'csv' }],
      [`/admin/batches/${aBatch.id}/activate`, { from: '1', to: '4' }],
      [`/admin/batches/${aBatch.id}/void`, { from: '1', to: '4', reason: 'stolen', confirm: 'yes' }],
      [`/admin/batches/${aBatch.id}/links`, { recipient: 'Evil Print', format: 'csv', ttlHours: '48' }],
    ]
    for (const [path, form] of attempts) {
      const res = await bOwner.post(path, form)
      expect(res.status, path).toBe(404)
    }
    const states = t.db
      .select()
      .from(codes)
      .where(eq(codes.batchId, aBatch.id))
      .all()
      .map((c) => c.state)
    expect(states).toEqual(['generated', 'generated', 'generated', 'generated'])
    expect(t.db.select().from(printExports).all()).toHaveLength(0)
    expect(t.db.select().from(downloadLinks).all()).toHaveLength(1)
  })

  it('cannot revoke brand A’s printer link', async () => {
    const { t, aLink, bOwner } = await twoBrands()
    const res = await bOwner.post(`/admin/links/${aLink.id}/revoke`)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toContain('already%20used%20or%20revoked')
    expect(t.db.select().from(downloadLinks).get()!.revokedAt).toBeNull()
  })

  it('answers 404 to opening and saving brand A’s product', async () => {
    const { t, aProduct, bOwner } = await twoBrands()
    expect((await bOwner.get(`/admin/products/${aProduct.id}`)).status).toBe(404)
    const save = await bOwner.post(`/admin/products/${aProduct.id}`, { sku: 'HIJACK', name: 'Hijacked' })
    expect(save.status).toBe(404)
    expect(t.db.select().from(products).where(eq(products.id, aProduct.id)).get()).toMatchObject({
      sku: 'ALPHA-SKU',
      name: 'Alpha Secret Product',
    })
  })

  it('never lists brand A’s products, batches, audit entries or staff', async () => {
    const { a, aBatch, bProduct, bBatch, bOwner } = await twoBrands()
    const productsPage = await (await bOwner.get('/admin/products')).text()
    expect(productsPage).toContain(bProduct.sku)
    expect(productsPage).not.toContain('ALPHA-SKU')

    const batchesPage = await (await bOwner.get('/admin/batches')).text()
    expect(batchesPage).toContain(`href="/admin/batches/${bBatch.id}"`)
    expect(batchesPage).not.toContain(`href="/admin/batches/${aBatch.id}"`)
    expect(batchesPage).not.toContain('ALPHA')

    const auditPage = await (await bOwner.get('/admin/audit')).text()
    expect(auditPage).toContain('brand.create')
    expect(auditPage).not.toContain('alpha')
    expect(auditPage).not.toContain('Alpha Printer')

    const staffPage = await (await bOwner.get('/admin/staff')).text()
    expect(staffPage).toContain('owner@bravo.test')
    expect(staffPage).not.toContain(a.ownerEmail)
  })

  it('keeps brand A’s audit log to brand A', async () => {
    const { t, a, bOwner, bBatch } = await twoBrands()
    await bOwner.post(`/admin/batches/${bBatch.id}/activate`, { from: '1', to: '2', confirm: 'yes' })
    const aEntries = t.db.select().from(auditLog).where(eq(auditLog.brandId, a.brandId)).all()
    expect(aEntries.map((e) => e.action).sort()).toEqual([
      'batch.create',
      'brand.create',
      'download-link.create',
      'product.create',
    ])
  })
})
