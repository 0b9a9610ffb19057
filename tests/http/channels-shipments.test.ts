import { and, asc, desc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { voidRange } from '../../src/batches/code-actions-store.ts'
import { createShipment, WHOLE_BRAND_SCOPE } from '../../src/channels/shipment-store.ts'
import { assembleToken, formatHuman } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { auditLog, codes, distributors, shipments, staffDistributors } from '../../src/db/schema.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  insertStaff,
  locationOf,
  PUBLIC_BASE_URL,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

function insertDistributor(
  t: TestApp,
  brandId: number,
  code: string,
  status: 'active' | 'suspended' = 'active',
) {
  return t.db
    .insert(distributors)
    .values({ brandId, code, name: `Distributor ${code}`, status, createdAt: t.clock.now() })
    .returning()
    .get()
}

function codesOf(t: TestApp, batchId: number) {
  return t.db.select().from(codes).where(eq(codes.batchId, batchId)).orderBy(asc(codes.seq)).all()
}

function tokenOf(c: { kid: string; serial: string; tag: string }) {
  return assembleToken(c.kid, c.serial, c.tag)
}

async function shippingBrand() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1' })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: 10, lot: 'L1' })
  const south = insertDistributor(t, brand.brandId, 'SOUTH')
  const east = insertDistributor(t, brand.brandId, 'EAST')
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, product, batch, south, east, owner }
}

const shipmentAudits = (t: TestApp) =>
  t.db.select().from(auditLog).where(eq(auditLog.action, 'shipment.create')).all()

