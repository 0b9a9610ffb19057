import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { channelSettingsFor, DEFAULT_CHANNEL_SETTINGS } from '../../src/channels/channel-settings-store.ts'
import { auditLog, channelSettings } from '../../src/db/schema.ts'
import { buildTestApp, insertBrand, insertStaff, signInAs } from '../support/test-app.ts'

async function brandWithOwner() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, owner }
}

const SETTINGS = {
  divertedPolicy: 'hold',
  maxDevicesPerCode: '5',
  bulkClaimCount: '40',
  bulkClaimWindowMinutes: '30',
}

describe('the brand’s channel settings', () => {
  it('uses the defaults until an owner saves settings', async () => {
    const { t, brand, owner } = await brandWithOwner()
    expect(channelSettingsFor(t.db, brand.brandId)).toEqual(DEFAULT_CHANNEL_SETTINGS)
    expect(DEFAULT_CHANNEL_SETTINGS).toMatchObject({ divertedPolicy: 'award', maxDevicesPerCode: 3 })
    const html = await (await owner.get('/admin/channels/settings')).text()
    expect(html).toContain('These are the defaults')
    expect(html).toMatch(/value="award" checked/)
    for (const title of ['Award', 'Hold for review', 'Refuse']) expect(html).toContain(`<b>${title}</b>`)
  })

  it('saves the diverted policy and thresholds, and audits what changed', async () => {
    const { t, brand, owner } = await brandWithOwner()
    const res = await owner.post('/admin/channels/settings', SETTINGS)
    expect(res.status).toBe(303)
    expect(channelSettingsFor(t.db, brand.brandId)).toEqual({
      divertedPolicy: 'hold',
      maxDevicesPerCode: 5,
      bulkClaimCount: 40,
      bulkClaimWindowMinutes: 30,
      updatedAt: t.clock.now(),
    })
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'channel-settings.update')).get()!
    expect(audit.detail).toEqual({
      changes: {
        divertedPolicy: { from: 'award', to: 'hold' },
        maxDevicesPerCode: { from: 3, to: 5 },
        bulkClaimCount: { from: 20, to: 40 },
        bulkClaimWindowMinutes: { from: 60, to: 30 },
      },
    })
    // Saving again updates the one row.
    await owner.post('/admin/channels/settings', { ...SETTINGS, divertedPolicy: 'refuse' })
    expect(t.db.select().from(channelSettings).all()).toHaveLength(1)
    expect(channelSettingsFor(t.db, brand.brandId).divertedPolicy).toBe('refuse')
    expect(await (await owner.get('/admin/channels/settings')).text()).toMatch(/value="refuse" checked/)
  })

  it('explains invalid values and keeps the stored settings', async () => {
    const { t, brand, owner } = await brandWithOwner()
    const res = await owner.post('/admin/channels/settings', {
      divertedPolicy: 'ignore',
      maxDevicesPerCode: '0',
      bulkClaimCount: 'many',
      bulkClaimWindowMinutes: '99999',
    })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('choose award, hold or refuse')
    expect(html).toContain('max devices per code is at least 1')
    expect(html).toContain('bulk claim count must be a number')
    expect(html).toContain('the window is at most 30 days')
    expect(channelSettingsFor(t.db, brand.brandId)).toEqual(DEFAULT_CHANNEL_SETTINGS)
  })

  it('is readable by a channel manager and an analyst, changeable only by an owner', async () => {
    const { t, brand } = await brandWithOwner()
    for (const role of ['channel_manager', 'analyst', 'operator'] as const) {
      const client = await signInAs(
        t,
        (await insertStaff(t, brand.brandId, { role, email: `${role}@tea.test` })).id,
      )
      const page = await client.get('/admin/channels/settings')
      expect(page.status, role).toBe(200)
      const html = await page.text()
      expect(html, role).toContain('Only an owner of your brand can change these settings.')
      expect(html, role).not.toContain('action="/admin/channels/settings"')
      expect((await client.post('/admin/channels/settings', SETTINGS)).status, role).toBe(403)
    }
    expect(t.db.select().from(channelSettings).all()).toHaveLength(0)
  })

  it('refuses a save without the CSRF token', async () => {
    const { t, owner } = await brandWithOwner()
    expect((await owner.post('/admin/channels/settings', { ...SETTINGS, _csrf: '' })).status).toBe(403)
    expect(t.db.select().from(channelSettings).all()).toHaveLength(0)
  })

  it('keeps each brand’s settings to itself', async () => {
    const { t, brand, owner } = await brandWithOwner()
    const other = await insertBrand(t, { slug: 'coffee' })
    await owner.post('/admin/channels/settings', SETTINGS)
    expect(channelSettingsFor(t.db, other.brandId)).toEqual(DEFAULT_CHANNEL_SETTINGS)
    expect(channelSettingsFor(t.db, brand.brandId).divertedPolicy).toBe('hold')
  })
})
