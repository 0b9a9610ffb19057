import { sql } from 'drizzle-orm'
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core'

export const VERDICTS = [
  'genuine-first',
  'genuine-seen',
  'suspected-copy',
  'voided',
  'not-activated',
  'not-genuine',
] as const
export type VerdictKind = (typeof VERDICTS)[number]
export const LOCATION_SOURCES = ['gps', 'ip'] as const

/** Every scan, of a real code or a forged one (then only the token's hash is kept). */
export const scans = sqliteTable(
  'scans',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id'),
    codeId: integer('code_id'),
    tokenHash: text('token_hash'),
    deviceId: text('device_id').notNull(),
    ipPrefix: text('ip_prefix').notNull(),
    userAgent: text('user_agent').notNull(),
    memberId: integer('member_id'),
    verdict: text('verdict', { enum: VERDICTS }).notNull(),
    // A repeat by the same device within the window is recorded but does not count for verdicts.
    counted: integer('counted', { mode: 'boolean' }).notNull(),
    flag: text('flag'),
    consent: text('consent'),
    lat: real('lat'),
    lon: real('lon'),
    accuracyM: real('accuracy_m'),
    locationSource: text('location_source', { enum: LOCATION_SOURCES }),
    locatedAt: integer('located_at'),
    regionCode: text('region_code'),
    placeZh: text('place_zh'),
    placeEn: text('place_en'),
    at: integer('at').notNull(),
  },
  (t) => [
    // Covers the scan page's judging of a code (scan-store.ts): its earlier scans in time order, with
    // what the verdict reads of each, without a lookup into the table per scan. The id after `at`
    // keeps "first counted scan" (ORDER BY at, id) in index order, so that read stops at the first.
    index('scans_code_history_idx').on(t.codeId, t.at, t.id, t.counted, t.deviceId, t.flag),
    index('scans_brand_at_idx').on(t.brandId, t.at),
    // Partial: most scans are never located and most are anonymous, so the hot insert of the scan
    // page writes neither index; the retention job and a member's history still use them.
    index('scans_located_idx').on(t.locatedAt).where(sql`lat IS NOT NULL`),
    // Covers the member-programme job's read of a member's scans (no lookup into the table).
    index('scans_member_at_idx')
      .on(t.memberId, t.at, t.codeId, t.regionCode, t.counted, t.brandId)
      .where(sql`member_id IS NOT NULL`),
  ],
)
