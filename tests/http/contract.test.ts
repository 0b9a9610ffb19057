import { describe, expect, it } from 'vitest'
import { createDownloadLink } from '../../src/batches/print-export-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { auditLog, downloadLinks, products, staffInvites } from '../../src/db/schema.ts'
import { inviteStaff } from '../../src/staff/staff-store.ts'
import { HTMX_PATH } from '../../views/static-assets.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  locationOf,
  postForm,
  request,
  signInAs,
} from '../support/test-app.ts'

const MB = 1024 * 1024

/** A brand with one of everything, its owner signed in, a pending invitation and a printer link. */
async function furnishedBrand() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1' })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: 3 })
  const bdb = brandDb(t.db, brand.brandId)
  const actor = { staffId: brand.ownerId, label: brand.ownerEmail }
  const invite = inviteStaff(
    bdb,
    actor,
    { email: 'new@tea.test', name: 'New', role: 'operator' },
    t.clock.now(),
  )
  if (invite.kind !== 'invited') throw new Error(invite.kind)
  const { link, token: linkToken } = createDownloadLink(
    bdb,
    actor,
    { batchId: batch.id, format: 'csv', recipient: 'Print Co', ttlHours: 24 },
    t.clock.now(),
  )
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, product, batch, invite, link, linkToken, owner }
}

