import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { auditLog, products } from '../../src/db/schema.ts'
import {
  buildTestApp,
  insertBrand,
  insertProduct,
  insertStaff,
  locationOf,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

async function ownerOfTea() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, owner }
}

const productsOf = (t: TestApp, brandId: number) =>
  t.db.select().from(products).where(eq(products.brandId, brandId)).all()

describe('creating a product', () => {
  it('saves a product with a valid GTIN, stored as GTIN-14, and lists it', async () => {
    const { t, brand, owner } = await ownerOfTea()
    const res = await owner.post('/admin/products', {
      sku: 'TEA-1',
      name: 'Oolong Tea 500 ml',
      gtin: '9506000134352',
      points: '25',
    })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toMatch(
      new RegExp(`^/admin/products\\?notice=${encodeURIComponent('Product TEA-1 saved')}&ns=[\\w-]{22}$`),
    )
    expect(await (await owner.get(locationOf(res)!)).text()).toContain('Product TEA-1 saved')
    const [saved] = productsOf(t, brand.brandId)
    expect(saved).toMatchObject({ sku: 'TEA-1', gtin: '09506000134352', points: 25 })
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'product.create')).all()
    expect(audit).toHaveLength(1)
    const list = await (await owner.get('/admin/products')).text()
    expect(list).toContain('Oolong Tea 500 ml')
    expect(list).toContain('09506000134352')
  })

  it('saves a product without a GTIN', async () => {
    const { t, brand, owner } = await ownerOfTea()
    expect((await owner.post('/admin/products', { sku: 'GIFT-1', name: 'Gift box', gtin: '' })).status).toBe(
      303,
    )
    expect(productsOf(t, brand.brandId)[0]!.gtin).toBeNull()
  })

  it('refuses a GTIN with a wrong check digit with 422 and says why, keeping what was typed', async () => {
    const { t, brand, owner } = await ownerOfTea()
    const res = await owner.post('/admin/products', { sku: 'TEA-1', name: 'Oolong', gtin: '9506000134353' })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('GTIN must be 8, 12, 13 or 14 digits with a correct check digit')
    expect(html).toContain('value="9506000134353"')
    expect(productsOf(t, brand.brandId)).toHaveLength(0)
  })

  it.each([
    [{ sku: '', name: 'x' }, 'SKU is required'],
    [{ sku: 'TEA 1', name: 'x' }, 'SKU may use letters, digits, dot, dash and underscore'],
    [{ sku: 'TEA-1', name: '' }, 'name is required'],
    [{ sku: 'TEA-1', name: 'x', points: '-1' }, 'points'],
    [{ sku: 'TEA-1', name: 'x', imageUrl: 'javascript:alert(1)' }, 'image URL must start with http'],
  ])('refuses %j with 422 (%s)', async (form, message) => {
    const { t, brand, owner } = await ownerOfTea()
    const res = await owner.post('/admin/products', form)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain(message)
    expect(productsOf(t, brand.brandId)).toHaveLength(0)
  })

  it('refuses a second product with the same SKU in the same brand', async () => {
    const { t, brand, owner } = await ownerOfTea()
    insertProduct(t, brand.brandId, { sku: 'TEA-1' })
    const res = await owner.post('/admin/products', { sku: 'TEA-1', name: 'Another' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Another product of your brand already has this SKU.')
    expect(productsOf(t, brand.brandId)).toHaveLength(1)
  })

  it('allows the same SKU in another brand', async () => {
    const { t, brand, owner } = await ownerOfTea()
    const other = await insertBrand(t, { slug: 'coffee' })
    insertProduct(t, other.brandId, { sku: 'TEA-1' })
    expect((await owner.post('/admin/products', { sku: 'TEA-1', name: 'Ours' })).status).toBe(303)
    expect(productsOf(t, brand.brandId)).toHaveLength(1)
  })
})

