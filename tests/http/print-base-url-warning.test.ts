import { describe, expect, it } from 'vitest'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  insertStaff,
  signInAs,
} from '../support/test-app.ts'

const UNSET = 'PUBLIC_BASE_URL is not set'
const FILES_WARNING =
  'PUBLIC_BASE_URL is not set: print files and printer links made here hold http://localhost:3000/… URLs that no phone can open. Set PUBLIC_BASE_URL to the server&#39;s public address before printing real labels.'
const LINK_WARNING =
  'PUBLIC_BASE_URL is not set: this link, and the file it downloads, hold http://localhost:3000/… URLs that neither the printing house nor any phone can open.'

/** A brand with a ready batch on a server started with or without PUBLIC_BASE_URL. */
async function readyBatch(opts: { publicBaseUrlIsDefault: boolean }) {
  const t = buildTestApp({ publicBaseUrlIsDefault: opts.publicBaseUrlIsDefault })
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1' })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: 3 })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, batch, owner }
}

describe('print files and printer links on a server started without PUBLIC_BASE_URL', () => {
  it('warns on the batch page, where they are made, that their localhost URLs open on no phone', async () => {
    const { batch, owner } = await readyBatch({ publicBaseUrlIsDefault: true })
    const html = await (await owner.get(`/admin/batches/${batch.id}`)).text()
    expect(html).toContain(FILES_WARNING)
    expect(html.indexOf(FILES_WARNING)).toBeLessThan(html.indexOf('<h2>Print files</h2>'))
    expect(html).not.toContain(LINK_WARNING)
  })

  it('warns an operator, who makes print files but no links, too', async () => {
    const { t, brand, batch } = await readyBatch({ publicBaseUrlIsDefault: true })
    const operator = await insertStaff(t, brand.brandId, { role: 'operator', email: 'op@tea.test' })
    const html = await (await (await signInAs(t, operator.id)).get(`/admin/batches/${batch.id}`)).text()
    expect(html).toContain('<h2>Print files</h2>')
    expect(html).toContain(FILES_WARNING)
  })

  it('tells no one who can make neither', async () => {
    const { t, brand, batch } = await readyBatch({ publicBaseUrlIsDefault: true })
    const analyst = await insertStaff(t, brand.brandId, { role: 'analyst', email: 'an@tea.test' })
    const html = await (await (await signInAs(t, analyst.id)).get(`/admin/batches/${batch.id}`)).text()
    expect(html).not.toContain(UNSET)
  })

  it('still makes the print file, so the demo works, with the localhost URLs it warned about', async () => {
    const { batch, owner } = await readyBatch({ publicBaseUrlIsDefault: true })
    const res = await owner.post(`/admin/batches/${batch.id}/export`, { format: 'csv' })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('HTTP://LOCALHOST:3000/C/')
  })

  it('still makes a printer link, and warns beside it that it opens nowhere but here', async () => {
    const { batch, owner } = await readyBatch({ publicBaseUrlIsDefault: true })
    const res = await owner.post(`/admin/batches/${batch.id}/links`, {
      recipient: 'Shenzhen Label Co.',
      format: 'csv',
      ttlHours: '48',
    })
    expect(res.status).toBe(200)
    const html = await res.text()
    const box = html.slice(html.indexOf('One-time download link'), html.indexOf('<h2>Print files</h2>'))
    expect(box).toMatch(/http:\/\/localhost:3000\/dl\/[A-Za-z0-9_-]{32}/)
    expect(box).toContain(LINK_WARNING)
    expect(box).toContain(
      'Set PUBLIC_BASE_URL to the server&#39;s public address, restart, and make a new link.',
    )
  })
})

describe('print files and printer links on a server with PUBLIC_BASE_URL set', () => {
  it('shows no warning about the base URL, on the batch page or beside a new link', async () => {
    const { batch, owner } = await readyBatch({ publicBaseUrlIsDefault: false })
    expect(await (await owner.get(`/admin/batches/${batch.id}`)).text()).not.toContain(UNSET)
    const made = await owner.post(`/admin/batches/${batch.id}/links`, {
      recipient: 'Shenzhen Label Co.',
      format: 'csv',
      ttlHours: '48',
    })
    const html = await made.text()
    expect(html).toMatch(/\/dl\/[A-Za-z0-9_-]{32}/)
    expect(html).not.toContain(UNSET)
  })
})
