import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createBatch, mintChunk } from '../../src/batches/batch-store.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { auditLog, batches, codes } from '../../src/db/schema.ts'
import {
  buildTestApp,
  insertBatch,
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
  })

  it('sends a plain GET of the progress panel (a sign-in that came back to it) to the batch page', async () => {
    const { owner, batchId } = await batchHalfMinted()
    const plain = await owner.get(`/admin/batches/${batchId}/progress`)
    expect(plain.status).toBe(303)
    expect(locationOf(plain)).toBe(`/admin/batches/${batchId}`)
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

  /** The seqs a codes table shows, and its pager links (href = hx-get, each pushing its URL). */
  async function codesShown(res: Response) {
    const html = await res.text()
    const seqs = [...html.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]))
    const links: Record<string, string> = {}
    for (const m of html.matchAll(
      /<a href="([^"]+)" rel="(\w+)" hx-get="([^"]+)"[^>]*hx-push-url="true">/g,
    )) {
      expect(m[3]).toBe(m[1])
      links[m[2]!] = m[1]!.replaceAll('&amp;', '&')
    }
    return { html, first: seqs[0], last: seqs.at(-1), count: seqs.length, links }
  }

  it('pages forward and back, and links to the first page, keeping the state filter', async () => {
    const { t, brand, product, owner } = await ownerWithProduct()
    const batch = insertBatch(t, brand.brandId, product.id, { quantity: 130 })
    const bdb = brandDb(t.db, brand.brandId)
    const actor = { staffId: null, label: 'test' }
    activateCodes(bdb, actor, batch.id, { from: 1, to: 5 }, t.clock.now())
    activateCodes(bdb, actor, batch.id, { from: 61, to: 125 }, t.clock.now())
    const codesUrl = `/admin/batches/${batch.id}/codes`
    const htmx = { 'hx-request': 'true' }

    const start = await codesShown(await owner.get(`/admin/batches/${batch.id}`))
    expect(start).toMatchObject({ first: 1, last: 50 })
    expect(start.links).toEqual({ next: `${codesUrl}?after=50` })

    const second = await codesShown(await owner.get(start.links.next!, htmx))
    expect(second).toMatchObject({ first: 51, last: 100 })
    expect(second.links).toEqual({
      first: codesUrl,
      prev: `${codesUrl}?before=51`,
      next: `${codesUrl}?after=100`,
    })
    const back = await codesShown(await owner.get(second.links.prev!, htmx))
    expect(back).toMatchObject({ first: 1, last: 50, links: { next: `${codesUrl}?after=50` } })
    const third = await codesShown(await owner.get(second.links.next!, htmx))
    expect(third).toMatchObject({ first: 101, last: 130 })
    expect(third.links).toEqual({ first: codesUrl, prev: `${codesUrl}?before=101` })
    expect(await codesShown(await owner.get(third.links.prev!, htmx))).toMatchObject({ first: 51, last: 100 })

    // Activated: #1–#5 and #61–#125, 70 codes; the pager pages those only and says so in its links.
    const activated = await codesShown(await owner.get(`${codesUrl}?state=activated`, htmx))
    expect(activated).toMatchObject({ first: 1, last: 105, count: 50 })
    expect(activated.links).toEqual({ next: `${codesUrl}?state=activated&after=105` })
    const more = await codesShown(await owner.get(activated.links.next!, htmx))
    expect(more).toMatchObject({ first: 106, last: 125, count: 20 })
    expect(more.links).toEqual({
      first: `${codesUrl}?state=activated`,
      prev: `${codesUrl}?state=activated&before=106`,
    })
    const previous = await codesShown(await owner.get(more.links.prev!, htmx))
    expect(previous).toMatchObject({ first: 1, last: 105, count: 50 })
    expect(previous.links).toEqual({ next: `${codesUrl}?state=activated&after=105` })
  })

  it('pushes a URL that a reload, or htmx restoring history on Back, answers with the whole page at that place', async () => {
    const { t, brand, product, owner } = await ownerWithProduct()
    const batch = insertBatch(t, brand.brandId, product.id, { quantity: 120 })
    const url = `/admin/batches/${batch.id}/codes?after=50`
    const restore = { 'hx-request': 'true', 'hx-history-restore-request': 'true' }
    for (const headers of [{}, restore] as Record<string, string>[]) {
      const page = await codesShown(await owner.get(url, headers))
      expect(page.html).toMatch(/^<!doctype html>/)
      expect(page).toMatchObject({ first: 51, last: 100 })
      // The state filter is a GET of the same URL, pushed too.
      const filter =
        /<form class="inline" method="get" action="([^"]+)" hx-get="([^"]+)"[^>]*hx-push-url="true">/.exec(
          page.html,
        )
      expect(filter?.[1]).toBe(`/admin/batches/${batch.id}/codes`)
      expect(filter?.[2]).toBe(filter?.[1])
    }
  })
})
