import { cachedPerBrand } from '../db/brand-cache.ts'
import type { DbLike } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import type { DivertedPolicy } from './channel-schema.ts'

/** The anti-diversion settings the checks and the claim policy read. */
export type DiversionSettings = {
  divertedPolicy: DivertedPolicy
  maxDevicesPerCode: number
  bulkClaimCount: number
  bulkClaimWindowMinutes: number
}

/** What a brand without a channel_settings row gets (the table's column defaults). */
export const DIVERSION_DEFAULTS: DiversionSettings = Object.freeze({
  divertedPolicy: 'award',
  maxDevicesPerCode: 3,
  bulkClaimCount: 20,
  bulkClaimWindowMinutes: 60,
})

const statementsFor = preparedPerConnection((c) => ({
  settings: c.prepare<[number], DiversionSettings>(`
    SELECT diverted_policy AS divertedPolicy, max_devices_per_code AS maxDevicesPerCode,
           bulk_claim_count AS bulkClaimCount, bulk_claim_window_minutes AS bulkClaimWindowMinutes
    FROM channel_settings WHERE brand_id = ?`),
}))

/**
 * How long a brand's anti-diversion settings may be served from memory. Staleness bound, as for the
 * points rules (POINT_RULES_TTL_MS): saveChannelSettings drops the entry as it finishes, so in this
 * process a claim or a check sees a change at once; a change written by another process reaches
 * them here at most this long after it commits.
 */
export const DIVERSION_SETTINGS_TTL_MS = 5_000

const settings = cachedPerBrand(DIVERSION_SETTINGS_TTL_MS, (db, brandId) =>
  Object.freeze({ ...(statementsFor(db).settings.get(brandId) ?? DIVERSION_DEFAULTS) }),
)

/**
 * A brand's anti-diversion settings, or the defaults when it never saved any, read at most once per
 * DIVERSION_SETTINGS_TTL_MS: every claim reads them (the policy, the bulk-claim thresholds), and the
 * read cost a tenth of the claim's SQL. The value is frozen: callers share it.
 *
 * @example
 * diversionSettingsOf(db, brandId).divertedPolicy // 'award' | 'hold' | 'refuse'
 */
export function diversionSettingsOf(db: DbLike, brandId: number): DiversionSettings {
  return settings.get(db, brandId)
}

/** Drops the brand's cached settings; saveChannelSettings calls it after its transaction, committed or not. */
export function forgetDiversionSettings(db: DbLike, brandId: number): void {
  settings.forget(db, brandId)
}
