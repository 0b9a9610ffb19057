import type { DbLike } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import type { DivertedPolicy } from './channel-schema.ts'
import { DEFAULT_CHANNEL_SETTINGS } from './channel-settings-store.ts'

/** The anti-diversion settings the checks and the claim policy read. */
export type DiversionSettings = {
  divertedPolicy: DivertedPolicy
  maxDevicesPerCode: number
  bulkClaimCount: number
  bulkClaimWindowMinutes: number
}

/** What a brand without a channel_settings row gets (the table's column defaults). */
export const DIVERSION_DEFAULTS: DiversionSettings = {
  divertedPolicy: DEFAULT_CHANNEL_SETTINGS.divertedPolicy,
  maxDevicesPerCode: DEFAULT_CHANNEL_SETTINGS.maxDevicesPerCode,
  bulkClaimCount: DEFAULT_CHANNEL_SETTINGS.bulkClaimCount,
  bulkClaimWindowMinutes: DEFAULT_CHANNEL_SETTINGS.bulkClaimWindowMinutes,
}

const statementsFor = preparedPerConnection((c) => ({
  settings: c.prepare<[number], DiversionSettings>(`
    SELECT diverted_policy AS divertedPolicy, max_devices_per_code AS maxDevicesPerCode,
           bulk_claim_count AS bulkClaimCount, bulk_claim_window_minutes AS bulkClaimWindowMinutes
    FROM channel_settings WHERE brand_id = ?`),
}))

/**
 * A brand's anti-diversion settings, or the defaults when it never saved any: one prepared primary
 * key lookup for the claim path, where channelSettingsFor's query builder would cost more than the
 * read (the console's settings page writes the row through channel-settings-store.ts).
 *
 * @example
 * diversionSettingsOf(db, brandId).divertedPolicy // 'award' | 'hold' | 'refuse'
 */
export function diversionSettingsOf(db: DbLike, brandId: number): DiversionSettings {
  return statementsFor(db).settings.get(brandId) ?? DIVERSION_DEFAULTS
}
