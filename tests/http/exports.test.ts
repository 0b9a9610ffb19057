import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { assembleToken } from '../../src/codes/token.ts'
import { auditLog, codes, printExports } from '../../src/db/schema.ts'
import { largeReadyBatch } from '../support/batch-fixture.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

const QUANTITY = 12
const SHORT_URL = /^HTTP:\/\/LOCALHOST:3000\/C\/([0-9A-Z]{31})$/

async function ownerWithReadyBatch() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1', gtin: '9506000134352' })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: QUANTITY, lot: 'L7' })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, product, batch, owner }
}

const auditActions = (t: TestApp, action: string) =>
  t.db.select().from(auditLog).where(eq(auditLog.action, action)).all()

const statesOf = (t: TestApp, batchId: number) =>
  t.db
    .select({ seq: codes.seq, state: codes.state })
    .from(codes)
    .where(eq(codes.batchId, batchId))
    .orderBy(codes.seq)
    .all()
    .map((c) => c.state)

describe('downloading a print file', () => {
  it('streams a CSV attachment with a header and one verifiable URL per code, and records who took it', async () => {
    const { t, brand, batch, owner } = await ownerWithReadyBatch()
    const res = await owner.post(`/admin/batches/${batch.id}/export`, { format: 'csv' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="TEA-1-batch${batch.id}-L7.csv"`,
    )
    expect(res.headers.get('cache-control')).toBe('no-store')

    const lines = (await res.text()).split('\r\n').filter((l) => l !== '')
    expect(lines[0]).toBe('seq,serial,url')
    const rows = lines.slice(1).map((l) => l.split(','))
    expect(rows).toHaveLength(QUANTITY)
    const serials = new Set<string>()
    rows.forEach(([seq, human, url], i) => {
      expect(seq).toBe(String(i + 1))
      const token = SHORT_URL.exec(url!)?.[1]
      expect(token, url).toBeDefined()
      expect(human!.replaceAll('-', '')).toBe(token)
      const verdict = t.keyring.verify(token!)
      expect(verdict).toMatchObject({ kind: 'valid', brandId: brand.brandId })
      if (verdict.kind === 'valid') serials.add(verdict.serial)
    })
    expect(serials.size).toBe(QUANTITY)

    expect(statesOf(t, batch.id)).toEqual(Array(QUANTITY).fill('exported'))
    const exportRow = t.db.select().from(printExports).get()
    expect(exportRow).toMatchObject({
      brandId: brand.brandId,
      batchId: batch.id,
      format: 'csv',
      seqFrom: 1,
      seqTo: QUANTITY,
      codeCount: QUANTITY,
      actorStaffId: brand.ownerId,
      actorLabel: brand.ownerEmail,
      downloadLinkId: null,
    })
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'export.download')).all()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      actorStaffId: brand.ownerId,
      subjectType: 'batch',
      subjectId: String(batch.id),
    })
    expect(audit[0]!.detail).toMatchObject({ exportId: exportRow!.id, format: 'csv', from: 1, to: QUANTITY })

    const page = await (await owner.get(`/admin/batches/${batch.id}`)).text()
    expect(page).toContain(`#1–#${QUANTITY}`)
  })

  it('exports only the chosen range and moves only those codes to exported', async () => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    const res = await owner.post(`/admin/batches/${batch.id}/export`, { format: 'csv', from: '3', to: '5' })
    expect(res.status).toBe(200)
    const seqs = (await res.text())
      .split('\r\n')
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => l.split(',')[0])
    expect(seqs).toEqual(['3', '4', '5'])
    const states = statesOf(t, batch.id)
    expect(states.filter((s) => s === 'exported')).toHaveLength(3)
    expect(states.slice(2, 5)).toEqual(['exported', 'exported', 'exported'])
  })

  it('prints GS1 Digital Links for a GS1 batch', async () => {
    const { t, brand, product, owner } = await ownerWithReadyBatch()
    const gs1 = insertBatch(t, brand.brandId, product.id, { quantity: 2, urlMode: 'gs1', lot: 'L7' })
    const text = await (await owner.post(`/admin/batches/${gs1.id}/export`, { format: 'csv' })).text()
    const urls = text
      .split('\r\n')
      .slice(1, 3)
      .map((l) => l.split(',')[2])
    for (const url of urls) expect(url).toMatch(/^http:\/\/localhost:3000\/01\/09506000134352\/10\/L7\/21\//i)
  })

  it.each([
    ['txt', 'text/plain; charset=utf-8', '1\t'],
    ['csv-zip', 'application/zip', 'PK'],
    ['svg-zip', 'application/zip', 'PK'],
    ['pdf', 'application/pdf', '%PDF'],
  ])('answers the %s format with %s', async (format, contentType, magic) => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    const res = await owner.post(`/admin/batches/${batch.id}/export`, { format })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(contentType)
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="TEA-1-batch\d+-L7/)
    const body = Buffer.from(await res.arrayBuffer())
    expect(body.subarray(0, magic.length).toString('latin1')).toBe(magic)
    expect(t.db.select().from(printExports).where(eq(printExports.format, format)).all()).toHaveLength(1)
  })

  it('lays a PDF out on the chosen label grid: 2 × 3 labels make two pages for 12 codes', async () => {
    const { batch, owner } = await ownerWithReadyBatch()
    const res = await owner.post(`/admin/batches/${batch.id}/export`, {
      format: 'pdf',
      columns: '2',
      rows: '3',
    })
    expect(res.status).toBe(200)
    const pdf = Buffer.from(await res.arrayBuffer()).toString('latin1')
    expect(pdf.match(/\/Type \/Page\b/g)).toHaveLength(2)
  })

  it.each([
    [{ format: 'docx' }, 'choose a print-file format'],
    [{ format: 'csv', from: '5', to: '99' }, `Choose codes between #1 and #${QUANTITY}.`],
    [{ format: 'csv', from: '6', to: '5' }, `Choose codes between #1 and #${QUANTITY}.`],
    [{ format: 'pdf', columns: '20', rows: '20' }, 'too small to scan on A4'],
  ])('refuses %j with 422 and records nothing', async (form, message) => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    const res = await owner.post(`/admin/batches/${batch.id}/export`, form)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain(message)
    expect(t.db.select().from(printExports).all()).toHaveLength(0)
    expect(statesOf(t, batch.id)).toEqual(Array(QUANTITY).fill('generated'))
  })
})

