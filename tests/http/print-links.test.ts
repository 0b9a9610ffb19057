import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.tsx'
import { createDownloadLink, revokeDownloadLink } from '../../src/batches/print-export-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { auditLog, downloadLinks, printExports, products } from '../../src/db/schema.ts'
import { hashToken } from '../../src/staff/staff-store.ts'
import { largeReadyBatch } from '../support/batch-fixture.ts'
import { capturingLogger } from '../support/log-capture.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  locationOf,
  postForm,
  request,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

const QUANTITY = 5
const HOUR = 3_600_000
const RECIPIENT = 'Shenzhen Label Co.'

/** An owner makes a one-time link for a printing house; the link is read off the page once. */
async function linkMadeByOwner(opts: { ttlHours?: number; format?: string } = {}) {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1' })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: QUANTITY })
  const owner = await signInAs(t, brand.ownerId)
  const res = await owner.post(`/admin/batches/${batch.id}/links`, {
    recipient: RECIPIENT,
    format: opts.format ?? 'csv',
    ttlHours: String(opts.ttlHours ?? 48),
  })
  const html = await res.text()
  const path = /http:\/\/localhost:3000(\/dl\/[A-Za-z0-9_-]+)/.exec(html)?.[1]
  return { t, brand, batch, owner, res, html, path: path!, token: path?.slice('/dl/'.length) ?? '' }
}

/** The printing house presses the button: a plain same-origin form POST, no cookie. */
const download = (t: TestApp, path: string) => postForm(t.app, path, {})
const exportsOf = (t: TestApp) => t.db.select().from(printExports).all()

