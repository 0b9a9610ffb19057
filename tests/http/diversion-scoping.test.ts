import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { diversionCases } from '../../src/channels/channel-schema.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import { BEIJING, seedOffRegionCase } from '../support/diversion-fixture.ts'
import { buildTestApp, insertBrand, insertStaff, signInAs } from '../support/test-app.ts'

/**
 * Manager A looks after distributor A, manager B after distributor B; a third case is about codes
 * no shipment bound (no distributor), which only all-seeing roles may see.
 */
async function twoManagers() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const managerA = await insertStaff(t, brand.brandId, { role: 'channel_manager', email: 'a@tea.test' })
  const managerB = await insertStaff(t, brand.brandId, { role: 'channel_manager', email: 'b@tea.test' })
  const a = seedOffRegionCase(t, brand.brandId, {
    distributorCode: 'GD-A',
    distributorName: 'Alpha Traders',
    managerIds: [managerA.id],
    sku: 'TEA-A',
    productName: 'Alpha Tea',
  })
  const b = seedOffRegionCase(t, brand.brandId, {
    distributorCode: 'GD-B',
    distributorName: 'Bravo Traders',
    managerIds: [managerB.id],
    sku: 'TEA-B',
    productName: 'Bravo Tea',
    place: BEIJING,
  })
  const unshipped = seedOffRegionCase(t, brand.brandId, {
    distributorCode: 'none',
    distributorId: null,
    sku: 'TEA-U',
    productName: 'Unshipped Tea',
  })
  return {
    t,
    brand,
    a,
    b,
    unshipped,
    owner: await signInAs(t, brand.ownerId),
    mgrA: await signInAs(t, managerA.id),
    mgrB: await signInAs(t, managerB.id),
  }
}

const caseIdsIn = (html: string) =>
  [...html.matchAll(/<tr data-case="(\d+)"/g)].map((m) => Number(m[1])).sort()

describe('a channel manager sees only the cases of their own distributors', () => {
  it('lists only their cases, on the cases list and on the report', async () => {
    const f = await twoManagers()
    const list = await (await f.mgrA.get('/admin/diversion/cases')).text()
    expect(caseIdsIn(list)).toEqual([f.a.case.id])
    expect(list).not.toContain('Bravo')
    expect(list).not.toContain('Unshipped Tea')
    const report = await (await f.mgrA.get('/admin/diversion')).text()
    expect(caseIdsIn(report)).toEqual([f.a.case.id])
    expect(report).not.toContain('Bravo')
    expect(report).not.toContain('GD-B')
    expect(report).not.toContain('Unshipped')
    // The matrix counts A's two diverted scans only; B's Beijing scans are not in it.
    expect(report).toMatch(/<table class="matrix" data-total="2">/)
    expect(report).toContain('<th scope="col" class="num" data-region="CN-SH"')
    expect(report).not.toContain('<th scope="col" class="num" data-region="CN-BJ"')
    expect(report).not.toContain('<tr data-region="CN-BJ"')
  })

  it('answers 404 to opening another distributor’s case or a case without a distributor', async () => {
    const f = await twoManagers()
    for (const id of [f.b.case.id, f.unshipped.case.id]) {
      const res = await f.mgrA.get(`/admin/diversion/cases/${id}`)
      expect(res.status, `case ${id}`).toBe(404)
      const html = await res.text()
      expect(html).not.toContain('Bravo')
      expect(html).not.toContain('Unshipped')
    }
    expect((await f.mgrA.get(`/admin/diversion/cases/${f.a.case.id}`)).status).toBe(200)
  })

  it('answers 404 to deciding another distributor’s case, and changes nothing', async () => {
    const f = await twoManagers()
    for (const id of [f.b.case.id, f.unshipped.case.id]) {
      const res = await f.mgrA.post(`/admin/diversion/cases/${id}/decide`, {
        decision: 'confirm',
        note: 'Not my distributor',
      })
      expect(res.status, `case ${id}`).toBe(404)
      // With a bad note too: the 404 comes before the form's errors, which would show the case.
      const bad = await f.mgrA.post(`/admin/diversion/cases/${id}/decide`, { decision: 'confirm', note: '' })
      expect(bad.status).toBe(404)
    }
    const statuses = f.t.db.select({ status: diversionCases.status }).from(diversionCases).all()
    expect(statuses.map((s) => s.status)).toEqual(['open', 'open', 'open'])
    expect(
      f.t.db.select().from(auditLog).where(eq(auditLog.subjectType, 'diversion_case')).all(),
    ).toHaveLength(0)
  })

  it('answers 404 to a filter or an export naming another distributor', async () => {
    const f = await twoManagers()
    const other = f.b.distributorId
    for (const path of [
      `/admin/diversion?distributor=${other}`,
      `/admin/diversion/cases?distributor=${other}`,
      `/admin/diversion/export.csv?distributor=${other}`,
      '/admin/diversion?distributor=999999',
    ]) {
      const res = await f.mgrA.get(path)
      expect(res.status, path).toBe(404)
      expect(await res.text()).not.toContain('Bravo')
    }
  })

  it('exports only their distributors’ signals', async () => {
    const f = await twoManagers()
    const res = await f.mgrA.get('/admin/diversion/export.csv')
    expect(res.status).toBe(200)
    const csv = await res.text()
    const lines = csv.trim().split('\r\n')
    expect(lines).toHaveLength(1 + 2)
    expect(csv).toContain('Alpha Traders')
    expect(csv).not.toContain('Bravo')
    expect(csv).not.toContain('Unshipped')
  })

  it('offers only their distributors in the filter', async () => {
    const f = await twoManagers()
    const html = await (await f.mgrA.get('/admin/diversion')).text()
    expect(html).toContain('GD-A · Alpha Traders')
    expect(html).not.toContain('GD-B')
  })

  it('shows nothing to a manager with no distributor assigned', async () => {
    const f = await twoManagers()
    const idle = await insertStaff(f.t, f.brand.brandId, { role: 'channel_manager', email: 'idle@tea.test' })
    const client = await signInAs(f.t, idle.id)
    expect(caseIdsIn(await (await client.get('/admin/diversion/cases')).text())).toEqual([])
    expect((await client.get(`/admin/diversion/cases/${f.a.case.id}`)).status).toBe(404)
    const csv = await (await client.get('/admin/diversion/export.csv')).text()
    expect(csv.trim().split('\r\n')).toHaveLength(1)
  })
})

