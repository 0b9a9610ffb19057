import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { auditLog, distributorRegions, distributors, staffDistributors } from '../../src/db/schema.ts'
import {
  buildTestApp,
  type Client,
  insertBrand,
  insertStaff,
  locationOf,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

type Form = Record<string, string>

/** A form of the distributor page as a browser sends it (several `regions` values). */
function distributorForm(fields: Form, regions: string[] = []): FormData {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.set(k, v)
  for (const r of regions) form.append('regions', r)
  return form
}

async function createVia(client: Client, fields: Form, regions: string[] = []) {
  return client.post('/admin/distributors', distributorForm({ status: 'active', ...fields }, regions))
}

function idOf(t: TestApp, brandId: number, code: string): number {
  return t.db
    .select()
    .from(distributors)
    .where(and(eq(distributors.brandId, brandId), eq(distributors.code, code)))
    .get()!.id
}

async function brandWithOwner() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, owner }
}

describe('keeping distributors', () => {
  it('creates a distributor with contact details and sales regions, and audits it', async () => {
    const { t, brand, owner } = await brandWithOwner()
    const res = await createVia(
      owner,
      {
        name: '华南总代',
        code: 'GD-001',
        contactName: '陈经理',
        contactPhone: '+86 20 1234 5678',
        contactEmail: 'gd@dist.example',
        notes: 'Pays monthly',
      },
      ['CN-GD', 'CN-GX'],
    )
    expect(res.status).toBe(303)
    const id = idOf(t, brand.brandId, 'GD-001')
    expect(locationOf(res)).toMatch(new RegExp(`^/admin/distributors/${id}\\?notice=`))
    const page = await (await owner.get(`/admin/distributors/${id}`)).text()
    expect(page).toContain('华南总代')
    expect(page).toContain('广东省')
    expect(page).toContain('广西壮族自治区')
    expect(page).toContain('gd@dist.example')
    const regions = t.db
      .select()
      .from(distributorRegions)
      .where(eq(distributorRegions.distributorId, id))
      .all()
    expect(regions.map((r) => r.regionCode).sort()).toEqual(['CN-GD', 'CN-GX'])
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'distributor.create')).get()
    expect(audit).toMatchObject({ subjectId: String(id), actorStaffId: brand.ownerId })
    expect(audit!.detail).toMatchObject({ code: 'GD-001', regions: ['CN-GD', 'CN-GX'] })
  })

  it('edits a distributor: suspends it and changes its regions, auditing what changed', async () => {
    const { t, brand, owner } = await brandWithOwner()
    await createVia(owner, { name: 'East', code: 'E-1' }, ['CN-SH'])
    const id = idOf(t, brand.brandId, 'E-1')
    expect((await owner.get(`/admin/distributors/${id}/edit`)).status).toBe(200)
    const res = await owner.post(
      `/admin/distributors/${id}`,
      distributorForm({ name: 'East China', code: 'E-1', status: 'suspended' }, ['CN-JS', 'CN-ZJ']),
    )
    expect(res.status).toBe(303)
    expect(t.db.select().from(distributors).where(eq(distributors.id, id)).get()).toMatchObject({
      name: 'East China',
      status: 'suspended',
    })
    const codes = t.db
      .select()
      .from(distributorRegions)
      .where(eq(distributorRegions.distributorId, id))
      .all()
      .map((r) => r.regionCode)
    expect(codes.sort()).toEqual(['CN-JS', 'CN-ZJ'])
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'distributor.update')).get()!
    expect(audit.detail).toMatchObject({
      changes: {
        name: { from: 'East', to: 'East China' },
        status: { from: 'active', to: 'suspended' },
        regions: { from: ['CN-SH'], to: ['CN-JS', 'CN-ZJ'] },
      },
    })
  })

  it('refuses a second distributor with the same code in the brand, with a friendly message', async () => {
    const { t, brand, owner } = await brandWithOwner()
    await createVia(owner, { name: 'First', code: 'GD-001' })
    const res = await createVia(owner, { name: 'Second', code: 'GD-001' })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('Another distributor of your brand already has the code GD-001.')
    // The form keeps what was typed.
    expect(html).toContain('value="Second"')
    expect(
      t.db.select().from(distributors).where(eq(distributors.brandId, brand.brandId)).all(),
    ).toHaveLength(1)
    // Renaming another distributor to a taken code is refused too.
    await createVia(owner, { name: 'Other', code: 'GD-002' })
    const rename = await owner.post(
      `/admin/distributors/${idOf(t, brand.brandId, 'GD-002')}`,
      distributorForm({ name: 'Other', code: 'GD-001', status: 'active' }),
    )
    expect(rename.status).toBe(422)
    expect(await rename.text()).toContain('already has the code GD-001')
  })

  it('lets another brand use the same distributor code', async () => {
    const { t, owner } = await brandWithOwner()
    const other = await insertBrand(t, { slug: 'coffee' })
    const otherOwner = await signInAs(t, other.ownerId)
    expect((await createVia(owner, { name: 'A', code: 'D-1' })).status).toBe(303)
    expect((await createVia(otherOwner, { name: 'B', code: 'D-1' })).status).toBe(303)
  })

  it('explains every invalid field and refuses an unknown sales region, saving nothing', async () => {
    const { t, owner } = await brandWithOwner()
    const bad = await createVia(owner, { name: '', code: 'bad code!', contactEmail: 'nope' })
    expect(bad.status).toBe(422)
    const html = await bad.text()
    expect(html).toContain('name is required')
    expect(html).toContain('code may use letters, digits')
    expect(html).toContain('enter a valid email address')
    const region = await createVia(owner, { name: 'X', code: 'X-1' }, ['CN-GD', 'XX-NOPE'])
    expect(region.status).toBe(422)
    expect(await region.text()).toContain('Unknown sales region XX-NOPE')
    expect(t.db.select().from(distributors).all()).toHaveLength(0)
  })

  it('searches by name or code, filters by status, and pages through long lists', async () => {
    const { t, brand, owner } = await brandWithOwner()
    for (let i = 1; i <= 30; i++) {
      t.db
        .insert(distributors)
        .values({
          brandId: brand.brandId,
          code: `D-${String(i).padStart(2, '0')}`,
          name: i === 7 ? '华东总代' : `Distributor ${i}`,
          status: i % 10 === 0 ? 'suspended' : 'active',
          createdAt: t.clock.now(),
        })
        .run()
    }
    const first = await (await owner.get('/admin/distributors')).text()
    expect(first).toContain('30 distributors')
    expect(first).toContain('Page 1 of 2')
    expect(first).toContain('D-25')
    expect(first).not.toContain('D-26')
    const second = await (await owner.get('/admin/distributors?page=2')).text()
    expect(second).toContain('D-26')
    expect(second).not.toContain('>D-01<')

    const byName = await (await owner.get(`/admin/distributors?q=${encodeURIComponent('华东')}`)).text()
    expect(byName).toContain('D-07')
    expect(byName).toContain('1 distributor')
    const byCode = await (await owner.get('/admin/distributors?q=d-1')).text()
    expect(byCode).toContain('D-10')
    expect(byCode).not.toContain('D-20')
    // LIKE wildcards typed by a person are plain characters.
    expect(await (await owner.get('/admin/distributors?q=%25')).text()).toContain('No distributor matches')

    const suspended = await (await owner.get('/admin/distributors?status=suspended')).text()
    expect(suspended).toContain('3 distributors')
    expect(suspended).toContain('D-30')
  })

  it('answers an htmx search with just the list fragment, and varies on HX-Request', async () => {
    const { owner } = await brandWithOwner()
    await createVia(owner, { name: 'Alpha', code: 'A-1' })
    const full = await owner.get('/admin/distributors?q=alp')
    expect(full.headers.get('vary')).toContain('HX-Request')
    expect(await full.text()).toMatch(/^<!doctype html>/)
    const fragment = await owner.get('/admin/distributors?q=alp', { 'hx-request': 'true' })
    expect(fragment.headers.get('vary')).toContain('HX-Request')
    const html = await fragment.text()
    expect(html).toMatch(/^<div id="distributor-list">/)
    expect(html).toContain('A-1')
  })

  it('shows an empty state before the first distributor', async () => {
    const { owner } = await brandWithOwner()
    const html = await (await owner.get('/admin/distributors')).text()
    expect(html).toContain('No distributors yet')
    expect(html).toContain('href="/admin/distributors/new"')
  })

  it('answers 404 for a distributor that does not exist or belongs to another brand', async () => {
    const { t, owner } = await brandWithOwner()
    const other = await insertBrand(t, { slug: 'coffee' })
    await createVia(await signInAs(t, other.ownerId), { name: 'Theirs', code: 'T-1' })
    const theirs = idOf(t, other.brandId, 'T-1')
    for (const path of [
      `/admin/distributors/${theirs}`,
      `/admin/distributors/${theirs}/edit`,
      '/admin/distributors/999',
    ]) {
      expect((await owner.get(path)).status, path).toBe(404)
    }
    const save = await owner.post(
      `/admin/distributors/${theirs}`,
      distributorForm({ name: 'Hijack', code: 'T-1' }),
    )
    expect(save.status).toBe(404)
    expect(t.db.select().from(distributors).where(eq(distributors.id, theirs)).get()!.name).toBe('Theirs')
  })
})