describe('a one-time link for a printing house', () => {
  it('is shown once, on the page that made it, and only its hash is stored', async () => {
    const { t, batch, owner, res, path, token } = await linkMadeByOwner()
    expect(res.status).toBe(200)
    expect(path).toMatch(/^\/dl\/[A-Za-z0-9_-]{32}$/)
    const link = t.db.select().from(downloadLinks).get()!
    expect(link).toMatchObject({ recipient: RECIPIENT, format: 'csv', tokenHash: hashToken(token) })
    expect(link.expiresAt).toBe(t.clock.now() + 48 * HOUR)
    expect(JSON.stringify(t.db.select().from(auditLog).all())).not.toContain(token)

    const later = await (await owner.get(`/admin/batches/${batch.id}`)).text()
    expect(later).not.toContain(token)
    expect(later).toContain(RECIPIENT)
  })

  it('shows a download button on GET without using the link up', async () => {
    const { t, path } = await linkMadeByOwner()
    for (let i = 0; i < 2; i++) {
      const page = await request(t.app, path)
      expect(page.status).toBe(200)
      const html = await page.text()
      expect(html).toContain(`<form method="post" action="${path}">`)
      expect(html).toContain('Download the print file')
    }
    expect((await request(t.app, path, { method: 'HEAD' })).status).toBe(200)
    expect(t.db.select().from(downloadLinks).get()!.usedAt).toBeNull()
    expect(exportsOf(t)).toHaveLength(0)
  })

  it('says on GET what the file is and until when the link works, and keeps no copy of the page', async () => {
    const { t, path } = await linkMadeByOwner({ format: 'svg-zip', ttlHours: 48 })
    const page = await request(t.app, path)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    expect(html).toContain('Product TEA-1')
    expect(html).toContain(`${QUANTITY} codes`)
    expect(html).toContain('ZIP of SVG QR images')
    // 48 hours after 2026-11-01 00:00 UTC, in the console's China time.
    expect(html).toContain('2026-11-03 08:00 UTC+8')
  })

  it.each([
    ['already used', async (t: TestApp, path: string) => void (await download(t, path))],
    ['expired', async (t: TestApp) => t.clock.advance(48 * HOUR)],
    [
      'revoked',
      async (t: TestApp) => {
        const link = t.db.select().from(downloadLinks).get()!
        revokeDownloadLink(
          brandDb(t.db, link.brandId),
          { staffId: null, label: 'test' },
          link.id,
          t.clock.now(),
        )
      },
    ],
  ])(
    'answers GET of a link %s with 410 and the page the button would give, with no button',
    async (_, endIt) => {
      const { t, path } = await linkMadeByOwner()
      await endIt(t, path)
      const exportsBefore = exportsOf(t).length
      const auditBefore = t.db.select().from(auditLog).all().length

      const page = await request(t.app, path)
      expect(page.status).toBe(410)
      const html = await page.text()
      expect(html).toContain('Link no longer valid')
      expect(html).not.toContain('<form')
      expect(html).not.toContain('Download the print file')
      expect(html).toBe(await (await download(t, path)).text())
      expect(exportsOf(t)).toHaveLength(exportsBefore)
      expect(t.db.select().from(auditLog).all()).toHaveLength(auditBefore)
    },
  )

  it('answers GET of a made-up token with the same 410 page as a used link', async () => {
    const { t, path } = await linkMadeByOwner()
    await download(t, path)
    const madeUp = await request(t.app, `/dl/${'A'.repeat(32)}`)
    expect(madeUp.status).toBe(410)
    expect(await madeUp.text()).toBe(await (await request(t.app, path)).text())
  })

  it('streams the file on POST and records the export under the printing house’s name', async () => {
    const { t, brand, batch, path } = await linkMadeByOwner()
    const res = await download(t, path)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.csv"$/)
    const lines = (await res.text()).split('\r\n').filter((l) => l !== '')
    expect(lines).toHaveLength(QUANTITY + 1)

    const link = t.db.select().from(downloadLinks).get()!
    expect(link.usedAt).toBe(t.clock.now())
    expect(exportsOf(t)).toEqual([
      expect.objectContaining({
        brandId: brand.brandId,
        batchId: batch.id,
        actorStaffId: null,
        actorLabel: `printer-link:${RECIPIENT}`,
        downloadLinkId: link.id,
        seqFrom: 1,
        seqTo: QUANTITY,
      }),
    ])
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'export.download')).all()
    expect(audit.map((a) => a.actorLabel)).toEqual([`printer-link:${RECIPIENT}`])
  })

  it('serves the format the owner chose', async () => {
    const { t, path } = await linkMadeByOwner({ format: 'pdf' })
    const res = await download(t, path)
    expect(res.headers.get('content-type')).toBe('application/pdf')
    expect(
      Buffer.from(await res.arrayBuffer())
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('%PDF')
  })

  it('answers 410 to a second download', async () => {
    const { t, path } = await linkMadeByOwner()
    expect((await download(t, path)).status).toBe(200)
    const second = await download(t, path)
    expect(second.status).toBe(410)
    expect(await second.text()).toContain('Link no longer valid')
    expect(exportsOf(t)).toHaveLength(1)
  })

  it('works until it expires and answers 410 from then on', async () => {
    const { t, path } = await linkMadeByOwner({ ttlHours: 2 })
    t.clock.advance(2 * HOUR)
    expect((await download(t, path)).status).toBe(410)
    expect(exportsOf(t)).toHaveLength(0)
  })

  it('still works a moment before it expires', async () => {
    const { t, path } = await linkMadeByOwner({ ttlHours: 2 })
    t.clock.advance(2 * HOUR - 1)
    expect((await download(t, path)).status).toBe(200)
  })

  it('answers 410 once the owner revoked it', async () => {
    const { t, batch, owner, path } = await linkMadeByOwner()
    const link = t.db.select().from(downloadLinks).get()!
    const revoke = await owner.post(
      `/admin/links/${link.id}/revoke`,
      {},
      {
        referer: `http://localhost/admin/batches/${batch.id}`,
      },
    )
    expect(revoke.status).toBe(303)
    expect(locationOf(revoke)).toMatch(new RegExp(`^/admin/batches/${batch.id}\\?notice=Link%20revoked&ns=`))
    expect((await download(t, path)).status).toBe(410)
    expect(exportsOf(t)).toHaveLength(0)
    expect(
      t.db.select().from(auditLog).where(eq(auditLog.action, 'download-link.revoke')).all(),
    ).toHaveLength(1)
  })

  it('answers 410 to a made-up token, like to a used one', async () => {
    const { t } = await linkMadeByOwner()
    expect((await download(t, `/dl/${'A'.repeat(32)}`)).status).toBe(410)
  })

  it('refuses a download started from another site', async () => {
    const { t, path } = await linkMadeByOwner()
    const res = await postForm(t.app, path, {}, { origin: 'https://evil.example' })
    expect(res.status).toBe(403)
    expect(t.db.select().from(downloadLinks).get()!.usedAt).toBeNull()
  })

  it.each([
    [{ recipient: '', format: 'csv', ttlHours: '48' }, 'name the printing house'],
    [{ recipient: 'X', format: 'csv', ttlHours: '337' }, 'a link lives at most 14 days'],
    [{ recipient: 'X', format: 'exe', ttlHours: '48' }, 'choose a print-file format'],
  ])('refuses to make a link from %j', async (form, message) => {
    const { t, batch, owner } = await linkMadeByOwner()
    const res = await owner.post(`/admin/batches/${batch.id}/links`, form)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain(message)
    expect(t.db.select().from(downloadLinks).all()).toHaveLength(1)
  })
  it('refuses a PDF link for a batch over the 100,000 codes a label sheet holds, and records nothing', async () => {
    const { t, brand, owner } = await linkMadeByOwner()
    const product = t.db.select().from(products).get()!
    const large = largeReadyBatch(t, brand.brandId, product.id, 1_500_000)
    const auditBefore = t.db.select().from(auditLog).where(eq(auditLog.action, 'download-link.create')).all()
    const res = await owner.post(`/admin/batches/${large.id}/links`, {
      recipient: RECIPIENT,
      format: 'pdf',
      ttlHours: '48',
    })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain(
      'A PDF label sheet holds at most 100,000 codes, and a printer link carries the whole batch of 1,500,000',
    )
    expect(html).not.toMatch(/\/dl\/[A-Za-z0-9_-]{20,}/)
    expect(t.db.select().from(downloadLinks).where(eq(downloadLinks.batchId, large.id)).all()).toHaveLength(0)
    expect(
      t.db.select().from(auditLog).where(eq(auditLog.action, 'download-link.create')).all(),
    ).toHaveLength(auditBefore.length)

    const svg = await owner.post(`/admin/batches/${large.id}/links`, {
      recipient: RECIPIENT,
      format: 'svg-zip',
      ttlHours: '48',
    })
    expect(svg.status).toBe(200)
    expect(t.db.select().from(downloadLinks).where(eq(downloadLinks.batchId, large.id)).all()).toHaveLength(1)
  })

  it('refuses a PDF link made before the cap for a batch over it, telling the printer what to ask for, and leaves the link unused', async () => {
    const { t, brand } = await linkMadeByOwner()
    const { logger, lines: logs } = capturingLogger('warn')
    const app = createApp({ ...t.deps, logger })
    const product = t.db.select().from(products).get()!
    const large = largeReadyBatch(t, brand.brandId, product.id, 1_500_000)
    // As the console made PDF links before it checked the cap: straight through the store.
    const { link, token } = createDownloadLink(
      brandDb(t.db, brand.brandId),
      { staffId: brand.ownerId, label: brand.ownerEmail },
      { batchId: large.id, format: 'pdf', recipient: RECIPIENT, ttlHours: 48 },
      t.clock.now(),
    )
    const exportsBefore = exportsOf(t).length
    const auditBefore = t.db.select().from(auditLog).all().length

    const res = await postForm(app, `/dl/${token}`, {})
    expect(res.status).toBe(409)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await res.text()
    expect(html).toContain('A PDF label sheet holds at most 100,000 codes')
    expect(html).toContain('1,500,000')
    expect(html).toContain('Ask the brand for an SVG ZIP or CSV link')

    const after = t.db.select().from(downloadLinks).where(eq(downloadLinks.id, link.id)).get()!
    expect(after.usedAt).toBeNull()
    expect(after.revokedAt).toBeNull()
    expect(exportsOf(t)).toHaveLength(exportsBefore)
    expect(t.db.select().from(auditLog).all()).toHaveLength(auditBefore)
    const warned = logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'printer link refused: over the format cap')
    expect(warned).toEqual([
      expect.objectContaining({ linkId: link.id, brandId: brand.brandId, batchId: large.id, format: 'pdf' }),
    ])
    expect(logs.join('')).not.toContain(token)

    // Opening the link explains the same, without a button that cannot work; previews and
    // crawlers opening it again add no warning (one per link).
    const page = await request(app, `/dl/${token}`)
    expect(page.status).toBe(409)
    const pageHtml = await page.text()
    expect(pageHtml).toContain('Ask the brand for an SVG ZIP or CSV link')
    expect(pageHtml).not.toContain('<form')
    for (let i = 0; i < 3; i++) await request(app, `/dl/${token}`)
    expect(logs.map((l) => JSON.parse(l).msg)).toEqual(['printer link refused: over the format cap'])
    expect(logs.join('')).not.toContain(token)

    // Asking again answers the same (the link was not used up), and the brand can still revoke it.
    expect((await postForm(app, `/dl/${token}`, {})).status).toBe(409)
    expect(
      revokeDownloadLink(
        brandDb(t.db, brand.brandId),
        { staffId: null, label: 'test' },
        link.id,
        t.clock.now(),
      ),
    ).toBe(true)
    expect((await postForm(app, `/dl/${token}`, {})).status).toBe(410)
    expect((await request(app, `/dl/${token}`)).status).toBe(410)
    expect(t.db.select().from(downloadLinks).where(eq(downloadLinks.id, link.id)).get()!.usedAt).toBeNull()
  })
})