describe('owners see every case', () => {
  it('lists, opens and exports every distributor’s cases and the cases without a distributor', async () => {
    const f = await twoManagers()
    const all = [f.a.case.id, f.b.case.id, f.unshipped.case.id].sort()
    expect(caseIdsIn(await (await f.owner.get('/admin/diversion/cases')).text())).toEqual(all)
    const report = await (await f.owner.get('/admin/diversion')).text()
    expect(caseIdsIn(report)).toEqual(all)
    expect(report).toMatch(/<table class="matrix" data-total="6">/)
    expect(report).toContain('No distributor (unshipped codes)')
    for (const id of all) expect((await f.owner.get(`/admin/diversion/cases/${id}`)).status).toBe(200)
    const csv = await (await f.owner.get('/admin/diversion/export.csv')).text()
    expect(csv.trim().split('\r\n')).toHaveLength(1 + 6)
  })

  it('decides a case without a distributor', async () => {
    const f = await twoManagers()
    const res = await f.owner.post(`/admin/diversion/cases/${f.unshipped.case.id}/decide`, {
      decision: 'confirm',
      note: 'Leaked print file',
    })
    expect(res.status).toBe(303)
  })
})

describe('another brand’s cases are out of reach', () => {
  it('answers 404 to another brand’s owner for list, open, decide and export', async () => {
    const f = await twoManagers()
    const other = await insertBrand(f.t, { slug: 'rival' })
    const rival = await signInAs(f.t, other.ownerId)
    expect(caseIdsIn(await (await rival.get('/admin/diversion/cases')).text())).toEqual([])
    expect((await rival.get(`/admin/diversion/cases/${f.a.case.id}`)).status).toBe(404)
    const decide = await rival.post(`/admin/diversion/cases/${f.a.case.id}/decide`, {
      decision: 'dismiss',
      note: 'Rival brand',
    })
    expect(decide.status).toBe(404)
    expect((await rival.get(`/admin/diversion/export.csv?distributor=${f.a.distributorId}`)).status).toBe(404)
    const csv = await (await rival.get('/admin/diversion/export.csv')).text()
    expect(csv).not.toContain('Alpha')
  })
})