describe('the size of a PDF label sheet', () => {
  it.each([
    ['the whole batch of 1,500,000 codes', '1', '1500000'],
    ['100,001 codes, one over the cap', '1', '100001'],
  ])(
    'refuses a PDF of %s with 422 on the batch page, and records and audits nothing',
    async (_, from, to) => {
      const { t, brand, product, owner } = await ownerWithReadyBatch()
      const large = largeReadyBatch(t, brand.brandId, product.id, 1_500_000)
      const res = await owner.post(`/admin/batches/${large.id}/export`, { format: 'pdf', from, to })
      expect(res.status).toBe(422)
      const html = await res.text()
      expect(html).toMatch(/^<!doctype html>/)
      expect(html).toContain(
        'A PDF label sheet holds at most 100,000 codes: choose a range of at most 100,000, or use SVG ZIP / CSV.',
      )
      expect(t.db.select().from(printExports).all()).toHaveLength(0)
      expect(auditActions(t, 'export.download')).toHaveLength(0)
    },
  )

  it('states the limit next to the format choice', async () => {
    const { batch, owner } = await ownerWithReadyBatch()
    const html = await (await owner.get(`/admin/batches/${batch.id}`)).text()
    expect(html).toContain('<option value="pdf">PDF label sheet (A4, at most 100,000 codes)</option>')
  })
})