describe('editing a product', () => {
  it('saves the changes', async () => {
    const { t, brand, owner } = await ownerOfTea()
    const p = insertProduct(t, brand.brandId, { sku: 'TEA-1', points: 10 })
    const form = await owner.get(`/admin/products/${p.id}`)
    expect(form.status).toBe(200)
    expect(await form.text()).toContain('value="TEA-1"')
    const res = await owner.post(`/admin/products/${p.id}`, { sku: 'TEA-1', name: 'Renamed', points: '30' })
    expect(res.status).toBe(303)
    expect(productsOf(t, brand.brandId)[0]).toMatchObject({ name: 'Renamed', points: 30 })
  })

  it('refuses to take the SKU of another product of the brand', async () => {
    const { t, brand, owner } = await ownerOfTea()
    insertProduct(t, brand.brandId, { sku: 'TEA-1' })
    const p2 = insertProduct(t, brand.brandId, { sku: 'TEA-2' })
    const res = await owner.post(`/admin/products/${p2.id}`, { sku: 'TEA-1', name: 'Clash' })
    expect(res.status).toBe(422)
    expect(productsOf(t, brand.brandId).map((p) => p.sku)).toEqual(['TEA-1', 'TEA-2'])
  })

  it('answers 404 for a product that does not exist', async () => {
    const { owner } = await ownerOfTea()
    expect((await owner.get('/admin/products/999')).status).toBe(404)
    expect((await owner.post('/admin/products/999', { sku: 'X-1', name: 'x' })).status).toBe(404)
  })
})

describe('product names are shown as text, never as markup', () => {
  const SCRIPT = '<script>alert(1)</script>'
  const ATTRIBUTE = '" hx-get="/x'

  it('escapes a script tag and an attribute break-out on the products page and the edit form', async () => {
    const { t, brand, owner } = await ownerOfTea()
    expect((await owner.post('/admin/products', { sku: 'XSS-1', name: SCRIPT })).status).toBe(303)
    expect(
      (await owner.post('/admin/products', { sku: 'XSS-2', name: ATTRIBUTE, notes: SCRIPT })).status,
    ).toBe(303)
    const list = await (await owner.get('/admin/products')).text()
    expect(list).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(list).not.toContain(SCRIPT)
    expect(list).toContain('&quot; hx-get=&quot;/x')
    expect(list).not.toContain(ATTRIBUTE)

    const [, second] = productsOf(t, brand.brandId)
    const edit = await (await owner.get(`/admin/products/${second!.id}`)).text()
    expect(edit).toContain('value="&quot; hx-get=&quot;/x"')
    expect(edit).not.toContain('hx-get="/x"')
    expect(edit).not.toContain(SCRIPT)
  })

  it('escapes what was typed when a form comes back with errors', async () => {
    const { owner } = await ownerOfTea()
    const res = await owner.post('/admin/products', { sku: 'bad sku', name: ATTRIBUTE })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).not.toContain('hx-get="/x"')
    expect(html).toContain('&quot; hx-get=&quot;/x')
  })
})

describe('the notice after a saved form', () => {
  it('is shown only as this server signed it for the signed-in person', async () => {
    const { t, brand, owner } = await ownerOfTea()
    const res = await owner.post('/admin/products', { sku: 'TEA-2', name: 'Green tea', points: '5' })
    const signed = locationOf(res)!
    const banner = (html: string) => html.match(/class="notice[^"]*"[^>]*>([^<]*)</)?.[1]
    expect(banner(await (await owner.get(signed)).text())).toContain('Product TEA-2 saved')

    // A crafted link puts nothing in the trusted banner, signed or not.
    const crafted = encodeURIComponent('Your session expired. Call IT on 400-000-0000.')
    const sig = new URL(signed, 'http://x').searchParams.get('ns')!
    for (const path of [`/admin/products?notice=${crafted}`, `/admin/products?notice=${crafted}&ns=${sig}`]) {
      const html = await (await owner.get(path)).text()
      expect(banner(html), path).toBeUndefined()
      expect(html).not.toContain('Call IT')
    }
    // Another person of the brand opening the same link sees no banner either.
    const colleague = await signInAs(
      t,
      (await insertStaff(t, brand.brandId, { role: 'operator', email: 'op@tea.test' })).id,
    )
    expect(banner(await (await colleague.get(signed)).text())).toBeUndefined()
  })
})
