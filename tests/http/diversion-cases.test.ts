import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { diversionCases, heldClaims } from '../../src/channels/channel-schema.ts'
import { claims } from '../../src/points/points-schema.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import {
  BEIJING,
  insertCase,
  insertHeldClaim,
  insertScan,
  insertSignal,
  seedOffRegionCase,
} from '../support/diversion-fixture.ts'
import {
  buildTestApp,
  clientWithCookie,
  insertBrand,
  insertStaff,
  locationOf,
  postForm,
  signInAs,
} from '../support/test-app.ts'

/** A brand, its Guangdong distributor with a manager, and an open case of 3 Shanghai scans. */
async function caseFixture() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const manager = await insertStaff(t, brand.brandId, { role: 'channel_manager', email: 'li@tea.test' })
  const seeded = seedOffRegionCase(t, brand.brandId, {
    distributorCode: 'GD-001',
    distributorName: 'Pearl River Trading',
    managerIds: [manager.id],
    sku: 'OOLONG-1',
    productName: 'Wuyi Oolong',
    scans: 3,
  })
  const owner = await signInAs(t, brand.ownerId)
  const mgr = await signInAs(t, manager.id)
  return { t, brand, manager, owner, mgr, ...seeded }
}

const auditOf = (t: ReturnType<typeof buildTestApp>, action: string) =>
  t.db.select().from(auditLog).where(eq(auditLog.action, action)).all()

