import { eq } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { DbLike } from '../db/index.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { channelSettings, type DivertedPolicy } from './channel-schema.ts'
import { DIVERSION_DEFAULTS, forgetDiversionSettings } from './diversion-settings.ts'

export type ChannelSettings = {
  /** Whether a diverted scan still earns points: award, hold for review, or refuse. */
  divertedPolicy: DivertedPolicy
  /** Distinct devices on one code before a device-count signal. */
  maxDevicesPerCode: number
  /** Bulk claiming: this many claims of one batch by one member or device within the window. */
  bulkClaimCount: number
  bulkClaimWindowMinutes: number
  /** When an owner last saved them; null for the defaults. */
  updatedAt: number | null
}

/** What a brand that never saved its channel settings gets (the table's column defaults). */
export const DEFAULT_CHANNEL_SETTINGS: ChannelSettings = { ...DIVERSION_DEFAULTS, updatedAt: null }

/**
 * A brand's anti-diversion settings, or the defaults when it has none. Safe to call inside a
 * transaction (claims read the policy in theirs).
 *
 * @example
 * if (channelSettingsFor(db, brandId).divertedPolicy === 'refuse') return { kind: 'refused-diverted' }
 */
export function channelSettingsFor(db: DbLike, brandId: number): ChannelSettings {
  const row = db.select().from(channelSettings).where(eq(channelSettings.brandId, brandId)).get()
  if (!row) return { ...DEFAULT_CHANNEL_SETTINGS }
  return {
    divertedPolicy: row.divertedPolicy,
    maxDevicesPerCode: row.maxDevicesPerCode,
    bulkClaimCount: row.bulkClaimCount,
    bulkClaimWindowMinutes: row.bulkClaimWindowMinutes,
    updatedAt: row.updatedAt,
  }
}

export type ChannelSettingsValues = Omit<ChannelSettings, 'updatedAt'>

/** Saves a brand's settings (insert or update) with an audit record of what changed. */
export function saveChannelSettings(
  bdb: BrandDb,
  actor: Actor,
  values: ChannelSettingsValues,
  now: number,
): ChannelSettings {
  try {
    return saveInTransaction(bdb, actor, values, now)
  } finally {
    forgetDiversionSettings(bdb.db, bdb.brandId)
  }
}

function saveInTransaction(
  bdb: BrandDb,
  actor: Actor,
  values: ChannelSettingsValues,
  now: number,
): ChannelSettings {
  return bdb.db.transaction((tx) => {
    const before = channelSettingsFor(tx, bdb.brandId)
    tx.insert(channelSettings)
      .values({ brandId: bdb.brandId, ...values, updatedAt: now })
      .onConflictDoUpdate({ target: channelSettings.brandId, set: { ...values, updatedAt: now } })
      .run()
    const changes: Record<string, { from: unknown; to: unknown }> = {}
    for (const key of Object.keys(values) as (keyof ChannelSettingsValues)[]) {
      if (before[key] !== values[key]) changes[key] = { from: before[key], to: values[key] }
    }
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'channel-settings.update',
      subjectType: 'brand',
      subjectId: bdb.brandId,
      detail: { changes },
    })
    return { ...values, updatedAt: now }
  })
}