describe('health and the edges of the app', () => {
  it('answers /healthz and /readyz with 200', async () => {
    const t = buildTestApp()
    const health = await request(t.app, '/healthz')
    expect(health.status).toBe(200)
    expect(await health.text()).toBe('ok')
    const ready = await request(t.app, '/readyz')
    expect(ready.status).toBe(200)
    expect(await ready.text()).toBe('ready')
  })

  it('answers an unknown path with a 404 page, not a stack trace', async () => {
    const t = buildTestApp()
    const res = await request(t.app, '/no/such/page')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await res.text()
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toContain('There is nothing at this address.')
    expect(html).not.toMatch(/\bat .+\.(ts|js):\d+/)
  })

  it('answers an internal failure with a 500 page that carries a reference and no details', async () => {
    const { t, owner } = await furnishedBrand()
    t.db.$client.close()
    const res = await owner.get('/admin/batches')
    expect(res.status).toBe(500)
    const html = await res.text()
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toMatch(/Reference: [\w-]+/)
    expect(html).not.toMatch(/database|sqlite|\.ts:\d+/i)
    expect((await request(t.app, '/readyz')).status).toBe(503)
  })

  it('answers an htmx request that finds nothing with a short alert for its box, not a whole page', async () => {
    const t = buildTestApp()
    const en = await request(t.app, '/no/such/fragment', {
      headers: { 'hx-request': 'true', 'accept-language': 'en' },
    })
    expect(en.status).toBe(404)
    const html = await en.text()
    expect(html).not.toMatch(/<html|<main|<title/i)
    expect(html).toMatch(/^<p class="errors" role="alert">/)
    expect(html).toContain('This is no longer here.')
    const zh = await request(t.app, '/scans/999/claim', {
      headers: { 'hx-request': 'true', 'accept-language': 'zh-CN' },
    })
    expect(await zh.text()).toContain('找不到这项内容')
    // The language a consumer chose on the scan page (its cookie) wins over the browser's.
    const chosen = await request(t.app, '/scans/999/claim', {
      headers: { 'hx-request': 'true', 'accept-language': 'zh-CN', cookie: 'oc_lang=en' },
    })
    expect(await chosen.text()).toContain('This is no longer here.')
    // Going Back restores whole pages: that request still gets the page.
    const restore = await request(t.app, '/no/such/page', {
      headers: { 'hx-request': 'true', 'hx-history-restore-request': 'true' },
    })
    expect(await restore.text()).toMatch(/^<!doctype html>/)
  })

  it('answers an htmx form refused by the cross-site check with a line for its box', async () => {
    const t = buildTestApp()
    const res = await request(t.app, '/scans/1/claim', {
      method: 'POST',
      headers: {
        'hx-request': 'true',
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
        'accept-language': 'en',
      },
      body: 'key=x',
    })
    expect(res.status).toBe(403)
    expect(await res.text()).toBe(
      '<p class="errors" role="alert">This page has expired. Reload it and try again.</p>',
    )
  })

  it('answers an htmx request that fails inside with a short alert that carries the reference', async () => {
    const { t, owner } = await furnishedBrand()
    t.db.$client.close()
    const res = await owner.get('/admin/batches', { 'hx-request': 'true' })
    expect(res.status).toBe(500)
    const html = await res.text()
    expect(html).toMatch(/^<p class="errors" role="alert">/)
    expect(html).toMatch(/Reference: [\w-]+/)
  })

  it('sends GET /admin without a session to the sign-in page', async () => {
    const t = buildTestApp()
    const res = await request(t.app, '/admin')
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/admin/sign-in?next=%2Fadmin')
    const root = await request(t.app, '/')
    expect(locationOf(root)).toBe('/admin')
  })

  it('answers a signed-out POST to the console with 401 and changes nothing', async () => {
    const { t } = await furnishedBrand()
    const before = t.db.select().from(auditLog).all().length
    const res = await postForm(t.app, '/admin/products', { sku: 'X-1', name: 'x' })
    expect(res.status).toBe(401)
    expect(t.db.select().from(auditLog).all()).toHaveLength(before)
  })

  it('serves its own CSS and htmx, with the version in the htmx file name', async () => {
    const t = buildTestApp()
    const css = await request(t.app, '/static/app.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(HTMX_PATH).toMatch(/^\/static\/htmx-\d+\.\d+\.\d+.*\.min\.js$/)
    const htmx = await request(t.app, HTMX_PATH)
    expect(htmx.status).toBe(200)
    expect(htmx.headers.get('cache-control')).toContain('immutable')
  })

  it("answers the browser's automatic /favicon.ico with an empty, cacheable 204 rather than a 404", async () => {
    const t = buildTestApp()
    const icon = await request(t.app, '/favicon.ico')
    expect(icon.status).toBe(204)
    expect(await icon.text()).toBe('')
    expect(icon.headers.get('cache-control')).toMatch(/max-age=\d{5,}/)
  })
})

describe('request bodies', () => {
  const oversized = () => new URLSearchParams({ email: 'a@b.c', password: 'x', pad: 'a'.repeat(300 * 1024) })

  it('answers a form larger than 256 KB with 413 before anyone reads it', async () => {
    const t = buildTestApp()
    const res = await request(t.app, '/admin/sign-in', {
      method: 'POST',
      headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
      body: oversized(),
    })
    expect(res.status).toBe(413)
  })

  it('answers an oversized console form with 413 and saves nothing', async () => {
    const { t, owner } = await furnishedBrand()
    const res = await owner.post('/admin/products', {
      sku: 'BIG-1',
      name: 'Big',
      notes: 'n'.repeat(300 * 1024),
    })
    expect(res.status).toBe(413)
    expect(
      t.db
        .select()
        .from(products)
        .all()
        .map((p) => p.sku),
    ).toEqual(['TEA-1'])
  })

  it('accepts a void-list upload above 256 KB (up to 8 MB), and refuses one above 8 MB', async () => {
    const { owner } = await furnishedBrand()
    const upload = (bytes: number) => {
      const form = new FormData()
      form.set('file', new File(['x'.repeat(bytes)], 'list.csv', { type: 'text/csv' }))
      form.set('reason', 'leaked')
      return form
    }
    // Without the confirmation box the handler answers 422: the body got through the limit.
    expect((await owner.post('/admin/codes/void', upload(300 * 1024))).status).toBe(422)
    expect((await owner.post('/admin/codes/void', upload(8 * MB + 1024))).status).toBe(413)
  })
})

describe('every page', () => {
  it('is a full HTML document with our security headers', async () => {
    const { t, product, batch, invite, linkToken, owner } = await furnishedBrand()
    const signedIn = [
      '/admin/products',
      '/admin/products/new',
      `/admin/products/${product.id}`,
      '/admin/batches',
      '/admin/batches/new',
      `/admin/batches/${batch.id}`,
      '/admin/codes',
      '/admin/staff',
      `/admin/staff/${invite.staffId}/disable`,
      `/admin/staff/${invite.staffId}/reset-password`,
      '/admin/account',
      '/admin/audit',
    ]
    const publicPages = ['/admin/sign-in', `/admin/invite/${invite.token}`, `/dl/${linkToken}`]
    for (const path of [...signedIn, ...publicPages]) {
      const res = signedIn.includes(path) ? await owner.get(path) : await request(t.app, path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/)
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'")
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff')
      const html = await res.text()
      expect(html, path).toMatch(/^<!doctype html><html lang="en">/)
      expect(html, path).toContain('</html>')
    }
  })

  it('puts the CSRF token on the body for htmx and in every form of a signed-in page', async () => {
    const { batch, owner } = await furnishedBrand()
    const html = await (await owner.get(`/admin/batches/${batch.id}`)).text()
    expect(html).toContain(`hx-headers:inherited="{&quot;X-CSRF-Token&quot;:&quot;${owner.csrfToken}&quot;}"`)
    const forms = html.match(/<form [^>]*method="post"[^>]*>/g) ?? []
    expect(forms.length).toBeGreaterThan(3)
    const tokens = html.match(/name="_csrf" value="[^"]+"/g) ?? []
    expect(tokens).toHaveLength(forms.length)
  })
})

describe('a cross-site POST', () => {
  it('is refused with 403 on every route that changes something, and nothing changes', async () => {
    const { t, brand, batch, invite, link, linkToken, owner, product } = await furnishedBrand()
    const routes: [string, Record<string, string>][] = [
      ['/admin/sign-in', { email: brand.ownerEmail, password: brand.ownerPassword }],
      ['/admin/sign-out', {}],
      ['/admin/staff', { email: 'evil@tea.test', name: 'Evil', role: 'owner' }],
      [`/admin/staff/${brand.ownerId}/role`, { role: 'analyst' }],
      [`/admin/staff/${invite.staffId}/disable`, { confirm: 'yes' }],
      [`/admin/staff/${invite.staffId}/enable`, {}],
      [`/admin/staff/${invite.staffId}/revoke-invite`, {}],
      [`/admin/staff/${invite.staffId}/invite`, {}],
      [`/admin/staff/${invite.staffId}/reset-password`, { confirm: 'yes' }],
      [
        '/admin/account/password',
        { current: brand.ownerPassword, password: 'evil password!', confirm: 'evil password!' },
      ],
      ['/admin/products', { sku: 'EVIL-1', name: 'Evil' }],
      [`/admin/products/${product.id}`, { sku: 'EVIL-2', name: 'Evil' }],
      ['/admin/batches', { productId: String(product.id), quantity: '5' }],
      [`/admin/batches/${batch.id}/export`, { format: 'csv' }],
      [`/admin/batches/${batch.id}/activate`, { from: '1', to: '3' }],
      [`/admin/batches/${batch.id}/void`, { from: '1', to: '3', reason: 'stolen', confirm: 'yes' }],
      [`/admin/batches/${batch.id}/links`, { recipient: 'Evil', format: 'csv', ttlHours: '48' }],
      [`/admin/links/${link.id}/revoke`, {}],
      ['/admin/codes/void', { codes: 'x', reason: 'stolen', confirm: 'yes' }],
      [`/admin/invite/${invite.token}`, { password: 'evil password!', confirm: 'evil password!' }],
      [`/dl/${linkToken}`, {}],
    ]
    const auditBefore = t.db.select().from(auditLog).all().length
    for (const [path, form] of routes) {
      const foreignOrigin = await owner.post(path, form, { origin: 'https://evil.example' })
      expect(foreignOrigin.status, path).toBe(403)
      const crossSite = await owner.post(path, form, { origin: '', 'sec-fetch-site': 'cross-site' })
      expect(crossSite.status, path).toBe(403)
    }
    expect(t.db.select().from(auditLog).all()).toHaveLength(auditBefore)
    expect(t.db.select().from(downloadLinks).get()).toMatchObject({ usedAt: null, revokedAt: null })
    expect(t.db.select().from(staffInvites).get()!.usedAt).toBeNull()
    // The owner was not signed out by the forged sign-out.
    expect((await owner.get('/admin/batches')).status).toBe(200)
  })
})