/** Owner, two channel managers (A and B) with a distributor each, an analyst. */
async function managedBrand() {
  const { t, brand, owner } = await brandWithOwner()
  const a = await insertStaff(t, brand.brandId, { role: 'channel_manager', email: 'a@tea.test' })
  const b = await insertStaff(t, brand.brandId, { role: 'channel_manager', email: 'b@tea.test' })
  const managerA = await signInAs(t, a.id)
  const managerB = await signInAs(t, b.id)
  expect((await createVia(managerA, { name: 'South A', code: 'A-SOUTH' }, ['CN-GD'])).status).toBe(303)
  expect((await createVia(managerB, { name: 'East B', code: 'B-EAST' }, ['CN-SH'])).status).toBe(303)
  return {
    t,
    brand,
    owner,
    a,
    b,
    managerA,
    managerB,
    aDistributor: idOf(t, brand.brandId, 'A-SOUTH'),
    bDistributor: idOf(t, brand.brandId, 'B-EAST'),
  }
}

describe('channel managers see only their own distributors', () => {
  it('assigns a channel manager to the distributor they create', async () => {
    const { t, a, aDistributor } = await managedBrand()
    const rows = t.db
      .select()
      .from(staffDistributors)
      .where(eq(staffDistributors.distributorId, aDistributor))
      .all()
    expect(rows.map((r) => r.staffId)).toEqual([a.id])
  })

  it('lists only the manager’s distributors; the owner sees all', async () => {
    const { owner, managerA } = await managedBrand()
    const listA = await (await managerA.get('/admin/distributors')).text()
    expect(listA).toContain('A-SOUTH')
    expect(listA).not.toContain('B-EAST')
    expect(listA).toContain('assigned to you')
    const search = await (await managerA.get('/admin/distributors?q=EAST')).text()
    expect(search).not.toContain('B-EAST')
    const all = await (await owner.get('/admin/distributors')).text()
    expect(all).toContain('A-SOUTH')
    expect(all).toContain('B-EAST')
  })

  it('answers 404 to opening or editing another manager’s distributor, exactly like a missing id', async () => {
    const { t, managerA, bDistributor } = await managedBrand()
    const missing = await managerA.get('/admin/distributors/99999')
    const hidden = await managerA.get(`/admin/distributors/${bDistributor}`)
    expect(hidden.status).toBe(404)
    expect(await hidden.text()).toBe(await missing.text())
    expect((await managerA.get(`/admin/distributors/${bDistributor}/edit`)).status).toBe(404)
    const save = await managerA.post(
      `/admin/distributors/${bDistributor}`,
      distributorForm({ name: 'Taken over', code: 'B-EAST', status: 'active' }, ['CN-GD']),
    )
    expect(save.status).toBe(404)
    expect(t.db.select().from(distributors).where(eq(distributors.id, bDistributor)).get()!.name).toBe(
      'East B',
    )
    expect((await managerA.get(`/admin/shipments?distributor=${bDistributor}`)).status).toBe(404)
  })

  it('lets an owner assign managers, and a manager then sees the distributor', async () => {
    const { t, owner, a, b, managerA, bDistributor } = await managedBrand()
    const page = await (await owner.get(`/admin/distributors/${bDistributor}`)).text()
    expect(page).toContain(`action="/admin/distributors/${bDistributor}/managers"`)
    const form = new FormData()
    form.append('staffIds', String(a.id))
    form.append('staffIds', String(b.id))
    expect((await owner.post(`/admin/distributors/${bDistributor}/managers`, form)).status).toBe(303)
    expect((await managerA.get(`/admin/distributors/${bDistributor}`)).status).toBe(200)
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'distributor.assign')).get()!
    expect(audit.detail).toMatchObject({ added: [a.id], removed: [] })
    // Unassigning takes the distributor out of sight again.
    const only = new FormData()
    only.append('staffIds', String(b.id))
    await owner.post(`/admin/distributors/${bDistributor}/managers`, only)
    expect((await managerA.get(`/admin/distributors/${bDistributor}`)).status).toBe(404)
  })

  it('refuses assigning someone who is not a channel manager, and refuses managers assigning', async () => {
    const { t, brand, owner, managerA, aDistributor } = await managedBrand()
    const analyst = await insertStaff(t, brand.brandId, { role: 'analyst', email: 'an@tea.test' })
    const res = await owner.post(`/admin/distributors/${aDistributor}/managers`, {
      staffIds: String(analyst.id),
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Only enabled channel managers')
    const byManager = await managerA.post(`/admin/distributors/${aDistributor}/managers`, { staffIds: '' })
    expect(byManager.status).toBe(403)
    expect(
      t.db.select().from(staffDistributors).where(eq(staffDistributors.distributorId, aDistributor)).all(),
    ).toHaveLength(1)
  })

  it('lets an analyst read every distributor but not create one', async () => {
    const { t, brand, bDistributor } = await managedBrand()
    const analyst = await signInAs(
      t,
      (await insertStaff(t, brand.brandId, { role: 'analyst', email: 'an@tea.test' })).id,
    )
    expect((await analyst.get(`/admin/distributors/${bDistributor}`)).status).toBe(200)
    expect((await analyst.get('/admin/distributors/new')).status).toBe(403)
    expect((await createVia(analyst, { name: 'No', code: 'NO-1' })).status).toBe(403)
  })
})

