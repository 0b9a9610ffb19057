import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { listTiers, readPointSettings } from '../../src/points/point-settings-store.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import { buildTestApp, insertBrand, insertStaff, locationOf, signInAs } from '../support/test-app.ts'

async function setup() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, owner }
}

describe('the points rules page', () => {
  it('lets an owner set expiry, caps and the tier window, with an audit record', async () => {
    const { t, brand, owner } = await setup()
    const page = await owner.get('/admin/points')
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Points rules')
    expect(html).toContain('href="/admin/points"')
    const res = await owner.post('/admin/points/settings', {
      expiryMonths: '12',
      dailyCap: '200',
      weeklyCap: '',
      tierWindowDays: '365',
    })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toMatch(/^\/admin\/points\?notice=/)
    expect(readPointSettings(t.db, brand.brandId)).toEqual({
      expiryMonths: 12,
      dailyCap: 200,
      weeklyCap: null,
      tierWindowDays: 365,
    })
    expect(
      t.db.select().from(auditLog).where(eq(auditLog.action, 'points.settings.update')).all(),
    ).toHaveLength(1)
    expect(await (await owner.get('/admin/points')).text()).toContain(
      'name="expiryMonths" inputmode="numeric" value="12"',
    )
  })

  it('lets an owner add, change and delete tiers', async () => {
    const { t, brand, owner } = await setup()
    expect(
      (await owner.post('/admin/points/tiers', { name: 'Silver', threshold: '500', multiplierPct: '120' }))
        .status,
    ).toBe(303)
    expect(
      (await owner.post('/admin/points/tiers', { name: 'Gold', threshold: '2000', multiplierPct: '150' }))
        .status,
    ).toBe(303)
    const [silver, gold] = listTiers(t.db, brand.brandId)
    expect(silver).toMatchObject({ name: 'Silver', threshold: 500, multiplierPct: 120 })
    const res = await owner.post(`/admin/points/tiers/${gold!.id}`, {
      name: 'Gold',
      threshold: '1500',
      multiplierPct: '200',
    })
    expect(res.status).toBe(303)
    expect(listTiers(t.db, brand.brandId)[1]).toMatchObject({ threshold: 1500, multiplierPct: 200 })
    expect((await owner.post(`/admin/points/tiers/${silver!.id}/delete`)).status).toBe(303)
    expect(listTiers(t.db, brand.brandId).map((x) => x.name)).toEqual(['Gold'])
    const actions = t.db
      .select({ a: auditLog.action })
      .from(auditLog)
      .all()
      .map((r) => r.a)
    expect(actions).toEqual(
      expect.arrayContaining(['points.tier.create', 'points.tier.update', 'points.tier.delete']),
    )
  })

  it('answers 422 with the reasons for bad rules and bad tiers, and saves nothing', async () => {
    const { t, brand, owner } = await setup()
    const bad = await owner.post('/admin/points/settings', {
      expiryMonths: '-1',
      dailyCap: 'lots',
      weeklyCap: '',
      tierWindowDays: '0',
    })
    expect(bad.status).toBe(422)
    const html = await bad.text()
    expect(html).toContain('expiry months must be at least 1')
    expect(html).toContain('daily cap must be a whole number')
    expect(html).toContain('tier window must be at least 1 day')
    const capOrder = await owner.post('/admin/points/settings', {
      dailyCap: '100',
      weeklyCap: '50',
      tierWindowDays: '365',
    })
    expect(capOrder.status).toBe(422)
    expect(await capOrder.text()).toContain('the weekly cap must be at least the daily cap')
    expect(readPointSettings(t.db, brand.brandId).dailyCap).toBeNull()

    const tooRich = await owner.post('/admin/points/tiers', {
      name: 'Diamond',
      threshold: '9000',
      multiplierPct: '600',
    })
    expect(tooRich.status).toBe(422)
    expect(await tooRich.text()).toContain('multiplier must be at most 500%')
    await owner.post('/admin/points/tiers', { name: 'Silver', threshold: '500', multiplierPct: '120' })
    const sameThreshold = await owner.post('/admin/points/tiers', {
      name: 'Gold',
      threshold: '500',
      multiplierPct: '150',
    })
    expect(sameThreshold.status).toBe(422)
    expect(await sameThreshold.text()).toContain('Another tier already has this threshold.')
    expect(listTiers(t.db, brand.brandId)).toHaveLength(1)
  })

  it('shows an analyst the rules read-only and refuses their changes (403)', async () => {
    const { t, brand, owner } = await setup()
    await owner.post('/admin/points/tiers', { name: 'Silver', threshold: '500', multiplierPct: '120' })
    const staffRow = await insertStaff(t, brand.brandId, { role: 'analyst', email: 'analyst@tea.test' })
    const analyst = await signInAs(t, staffRow.id)
    const page = await analyst.get('/admin/points')
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Silver')
    expect(html).not.toContain('Add tier')
    const [silver] = listTiers(t.db, brand.brandId)
    for (const [path, form] of [
      ['/admin/points/settings', { dailyCap: '1', tierWindowDays: '365' }],
      ['/admin/points/tiers', { name: 'Gold', threshold: '900', multiplierPct: '150' }],
      [`/admin/points/tiers/${silver!.id}`, { name: 'Silver', threshold: '1', multiplierPct: '500' }],
      [`/admin/points/tiers/${silver!.id}/delete`, {}],
    ] as const) {
      // With the analyst's own valid CSRF token: the role, not the token, refuses.
      const res = await analyst.post(path, { ...form, _csrf: (await csrfOf(analyst)) ?? '' })
      expect(res.status).toBe(403)
      expect(await res.text()).toContain('Your role does not allow this')
    }
    expect(listTiers(t.db, brand.brandId)).toEqual([silver])
    expect(readPointSettings(t.db, brand.brandId).dailyCap).toBeNull()
  })

  it('refuses operators and channel managers, and never touches another brand’s tiers', async () => {
    const { t, owner } = await setup()
    const other = await insertBrand(t, { slug: 'coffee' })
    const otherOwner = await signInAs(t, other.ownerId)
    await otherOwner.post('/admin/points/tiers', { name: 'Bean', threshold: '10', multiplierPct: '110' })
    const [bean] = listTiers(t.db, other.brandId)
    expect(
      (
        await owner.post(`/admin/points/tiers/${bean!.id}`, {
          name: 'Mine',
          threshold: '1',
          multiplierPct: '500',
        })
      ).status,
    ).toBe(404)
    expect((await owner.post(`/admin/points/tiers/${bean!.id}/delete`)).status).toBe(404)
    expect(listTiers(t.db, other.brandId)).toEqual([bean])
    expect(await (await owner.get('/admin/points')).text()).not.toContain('Bean')
    const op = await insertStaff(t, other.brandId, { role: 'operator', email: 'op@coffee.test' })
    expect((await (await signInAs(t, op.id)).get('/admin/points')).status).toBe(403)
  })
})

/** The CSRF token of a signed-in client as its own pages carry it (the analyst has none of its own forms). */
async function csrfOf(client: Awaited<ReturnType<typeof signInAs>>): Promise<string | undefined> {
  const html = await (await client.get('/admin/points')).text()
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1]
}