describe('a case page shows the evidence a manager needs', () => {
  it('names the distributor and its sales regions, the product, codes, scans, signals, shipment and map', async () => {
    const f = await caseFixture()
    const res = await f.mgr.get(`/admin/diversion/cases/${f.case.id}`)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('Pearl River Trading')
    expect(html).toContain('GD-001')
    expect(html).toMatch(/<li data-region="CN-GD">Guangdong/)
    expect(html).toContain('OOLONG-1')
    expect(html).toContain('Wuyi Oolong')
    // The codes: serial, batch and lot.
    for (const code of f.codes.slice(0, 3)) expect(html).toContain(code.serial)
    expect(html).toContain(`#${f.batch.id}`)
    expect(html).toContain('LOT-A')
    // Every scan with its place, location source and accuracy.
    expect(html.match(/<tr data-scan="/g)).toHaveLength(3)
    expect(html).toContain('Shanghai (上海市)')
    expect(html).toContain('GPS')
    expect(html).toContain('±25 m')
    // The signals with reasons, confidence and distance.
    expect(html.match(/<tr data-signal="/g)).toHaveLength(3)
    // The reason in words; the figures behind it folded under it.
    expect(html).toMatch(
      /<p style="margin:0">Scanned in Shanghai, outside the sales regions of GD-001 \(Guangdong\)\.<\/p><details><summary class="muted">How it was computed<\/summary><ul[^>]*><li>rule: outside sales regions<\/li>/,
    )
    expect(html).not.toContain('<li>text: ')
    expect(html).toContain('90%')
    expect(html).toContain('1210 km')
    // The shipment that bound the codes: who, when, why.
    expect(html).toContain(`data-shipment="${f.shipment!.id}"`)
    expect(html).toContain('warehouse@test')
    expect(html).toContain('first shipment')
    // A map with Shanghai shaded, Guangdong outlined and the three scan points.
    expect(html).toMatch(/<path d="[^"]+" fill="#[0-9a-f]{6}" data-region="CN-SH">/)
    expect(html).not.toMatch(/fill="#e8ecf1" data-region="CN-SH"/)
    expect(html).toContain('data-outline="CN-GD"')
    expect(html.match(/<circle [^>]*data-point/g)).toHaveLength(3)
    expect(html).toContain('role="img"')
  })

  it('lists the claims held for the case and what deciding will do to them', async () => {
    const f = await caseFixture()
    insertHeldClaim(f.t, {
      brandId: f.brand.brandId,
      codeId: f.codes[0]!.id,
      scanId: f.scans[0]!.id,
      caseId: f.case.id,
      phone: '+8613800000001',
    })
    const html = await (await f.owner.get(`/admin/diversion/cases/${f.case.id}`)).text()
    expect(html).toContain('1 held claim will be refused')
    expect(html).toMatch(/<h2>Held claims<\/h2>\s*<table class="held-claims">/)
  })

  it('answers 404 for a case that does not exist', async () => {
    const f = await caseFixture()
    expect((await f.owner.get('/admin/diversion/cases/999999')).status).toBe(404)
  })
})

describe('deciding a case', () => {
  it('confirms with a note in one step: status, decider, time, note, audit record, held claims refused', async () => {
    const f = await caseFixture()
    const { held } = insertHeldClaim(f.t, {
      brandId: f.brand.brandId,
      codeId: f.codes[0]!.id,
      scanId: f.scans[0]!.id,
      caseId: f.case.id,
      phone: '+8613800000001',
    })
    f.t.clock.advance(60_000)
    const res = await f.mgr.post(`/admin/diversion/cases/${f.case.id}/decide`, {
      decision: 'confirm',
      note: 'Sold at a Shanghai market stall; photos in ticket 42.',
    })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe(`/admin/diversion/cases/${f.case.id}?decided=confirm`)
    const row = f.t.db.select().from(diversionCases).where(eq(diversionCases.id, f.case.id)).get()!
    expect(row).toMatchObject({
      status: 'confirmed',
      decidedByStaffId: f.manager.id,
      decidedAt: f.t.clock.now(),
      note: 'Sold at a Shanghai market stall; photos in ticket 42.',
    })
    const audit = auditOf(f.t, 'diversion.case.confirm')
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      brandId: f.brand.brandId,
      actorStaffId: f.manager.id,
      subjectType: 'diversion_case',
      subjectId: String(f.case.id),
    })
    expect(audit[0]!.detail).toMatchObject({ heldRefused: 1, heldReleased: 0 })
    expect(f.t.db.select().from(heldClaims).where(eq(heldClaims.id, held.id)).get()!.status).toBe('refused')

    const page = await (await f.mgr.get(locationOf(res)!)).text()
    expect(page).toContain('Case confirmed as diversion.')
    expect(page).toContain('data-status="confirmed"')
    expect(page).toContain('photos in ticket 42')
    expect(page).not.toContain('name="note"')
  })

  it('dismisses with a note and releases the held claims, awarding their points', async () => {
    const f = await caseFixture()
    const { held, member } = insertHeldClaim(f.t, {
      brandId: f.brand.brandId,
      codeId: f.codes[0]!.id,
      scanId: f.scans[0]!.id,
      caseId: f.case.id,
      phone: '+8613800000001',
    })
    const res = await f.owner.post(`/admin/diversion/cases/${f.case.id}/decide`, {
      decision: 'dismiss',
      note: 'A tourist bought it in Guangzhou.',
    })
    expect(res.status).toBe(303)
    expect(f.t.db.select().from(diversionCases).where(eq(diversionCases.id, f.case.id)).get()).toMatchObject({
      status: 'dismissed',
      decidedByStaffId: f.brand.ownerId,
    })
    expect(auditOf(f.t, 'diversion.case.dismiss')).toHaveLength(1)
    expect(f.t.db.select().from(heldClaims).where(eq(heldClaims.id, held.id)).get()!.status).toBe('released')
    expect(
      f.t.db
        .select()
        .from(claims)
        .where(and(eq(claims.codeId, f.codes[0]!.id), eq(claims.memberId, member.id)))
        .all(),
    ).toHaveLength(1)
  })

  it('refuses a second decision with 409 and changes nothing', async () => {
    const f = await caseFixture()
    const first = await f.mgr.post(`/admin/diversion/cases/${f.case.id}/decide`, {
      decision: 'dismiss',
      note: 'Checked: a legitimate transfer.',
    })
    expect(first.status).toBe(303)
    const second = await f.owner.post(`/admin/diversion/cases/${f.case.id}/decide`, {
      decision: 'confirm',
      note: 'Changing my mind.',
    })
    expect(second.status).toBe(409)
    const html = await second.text()
    expect(html).toContain('This case was already dismissed')
    expect(html).toContain('a decision cannot be changed')
    expect(f.t.db.select().from(diversionCases).where(eq(diversionCases.id, f.case.id)).get()).toMatchObject({
      status: 'dismissed',
      note: 'Checked: a legitimate transfer.',
      decidedByStaffId: f.manager.id,
    })
    expect(auditOf(f.t, 'diversion.case.confirm')).toHaveLength(0)
    expect(auditOf(f.t, 'diversion.case.dismiss')).toHaveLength(1)
  })

  it.each([
    ['no note', { decision: 'confirm' }],
    ['an empty note', { decision: 'confirm', note: '' }],
    ['a note of spaces', { decision: 'dismiss', note: '    ' }],
  ])('requires a note (%s): 422 with the reason, and the case stays open', async (_name, form) => {
    const f = await caseFixture()
    const res = await f.mgr.post(`/admin/diversion/cases/${f.case.id}/decide`, form)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Write a note: what you checked and why')
    expect(f.t.db.select().from(diversionCases).where(eq(diversionCases.id, f.case.id)).get()!.status).toBe(
      'open',
    )
    expect(
      f.t.db.select().from(auditLog).where(eq(auditLog.subjectType, 'diversion_case')).all(),
    ).toHaveLength(0)
  })

  it('refuses an unknown decision with 422', async () => {
    const f = await caseFixture()
    const res = await f.mgr.post(`/admin/diversion/cases/${f.case.id}/decide`, {
      decision: 'reopen',
      note: 'Try something else',
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Choose confirm or dismiss')
  })

  it('answers an htmx decision with HX-Redirect, and an htmx form error with the panel fragment', async () => {
    const f = await caseFixture()
    const bad = await f.mgr.post(
      `/admin/diversion/cases/${f.case.id}/decide`,
      { decision: 'confirm', note: '' },
      { 'hx-request': 'true' },
    )
    expect(bad.status).toBe(422)
    const fragment = await bad.text()
    expect(fragment.startsWith('<section class="card" id="decide">')).toBe(true)
    expect(fragment).not.toContain('<html')
    const ok = await f.mgr.post(
      `/admin/diversion/cases/${f.case.id}/decide`,
      { decision: 'confirm', note: 'Confirmed by a field visit.' },
      { 'hx-request': 'true' },
    )
    expect(ok.headers.get('hx-redirect')).toBe(`/admin/diversion/cases/${f.case.id}?decided=confirm`)
  })

  it('asks for confirmation before either decision, naming what happens to held claims', async () => {
    const f = await caseFixture()
    const html = await (await f.mgr.get(`/admin/diversion/cases/${f.case.id}`)).text()
    expect(html).toMatch(/hx-confirm="Confirm case #\d+ as diversion\? The decision is final\."/)
    expect(html).toMatch(/hx-confirm="Dismiss case #\d+\? The decision is final\."/)
    // htmx 4 checks a button's form only when asked: the required note before the question.
    expect(
      html
        .match(/<button[^>]*hx-post="[^"]*\/decide"[^>]*>/g)
        ?.every((b) => b.includes('hx-validate="true"')),
    ).toBe(true)
  })

  it('refuses a decision without the CSRF token or from another site', async () => {
    const f = await caseFixture()
    const noToken = await f.mgr.post(`/admin/diversion/cases/${f.case.id}/decide`, {
      _csrf: '',
      decision: 'confirm',
      note: 'Forged request',
    })
    expect(noToken.status).toBe(403)
    const wrongToken = await f.mgr.post(`/admin/diversion/cases/${f.case.id}/decide`, {
      _csrf: 'not-the-token',
      decision: 'confirm',
      note: 'Forged request',
    })
    expect(wrongToken.status).toBe(403)
    const crossSite = await postForm(
      f.t.app,
      `/admin/diversion/cases/${f.case.id}/decide`,
      { _csrf: f.mgr.csrfToken!, decision: 'confirm', note: 'Forged request' },
      { cookie: f.mgr.cookie, origin: 'https://evil.test' },
    )
    expect(crossSite.status).toBe(403)
    expect(f.t.db.select().from(diversionCases).where(eq(diversionCases.id, f.case.id)).get()!.status).toBe(
      'open',
    )
  })

  it('lets an analyst read cases but not decide them', async () => {
    const f = await caseFixture()
    const analyst = await insertStaff(f.t, f.brand.brandId, { role: 'analyst', email: 'ana@tea.test' })
    const client = await signInAs(f.t, analyst.id)
    const page = await client.get(`/admin/diversion/cases/${f.case.id}`)
    expect(page.status).toBe(200)
    expect(await page.text()).not.toContain('name="note"')
    const res = await client.post(`/admin/diversion/cases/${f.case.id}/decide`, {
      decision: 'confirm',
      note: 'Analysts cannot decide',
    })
    expect(res.status).toBe(403)
  })

  it('sends a signed-out browser to sign in', async () => {
    const f = await caseFixture()
    const anonymous = clientWithCookie(f.t.app, '')
    const res = await anonymous.get(`/admin/diversion/cases/${f.case.id}`)
    expect(res.status).toBe(303)
    expect(locationOf(res)).toContain('/admin/sign-in')
  })
})

describe('the cases list', () => {
  it('lists cases newest activity first, filters by status and region, and says when none match', async () => {
    const f = await caseFixture()
    const older = insertCase(f.t, {
      brandId: f.brand.brandId,
      distributorId: f.distributorId,
      productId: f.product.id,
      regionCode: 'CN-BJ',
      status: 'dismissed',
      at: f.t.clock.now() - 86_400_000,
    })
    const scan = insertScan(f.t, {
      brandId: f.brand.brandId,
      codeId: f.codes[4]!.id,
      place: BEIJING,
      at: f.t.clock.now() - 86_400_000,
    })
    insertSignal(f.t, older, { scan, batchId: f.batch.id })
    const all = await (await f.mgr.get('/admin/diversion/cases')).text()
    const ids = [...all.matchAll(/<tr data-case="(\d+)"/g)].map((m) => Number(m[1]))
    expect(ids).toEqual([f.case.id, older.id])

    const open = await (await f.mgr.get('/admin/diversion/cases?status=open')).text()
    expect([...open.matchAll(/<tr data-case="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([f.case.id])
    const beijing = await (await f.mgr.get('/admin/diversion/cases?region=CN-BJ')).text()
    expect([...beijing.matchAll(/<tr data-case="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([older.id])
    const none = await (await f.mgr.get('/admin/diversion/cases?status=confirmed')).text()
    expect(none).toContain('No case matches these filters.')
  })

  it('pages through many cases, keeping the filters', async () => {
    const f = await caseFixture()
    for (let i = 0; i < 30; i++)
      insertCase(f.t, {
        brandId: f.brand.brandId,
        distributorId: f.distributorId,
        productId: f.product.id,
        regionCode: `CN-${['BJ', 'TJ', 'HE'][i % 3]}`,
        status: 'confirmed',
        at: f.t.clock.now() - (i + 1) * 3_600_000,
      })
    const first = await (await f.mgr.get('/admin/diversion/cases?status=confirmed')).text()
    expect(first.match(/<tr data-case="/g)).toHaveLength(25)
    expect(first).toContain('Page 1 of 2')
    expect(first).toContain('href="/admin/diversion/cases?status=confirmed&amp;page=2"')
    const second = await (await f.mgr.get('/admin/diversion/cases?status=confirmed&page=2')).text()
    expect(second.match(/<tr data-case="/g)).toHaveLength(5)
  })

  it('answers htmx with the list fragment only, and says the answer varies with HX-Request', async () => {
    const f = await caseFixture()
    const res = await f.mgr.get('/admin/diversion/cases?status=open', { 'hx-request': 'true' })
    expect(res.headers.get('vary')).toContain('HX-Request')
    const html = await res.text()
    expect(html.startsWith('<div id="case-list">')).toBe(true)
    expect(html).toContain(`data-case="${f.case.id}"`)
    const restore = await f.mgr.get('/admin/diversion/cases?status=open', {
      'hx-request': 'true',
      'hx-history-restore-request': 'true',
    })
    expect(await restore.text()).toContain('<html')
  })

  it('shows an empty state to a brand without cases', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'empty' })
    const owner = await signInAs(t, brand.ownerId)
    const html = await (await owner.get('/admin/diversion/cases')).text()
    expect(html).toContain('No cases yet.')
    const report = await (await owner.get('/admin/diversion')).text()
    expect(report).toContain('No diverted scans in this period for these filters.')
  })
})

describe('the console home of a channel manager', () => {
  it('is the diversion report', async () => {
    const f = await caseFixture()
    const res = await f.mgr.get('/admin')
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/admin/diversion')
  })
})