describe('activating and voiding codes of a batch', () => {
  it('activates a range, then voids part of it with a reason, and counts every state right', async () => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    const act = await owner.post(`/admin/batches/${batch.id}/activate`, {
      from: '1',
      to: '8',
      confirm: 'yes',
    })
    expect(act.status).toBe(303)
    expect(decodeURIComponent(act.headers.get('location')!)).toContain('8 codes activated.')

    const voided = await owner.post(`/admin/batches/${batch.id}/void`, {
      from: '3',
      to: '5',
      reason: 'misprint',
      note: 'smudged roll',
      confirm: 'yes',
    })
    expect(voided.status).toBe(303)
    expect(decodeURIComponent(voided.headers.get('location')!)).toContain(
      '3 codes voided (0 were already void).',
    )

    expect(statesOf(t, batch.id)).toEqual([
      'activated',
      'activated',
      'voided',
      'voided',
      'voided',
      'activated',
      'activated',
      'activated',
      'generated',
      'generated',
      'generated',
      'generated',
    ])
    const voidedRows = t.db.select().from(codes).where(eq(codes.state, 'voided')).all()
    for (const c of voidedRows) expect(c).toMatchObject({ voidReason: 'misprint', voidedAt: t.clock.now() })

    const html = await (await owner.get(`/admin/batches/${batch.id}`)).text()
    expect(html).toContain('<b>4</b>generated')
    expect(html).toContain('<b>5</b>activated')
    expect(html).toContain('<b>3</b>voided')

    const audit = t.db.select().from(auditLog).where(eq(auditLog.subjectType, 'batch')).all()
    const activate = audit.find((a) => a.action === 'codes.activate')
    const voidEntry = audit.find((a) => a.action === 'codes.void')
    expect(activate?.detail).toMatchObject({ from: 1, to: 8, activated: 8, skipped: 0 })
    expect(voidEntry?.detail).toMatchObject({
      from: 3,
      to: 5,
      voided: 3,
      reason: 'misprint',
      note: 'smudged roll',
    })
  })

  it('leaves voided codes void when the range is activated again, and says how many were skipped', async () => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    await owner.post(`/admin/batches/${batch.id}/void`, {
      from: '1',
      to: '2',
      reason: 'stolen',
      confirm: 'yes',
    })
    const act = await owner.post(`/admin/batches/${batch.id}/activate`, {
      from: '1',
      to: '4',
      confirm: 'yes',
    })
    expect(decodeURIComponent(act.headers.get('location')!)).toContain('2 codes activated (2 already')
    expect(statesOf(t, batch.id).slice(0, 4)).toEqual(['voided', 'voided', 'activated', 'activated'])
  })

  it('asks first: names the count and that the codes bind no distributor, and activates nothing until confirmed', async () => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    const ask = await owner.post(`/admin/batches/${batch.id}/activate`, { from: '3', to: '10' })
    expect(ask.status).toBe(200)
    const html = await ask.text()
    expect(html).toContain(`Activate 8 codes (#3–#10) of batch #${batch.id}?`)
    expect(html).toContain('They earn points from now on and are not bound to any distributor')
    expect(html).toContain('<a href="/admin/shipments/new">Shipments</a>')
    expect(html).toContain(`<a href="/admin/batches/${batch.id}">Cancel</a>`)
    expect(statesOf(t, batch.id)).toEqual(Array(QUANTITY).fill('generated'))
    expect(auditActions(t, 'codes.activate')).toHaveLength(0)

    // The confirmation posts the same range again, with confirm=yes.
    const form = /<form class="inline" method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html)!
    expect(form[1]).toBe(`/admin/batches/${batch.id}/activate`)
    const fields = Object.fromEntries(
      [...form[2]!.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    )
    expect(fields).toMatchObject({ from: '3', to: '10', confirm: 'yes' })
    const confirmed = await owner.post(form[1]!, fields)
    expect(confirmed.status).toBe(303)
    expect(decodeURIComponent(confirmed.headers.get('location')!)).toContain('8 codes activated.')
    expect(statesOf(t, batch.id).filter((s) => s === 'activated')).toHaveLength(8)
  })

  it('names a factory-sized count in full on the confirmation', async () => {
    const { t, brand, product, owner } = await ownerWithReadyBatch()
    const large = largeReadyBatch(t, brand.brandId, product.id, 1_500_000)
    const form = await (await owner.get(`/admin/batches/${large.id}`)).text()
    expect(form).toContain('value="1500000"')
    const ask = await owner.post(`/admin/batches/${large.id}/activate`, { from: '1', to: '1500000' })
    expect(ask.status).toBe(200)
    expect(await ask.text()).toContain(`Activate 1,500,000 codes (#1–#1,500,000) of batch #${large.id}?`)
    expect(auditActions(t, 'codes.activate')).toHaveLength(0)
  })

  it('guards voiding with the required box, not with an hx-confirm a plain form never fires', async () => {
    const { batch, owner } = await ownerWithReadyBatch()
    for (const path of [`/admin/batches/${batch.id}`, '/admin/codes']) {
      const html = await (await owner.get(path)).text()
      expect(html, path).toContain('<input type="checkbox" name="confirm" value="yes" required=""')
      expect(html, path).not.toContain('hx-confirm')
    }
  })

  it('refuses to void without the confirmation box ticked, and voids nothing', async () => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    const res = await owner.post(`/admin/batches/${batch.id}/void`, {
      from: '1',
      to: '3',
      reason: 'misprint',
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('tick the box to confirm that voiding is final')
    expect(statesOf(t, batch.id)).toEqual(Array(QUANTITY).fill('generated'))
  })

  it('refuses a range outside the batch with 422, before and after the confirmation', async () => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    for (const confirm of [{}, { confirm: 'yes' }] as Record<string, string>[]) {
      const act = await owner.post(`/admin/batches/${batch.id}/activate`, {
        from: '10',
        to: '13',
        ...confirm,
      })
      expect(act.status).toBe(422)
      expect(await act.text()).toContain(`Choose codes between #1 and #${QUANTITY}.`)
    }
    const voided = await owner.post(`/admin/batches/${batch.id}/void`, {
      from: '0',
      to: '2',
      reason: 'misprint',
      confirm: 'yes',
    })
    expect(voided.status).toBe(422)
    expect(statesOf(t, batch.id)).toEqual(Array(QUANTITY).fill('generated'))
  })
})