describe('shipping codes to a distributor (出库)', () => {
  it('activates and binds a whole batch, records the shipment and audits it', async () => {
    const { t, brand, batch, south, owner } = await shippingBrand()
    const res = await owner.post('/admin/shipments', {
      distributorId: String(south.id),
      kind: 'batch',
      batchId: String(batch.id),
      note: 'DN-123',
    })
    expect(res.status).toBe(303)
    const shipment = t.db.select().from(shipments).get()!
    expect(shipment).toMatchObject({
      brandId: brand.brandId,
      distributorId: south.id,
      kind: 'batch',
      batchId: batch.id,
      seqFrom: 1,
      seqTo: 10,
      codeCount: 10,
      reboundCount: 0,
      reason: null,
      note: 'DN-123',
      actorStaffId: brand.ownerId,
      actorLabel: brand.ownerEmail,
    })
    expect(locationOf(res)).toMatch(new RegExp(`^/admin/shipments/${shipment.id}\\?notice=`))
    const page = await (await owner.get(locationOf(res)!)).text()
    expect(page).toContain('10 codes bound, 10 activated')
    for (const c of codesOf(t, batch.id)) {
      expect(c).toMatchObject({
        state: 'activated',
        activatedAt: t.clock.now(),
        distributorId: south.id,
        shipmentId: shipment.id,
      })
    }
    const [audit] = shipmentAudits(t)
    expect(audit).toMatchObject({ subjectId: String(shipment.id), actorStaffId: brand.ownerId })
    expect(audit!.detail).toMatchObject({
      distributorCode: 'SOUTH',
      kind: 'batch',
      batchId: batch.id,
      bound: 10,
      activated: 10,
      rebound: 0,
    })
    const list = await (await owner.get('/admin/shipments')).text()
    expect(list).toContain(`href="/admin/shipments/${shipment.id}"`)
    expect(list).toContain('whole batch #')
  })

  it('binds a seq range only, skips voided codes and keeps claimed ones claimed', async () => {
    const { t, brand, batch, south, owner } = await shippingBrand()
    voidRange(
      brandDb(t.db, brand.brandId),
      { staffId: null, label: 'test' },
      batch.id,
      { from: 4, to: 4 },
      { reason: 'damaged', note: null },
      t.clock.now(),
    )
    t.db
      .update(codes)
      .set({ state: 'claimed', claimedAt: 1 })
      .where(and(eq(codes.batchId, batch.id), eq(codes.seq, 5)))
      .run()
    t.clock.advance(60_000)
    const res = await owner.post('/admin/shipments', {
      distributorId: String(south.id),
      kind: 'range',
      batchId: String(batch.id),
      from: '3',
      to: '6',
    })
    expect(res.status).toBe(303)
    const shipment = t.db.select().from(shipments).get()!
    expect(shipment).toMatchObject({ kind: 'range', seqFrom: 3, seqTo: 6, codeCount: 3 })
    const rows = codesOf(t, batch.id)
    expect(rows.map((c) => [c.seq, c.state, c.distributorId])).toEqual([
      [1, 'generated', null],
      [2, 'generated', null],
      [3, 'activated', south.id],
      [4, 'voided', null],
      [5, 'claimed', south.id],
      [6, 'activated', south.id],
      [7, 'generated', null],
      [8, 'generated', null],
      [9, 'generated', null],
      [10, 'generated', null],
    ])
    expect(shipmentAudits(t)[0]!.detail).toMatchObject({
      from: 3,
      to: 6,
      bound: 3,
      activated: 2,
      voidedSkipped: 1,
    })
    const page = await (await owner.get(locationOf(res)!)).text()
    expect(page).toContain('3 codes bound, 2 activated, 1 voided codes skipped')
  })

  it('binds a pasted list in any form, across batches, and reports the lines that are not codes of the brand', async () => {
    const { t, brand, product, batch, south, owner } = await shippingBrand()
    const second = insertBatch(t, brand.brandId, product.id, { quantity: 3 })
    const a = codesOf(t, batch.id)
    const b = codesOf(t, second.id)
    const other = await insertBrand(t, { slug: 'coffee' })
    const otherBatch = insertBatch(t, other.brandId, insertProduct(t, other.brandId, { sku: 'C-1' }).id, {
      quantity: 1,
    })
    const foreign = codesOf(t, otherBatch.id)[0]!
    const forged = `${tokenOf(a[0]!).slice(0, 20)}0000000000${tokenOf(a[0]!).slice(-1)}`
    const lines = [
      `${PUBLIC_BASE_URL}/C/${tokenOf(a[0]!)}`, // a scanned URL
      formatHuman(tokenOf(a[1]!)).toLowerCase(), // the printed form, in lower case
      a[2]!.serial, // the bare serial
      `${a[2]!.serial.slice(0, 8)}-${a[2]!.serial.slice(8)}`, // the same serial again, with a dash
      tokenOf(b[0]!),
      tokenOf(foreign), // another brand's code
      'NOT-A-CODE',
      forged,
      '0000000000000000', // a well-formed serial nobody minted
    ]
    const res = await owner.post('/admin/shipments', {
      distributorId: String(south.id),
      kind: 'list',
      serials: lines.join('\r\n'),
    })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('4 codes bound, 4 activated')
    expect(html).toContain('4 lines were not a code of your brand')
    expect(html).toContain('NOT-A-CODE')
    expect(html).toContain('0000000000000000')
    const shipment = t.db.select().from(shipments).get()!
    expect(shipment).toMatchObject({ kind: 'list', batchId: null, seqFrom: null, codeCount: 4 })
    const bound = t.db.select().from(codes).where(eq(codes.shipmentId, shipment.id)).all()
    expect(bound.map((c) => c.serial).sort()).toEqual(
      [a[0]!, a[1]!, a[2]!, b[0]!].map((c) => c.serial).sort(),
    )
    expect(codesOf(t, otherBatch.id)[0]!.distributorId).toBeNull()
    expect(shipmentAudits(t)[0]!.detail).toMatchObject({ kind: 'list', bound: 4, unknown: 1 })
  })

  it('reads an uploaded print-file CSV as the list', async () => {
    const { t, batch, south, owner } = await shippingBrand()
    const rows = codesOf(t, batch.id).slice(0, 3)
    const csv = `seq,serial,url\r\n${rows.map((c) => `${c.seq},${formatHuman(tokenOf(c))},${PUBLIC_BASE_URL.toUpperCase()}/C/${tokenOf(c)}`).join('\r\n')}\r\n`
    const form = new FormData()
    form.set('distributorId', String(south.id))
    form.set('kind', 'list')
    form.set('file', new File([csv], 'codes.csv', { type: 'text/csv' }))
    const res = await owner.post('/admin/shipments', form)
    expect(res.status).toBe(303)
    expect(t.db.select().from(shipments).get()).toMatchObject({ codeCount: 3 })
  })

  it('asks for a reason before re-binding codes of another distributor, and changes nothing until given one', async () => {
    const { t, batch, south, east, owner } = await shippingBrand()
    await owner.post('/admin/shipments', {
      distributorId: String(south.id),
      kind: 'batch',
      batchId: String(batch.id),
    })
    const first = t.db.select().from(shipments).get()!
    const auditsBefore = t.db.select().from(auditLog).all().length
    const range = {
      distributorId: String(east.id),
      kind: 'range',
      batchId: String(batch.id),
      from: '1',
      to: '4',
    }

    const asked = await owner.post('/admin/shipments', range)
    expect(asked.status).toBe(422)
    const html = await asked.text()
    expect(html).toContain('4 of these codes are already bound to another distributor')
    expect(html).toContain('Distributor SOUTH')
    expect(html).toContain('Re-bind and ship')
    expect(t.db.select().from(shipments).all()).toHaveLength(1)
    expect(t.db.select().from(auditLog).all()).toHaveLength(auditsBefore)
    expect(codesOf(t, batch.id).every((c) => c.distributorId === south.id && c.shipmentId === first.id)).toBe(
      true,
    )

    const res = await owner.post('/admin/shipments', {
      ...range,
      reason: 'Returned by SOUTH, resold by EAST',
    })
    expect(res.status).toBe(303)
    const second = t.db.select().from(shipments).where(eq(shipments.distributorId, east.id)).get()!
    expect(second).toMatchObject({
      codeCount: 4,
      reboundCount: 4,
      reason: 'Returned by SOUTH, resold by EAST',
    })
    const rows = codesOf(t, batch.id)
    expect(rows.slice(0, 4).every((c) => c.distributorId === east.id && c.shipmentId === second.id)).toBe(
      true,
    )
    expect(rows.slice(4).every((c) => c.distributorId === south.id)).toBe(true)
    const audit = shipmentAudits(t).find((a) => a.subjectId === String(second.id))!
    expect(audit.detail).toMatchObject({
      rebound: 4,
      reason: 'Returned by SOUTH, resold by EAST',
      reboundFrom: [{ distributorId: south.id, code: 'SOUTH', count: 4 }],
    })
    // Shipping again to the distributor that holds the codes is no re-binding.
    const again = await owner.post('/admin/shipments', range)
    expect(again.status).toBe(303)
  })

  it('keeps a re-bind question’s list so the reason can be given without pasting again', async () => {
    const { t, batch, south, east, owner } = await shippingBrand()
    await owner.post('/admin/shipments', {
      distributorId: String(south.id),
      kind: 'batch',
      batchId: String(batch.id),
    })
    const serial = codesOf(t, batch.id)[0]!.serial
    const asked = await owner.post('/admin/shipments', {
      distributorId: String(east.id),
      kind: 'list',
      serials: serial.toLowerCase(),
    })
    expect(asked.status).toBe(422)
    expect(await asked.text()).toMatch(new RegExp(`<textarea[^>]*>${serial}</textarea>`))
  })

  it('refuses bad ranges, unknown batches, suspended distributors and empty lists with a message', async () => {
    const { t, brand, batch, south, owner } = await shippingBrand()
    const suspended = insertDistributor(t, brand.brandId, 'OLD', 'suspended')
    const other = await insertBrand(t, { slug: 'coffee' })
    const foreignBatch = insertBatch(t, other.brandId, insertProduct(t, other.brandId, { sku: 'C-1' }).id, {
      quantity: 2,
    })
    const cases: [Record<string, string>, string][] = [
      [
        { distributorId: String(south.id), kind: 'range', batchId: String(batch.id), from: '5', to: '11' },
        'Choose codes between #1 and #10.',
      ],
      [
        { distributorId: String(south.id), kind: 'range', batchId: String(batch.id), from: '6', to: '5' },
        '&quot;from&quot; must not be after &quot;to&quot;',
      ],
      [
        { distributorId: String(south.id), kind: 'batch', batchId: String(foreignBatch.id) },
        'Choose one of your batches.',
      ],
      [{ distributorId: String(south.id), kind: 'batch' }, 'choose a batch'],
      [
        { distributorId: String(suspended.id), kind: 'batch', batchId: String(batch.id) },
        'This distributor is suspended',
      ],
      [{ distributorId: String(south.id), kind: 'list', serials: ' \n ' }, 'Paste at least one code'],
      [{ distributorId: String(south.id), kind: 'list', serials: 'nonsense' }, 'Nothing to ship'],
    ]
    for (const [form, message] of cases) {
      const res = await owner.post('/admin/shipments', form)
      expect(res.status, message).toBe(422)
      expect(await res.text(), message).toContain(message)
    }
    expect(t.db.select().from(shipments).all()).toHaveLength(0)
    expect(codesOf(t, batch.id).every((c) => c.state === 'generated' && c.distributorId === null)).toBe(true)
  })

  it('refuses a list of more than 100,000 codes', async () => {
    const { t, south, owner } = await shippingBrand()
    const res = await owner.post('/admin/shipments', {
      distributorId: String(south.id),
      kind: 'list',
      serials: 'x\n'.repeat(100_001),
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('The list has 100,001 lines; at most 100,000 codes ship at once.')
    expect(t.db.select().from(shipments).all()).toHaveLength(0)
  })

  it('lists shipments newest first in pages, filtered by distributor', async () => {
    const { t, brand, batch, south, east, owner } = await shippingBrand()
    const bdb = brandDb(t.db, brand.brandId)
    const actor = { staffId: brand.ownerId, label: brand.ownerEmail }
    for (let seq = 1; seq <= 10; seq++) {
      for (const d of [south, east]) {
        const outcome = createShipment(
          bdb,
          WHOLE_BRAND_SCOPE,
          actor,
          {
            distributorId: d.id,
            target: { kind: 'range', batchId: batch.id, from: seq, to: seq },
            reason: 'moved',
            note: null,
          },
          t.clock.now(),
        )
        expect(outcome.kind).toBe('shipped')
      }
    }
    for (let i = 0; i < 10; i++) {
      createShipment(
        bdb,
        WHOLE_BRAND_SCOPE,
        actor,
        {
          distributorId: south.id,
          target: { kind: 'batch', batchId: batch.id },
          reason: 'moved',
          note: null,
        },
        t.clock.now(),
      )
    }
    const ids = t.db
      .select({ id: shipments.id })
      .from(shipments)
      .orderBy(desc(shipments.id))
      .all()
      .map((r) => r.id)
    expect(ids).toHaveLength(30)
    const first = await (await owner.get('/admin/shipments')).text()
    expect(first).toContain(`href="/admin/shipments/${ids[0]}"`)
    expect(first).toContain(`href="/admin/shipments/${ids[24]}"`)
    expect(first).not.toContain(`href="/admin/shipments/${ids[25]}"`)
    const next = /href="(\/admin\/shipments\?before=\d+)"/.exec(first)![1]!
    const second = await (await owner.get(next)).text()
    expect(second).toContain(`href="/admin/shipments/${ids[29]}"`)
    expect(second).not.toContain(`href="/admin/shipments/${ids[0]}"`)
    expect(second).not.toContain('Older shipments')
    const eastOnly = await (await owner.get(`/admin/shipments?distributor=${east.id}`)).text()
    expect(eastOnly.match(/href="\/admin\/shipments\/\d+"/g)).toHaveLength(10)
  })

  it('refuses a shipment without the CSRF token, and binds nothing', async () => {
    const { t, batch, south, owner } = await shippingBrand()
    const res = await owner.post('/admin/shipments', {
      _csrf: '',
      distributorId: String(south.id),
      kind: 'batch',
      batchId: String(batch.id),
    })
    expect(res.status).toBe(403)
    expect(t.db.select().from(shipments).all()).toHaveLength(0)
    expect(codesOf(t, batch.id).every((c) => c.distributorId === null)).toBe(true)
  })
})

describe('channel managers ship only to their own distributors', () => {
  async function managedShipping() {
    const f = await shippingBrand()
    const a = await insertStaff(f.t, f.brand.brandId, { role: 'channel_manager', email: 'a@tea.test' })
    const b = await insertStaff(f.t, f.brand.brandId, { role: 'channel_manager', email: 'b@tea.test' })
    f.t.db
      .insert(staffDistributors)
      .values({ staffId: a.id, distributorId: f.south.id, brandId: f.brand.brandId })
      .run()
    f.t.db
      .insert(staffDistributors)
      .values({ staffId: b.id, distributorId: f.east.id, brandId: f.brand.brandId })
      .run()
    return { ...f, managerA: await signInAs(f.t, a.id), managerB: await signInAs(f.t, b.id) }
  }

  it('answers 404 to shipping to, listing or opening another manager’s distributor’s shipments', async () => {
    const { t, batch, east, managerA, managerB } = await managedShipping()
    const refused = await managerA.post('/admin/shipments', {
      distributorId: String(east.id),
      kind: 'batch',
      batchId: String(batch.id),
    })
    expect(refused.status).toBe(404)
    expect(t.db.select().from(shipments).all()).toHaveLength(0)
    expect(codesOf(t, batch.id).every((c) => c.state === 'generated')).toBe(true)

    const shipped = await managerB.post('/admin/shipments', {
      distributorId: String(east.id),
      kind: 'range',
      batchId: String(batch.id),
      from: '1',
      to: '2',
    })
    expect(shipped.status).toBe(303)
    const shipment = t.db.select().from(shipments).get()!
    expect((await managerA.get(`/admin/shipments/${shipment.id}`)).status).toBe(404)
    expect((await managerA.get(`/admin/shipments?distributor=${east.id}`)).status).toBe(404)
    const list = await (await managerA.get('/admin/shipments')).text()
    expect(list).not.toContain(`/admin/shipments/${shipment.id}"`)
    expect(list).toContain('No shipments yet.')
    // The form offers only their own distributor.
    const form = await (await managerA.get('/admin/shipments/new')).text()
    expect(form).toContain('SOUTH')
    expect(form).not.toContain('EAST')
    expect((await managerB.get(`/admin/shipments/${shipment.id}`)).status).toBe(200)
  })

  it('does not let a manager take codes bound to a distributor outside their scope', async () => {
    const { t, batch, south, east, managerA, managerB } = await managedShipping()
    await managerB.post('/admin/shipments', {
      distributorId: String(east.id),
      kind: 'batch',
      batchId: String(batch.id),
    })
    const res = await managerA.post('/admin/shipments', {
      distributorId: String(south.id),
      kind: 'batch',
      batchId: String(batch.id),
      reason: 'mine now',
    })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('10 of these codes are bound to distributors you do not look after')
    expect(html).not.toContain('Distributor EAST')
    expect(codesOf(t, batch.id).every((c) => c.distributorId === east.id)).toBe(true)
  })

  it('lets an analyst read shipments but not ship', async () => {
    const { t, brand, batch, south, owner } = await shippingBrand()
    await owner.post('/admin/shipments', {
      distributorId: String(south.id),
      kind: 'batch',
      batchId: String(batch.id),
    })
    const analyst = await signInAs(
      t,
      (await insertStaff(t, brand.brandId, { role: 'analyst', email: 'an@tea.test' })).id,
    )
    expect((await analyst.get('/admin/shipments')).status).toBe(200)
    expect((await analyst.get('/admin/shipments/new')).status).toBe(403)
    const res = await analyst.post('/admin/shipments', {
      distributorId: String(south.id),
      kind: 'batch',
      batchId: String(batch.id),
    })
    expect(res.status).toBe(403)
    expect(t.db.select().from(shipments).all()).toHaveLength(1)
  })
})
