import { afterEach, describe, expect, it, vi } from 'vitest'
import { saveChannelSettings } from '../../../src/channels/channel-settings-store.ts'
import {
  DIVERSION_DEFAULTS,
  DIVERSION_SETTINGS_TTL_MS,
  diversionSettingsOf,
} from '../../../src/channels/diversion-settings.ts'
import { brandDb } from '../../../src/db/brand-scope.ts'
import { buildTestApp, insertBrand } from '../../support/test-app.ts'

const actor = { staffId: null, label: 'test' }
const hold = { ...DIVERSION_DEFAULTS, divertedPolicy: 'hold' as const, bulkClaimCount: 5 }

afterEach(() => {
  vi.useRealTimers()
})

describe("a brand's anti-diversion settings on the claim path", () => {
  it('are the defaults until saved, and a save in this process is seen at once', async () => {
    const t = buildTestApp()
    const { brandId } = await insertBrand(t, { slug: 'tea' })
    expect(diversionSettingsOf(t.db, brandId)).toEqual(DIVERSION_DEFAULTS)
    saveChannelSettings(brandDb(t.db, brandId), actor, hold, t.clock.now())
    expect(diversionSettingsOf(t.db, brandId)).toMatchObject({ divertedPolicy: 'hold', bulkClaimCount: 5 })
  })

  it('follow a change written by another process within the staleness bound', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const t = buildTestApp()
    const { brandId } = await insertBrand(t, { slug: 'tea' })
    expect(diversionSettingsOf(t.db, brandId).divertedPolicy).toBe('award')
    // As the CLI or a second server would: straight to the table, past this process's cache.
    t.db.$client
      .prepare("INSERT INTO channel_settings (brand_id, diverted_policy, updated_at) VALUES (?, 'refuse', 0)")
      .run(brandId)
    expect(diversionSettingsOf(t.db, brandId).divertedPolicy).toBe('award')
    vi.advanceTimersByTime(DIVERSION_SETTINGS_TTL_MS + 1)
    expect(diversionSettingsOf(t.db, brandId).divertedPolicy).toBe('refuse')
  })
})