describe('voiding a pasted or uploaded list of codes', () => {
  async function exportedUrls(
    owner: Awaited<ReturnType<typeof ownerWithReadyBatch>>['owner'],
    batchId: number,
  ) {
    const text = await (await owner.post(`/admin/batches/${batchId}/export`, { format: 'csv' })).text()
    return text
      .split('\r\n')
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => {
        const [, human, url] = l.split(',')
        return { human: human!, url: url! }
      })
  }

  it('voids exactly the listed codes and reports the lines that are not codes', async () => {
    const { t, brand, batch, owner } = await ownerWithReadyBatch()
    const rows = await exportedUrls(owner, batch.id)
    const forged = `${rows[0]!.url.slice(0, -6)}AAAAAA`
    const list = [rows[0]!.url, rows[1]!.url.toLowerCase(), rows[2]!.human, 'hello there', forged].join('\n')
    const res = await owner.post('/admin/codes/void', { codes: list, reason: 'leaked', confirm: 'yes' })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain(
      '3 codes voided, 0 were already void, 2 lines were not codes of your brand (nothing done for them).',
    )
    expect(statesOf(t, batch.id)).toEqual([
      ...Array(3).fill('voided'),
      ...Array(QUANTITY - 3).fill('exported'),
    ])

    const audit = t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'codes.void'), eq(auditLog.subjectType, 'codes')))
      .all()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ brandId: brand.brandId, actorStaffId: brand.ownerId })
    expect((audit[0]!.detail as { serials: string[] }).serials).toHaveLength(3)
  })

  it('reads an uploaded CSV print file, header and all', async () => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    const rows = await exportedUrls(owner, batch.id)
    const csv = ['seq,serial,url', ...rows.slice(0, 4).map((r, i) => `${i + 1},${r.human},${r.url}`)].join(
      '\r\n',
    )
    const form = new FormData()
    form.set('file', new File([csv], 'stolen.csv', { type: 'text/csv' }))
    form.set('codes', '')
    form.set('reason', 'stolen')
    form.set('confirm', 'yes')
    const res = await owner.post('/admin/codes/void', form)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('4 codes voided, 0 were already void.')
    expect(statesOf(t, batch.id).filter((s) => s === 'voided')).toHaveLength(4)
  })

  it('leaves another brand’s codes alone even when they are pasted', async () => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    const other = await insertBrand(t, { slug: 'coffee' })
    const theirProduct = insertProduct(t, other.brandId, { sku: 'COF-1' })
    const theirBatch = insertBatch(t, other.brandId, theirProduct.id, { quantity: 2 })
    const theirCodes = t.db.select().from(codes).where(eq(codes.batchId, theirBatch.id)).all()
    const list = theirCodes.map((c) => assembleToken(c.kid, c.serial, c.tag)).join('\n')
    const res = await owner.post('/admin/codes/void', { codes: list, reason: 'other', confirm: 'yes' })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain(
      '0 codes voided, 0 were already void, 2 lines were not codes of your brand',
    )
    expect(statesOf(t, theirBatch.id)).toEqual(['generated', 'generated'])
    expect(statesOf(t, batch.id)).toEqual(Array(QUANTITY).fill('generated'))
  })

  it('refuses a list without the confirmation, or without any code, with 422', async () => {
    const { t, batch, owner } = await ownerWithReadyBatch()
    const rows = await exportedUrls(owner, batch.id)
    const noConfirm = await owner.post('/admin/codes/void', { codes: rows[0]!.url, reason: 'leaked' })
    expect(noConfirm.status).toBe(422)
    const empty = await owner.post('/admin/codes/void', { codes: ' \n ', reason: 'leaked', confirm: 'yes' })
    expect(empty.status).toBe(422)
    expect(await empty.text()).toContain('Paste at least one code')
    expect(statesOf(t, batch.id)).not.toContain('voided')
  })
})