describe('security of the distributor pages', () => {
  it('refuses a POST without the CSRF token or from another site, and saves nothing', async () => {
    const { t, owner } = await brandWithOwner()
    const noToken = await owner.post('/admin/distributors', {
      _csrf: '',
      name: 'Evil',
      code: 'EVIL-1',
      status: 'active',
    })
    expect(noToken.status).toBe(403)
    const wrongToken = await owner.post('/admin/distributors', {
      _csrf: 'forged',
      name: 'Evil',
      code: 'EVIL-2',
    })
    expect(wrongToken.status).toBe(403)
    const crossSite = await owner.post(
      '/admin/distributors',
      { name: 'Evil', code: 'EVIL-3' },
      { origin: 'https://evil.example' },
    )
    expect(crossSite.status).toBe(403)
    expect(t.db.select().from(distributors).all()).toHaveLength(0)
  })

  it('shows a distributor name and notes that carry markup as text', async () => {
    const { t, brand, owner } = await brandWithOwner()
    const payload = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    const res = await createVia(owner, { name: payload, code: 'XSS-1', notes: payload, contactName: payload })
    expect(res.status).toBe(303)
    const id = idOf(t, brand.brandId, 'XSS-1')
    for (const path of [
      '/admin/distributors',
      `/admin/distributors/${id}`,
      `/admin/distributors/${id}/edit`,
      '/admin/shipments/new',
    ]) {
      const html = await (await owner.get(path)).text()
      expect(html, path).not.toContain(payload)
      expect(html, path).not.toContain('<script>alert(1)')
      expect(html, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    }
  })
})
