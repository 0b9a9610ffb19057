import { createHash } from 'node:crypto'
import { and, asc, eq, gt, isNotNull, lt, ne, sql } from 'drizzle-orm'
import { batches, codes } from '../batches/batch-schema.ts'
import type { Db } from '../db/index.ts'
import { products } from '../products/product-schema.ts'
import { brands } from '../staff/staff-schema.ts'
import { scans } from './scan-schema.ts'
import { judgeScan, REPEAT_WINDOW_MS, type Verdict } from './verdict.ts'

export type ScanContext = {
  deviceId: string
  ipPrefix: string
  userAgent: string
  memberId: number | null
  now: number
}

export type ScannedCode = {
  codeId: number
  brandId: number
  brandName: string
  productName: string
  productImageUrl: string | null
  productPoints: number
  productGtin: string | null
  lot: string | null
  producedOn: string | null
  expiresOn: string | null
  seq: number
}

export type ScanOutcome =
  | { kind: 'scanned'; scanId: number; code: ScannedCode; verdict: Verdict }
  | { kind: 'unknown' }

const USER_AGENT_MAX = 300

/**
 * Records the scan of a correctly signed code and judges it, in one transaction: the code row with
 * its product and brand, the earlier scans that decide the verdict, and the new scan row.
 * A signed serial that is not in the database (a leaked key, or another deployment) is `unknown`.
 *
 * @example
 * const outcome = recordScan(db, { brandId, serial }, { deviceId, ipPrefix, userAgent, memberId: null, now })
 */
export function recordScan(db: Db, code: { brandId: number; serial: string }, ctx: ScanContext): ScanOutcome {
  return db.transaction((tx) => {
    const row = tx
      .select({
        codeId: codes.id,
        state: codes.state,
        voidReason: codes.voidReason,
        seq: codes.seq,
        brandId: codes.brandId,
        brandName: brands.name,
        productName: products.name,
        productImageUrl: products.imageUrl,
        productPoints: products.points,
        productGtin: products.gtin,
        lot: batches.lot,
        producedOn: batches.producedOn,
        expiresOn: batches.expiresOn,
      })
      .from(codes)
      .innerJoin(batches, eq(batches.id, codes.batchId))
      .innerJoin(products, eq(products.id, batches.productId))
      .innerJoin(brands, eq(brands.id, codes.brandId))
      .where(and(eq(codes.serial, code.serial), eq(codes.brandId, code.brandId)))
      .get()
    if (!row) return { kind: 'unknown' as const }

    const first = tx
      .select({ at: scans.at, deviceId: scans.deviceId, placeZh: scans.placeZh, placeEn: scans.placeEn })
      .from(scans)
      .where(and(eq(scans.codeId, row.codeId), eq(scans.counted, true)))
      .orderBy(asc(scans.at), asc(scans.id))
      .limit(1)
      .get()
    const recentByDevice = tx
      .select({ id: scans.id })
      .from(scans)
      .where(
        and(
          eq(scans.codeId, row.codeId),
          eq(scans.deviceId, ctx.deviceId),
          gt(scans.at, ctx.now - REPEAT_WINDOW_MS),
        ),
      )
      .limit(1)
      .get()
    const stats = tx
      .select({
        devices: sql<number>`count(distinct ${scans.deviceId})`,
        deviceSeen: sql<number>`max(${scans.deviceId} = ${ctx.deviceId})`,
        travel: sql<number>`max(${scans.flag} = 'impossible-travel')`,
      })
      .from(scans)
      .where(and(eq(scans.codeId, row.codeId), eq(scans.counted, true)))
      .get()!
    const verdict = judgeScan({
      state: row.state,
      voidReason: row.voidReason,
      firstCounted: first
        ? {
            at: first.at,
            deviceId: first.deviceId,
            place: first.placeZh ? { zh: first.placeZh, en: first.placeEn ?? first.placeZh } : null,
          }
        : undefined,
      deviceId: ctx.deviceId,
      now: ctx.now,
      distinctDevices: stats.devices + (stats.deviceSeen === 1 ? 0 : 1),
      impossibleTravel: stats.travel === 1,
    })
    const inserted = tx
      .insert(scans)
      .values({
        brandId: row.brandId,
        codeId: row.codeId,
        deviceId: ctx.deviceId,
        ipPrefix: ctx.ipPrefix,
        userAgent: ctx.userAgent.slice(0, USER_AGENT_MAX),
        memberId: ctx.memberId,
        verdict: verdict.kind,
        counted: !recentByDevice,
        at: ctx.now,
      })
      .returning({ id: scans.id })
      .get()
    const { state: _s, voidReason: _v, ...scanned } = row
    return { kind: 'scanned' as const, scanId: inserted.id, code: scanned, verdict }
  })
}

/** Records a scan of something that is not a genuine code; only a hash of what was scanned is kept. */
export function recordForgedScan(db: Db, token: string, ctx: ScanContext): void {
  db.insert(scans)
    .values({
      tokenHash: createHash('sha256').update(token.toUpperCase()).digest('base64url').slice(0, 22),
      deviceId: ctx.deviceId,
      ipPrefix: ctx.ipPrefix,
      userAgent: ctx.userAgent.slice(0, USER_AGENT_MAX),
      memberId: ctx.memberId,
      verdict: 'not-genuine',
      counted: true,
      at: ctx.now,
    })
    .run()
}

export type LocationInput = { lat: number; lon: number; accuracyM: number; source: 'gps' | 'ip' }
export type PlaceResolver = (lon: number, lat: number) => { code: string; zh: string; en: string } | undefined

/** Faster than an airliner over more than 100 km between two scans of one code: two labels. */
export const IMPOSSIBLE_SPEED_KMH = 1_000
export const IMPOSSIBLE_MIN_KM = 100

export type LocateOutcome =
  | { kind: 'located'; place: { zh: string; en: string } | null; impossibleTravel: boolean }
  | { kind: 'not-found' }
  | { kind: 'already-located' }

/**
 * Stores the consented location of a scan (only the scanning device may), resolves its coarse
 * place offline, and flags impossible travel against the code's previous located scan.
 */
export function recordLocation(
  db: Db,
  scanId: number,
  deviceId: string,
  loc: LocationInput,
  resolvePlace: PlaceResolver,
  distanceKm: (a: { lat: number; lon: number }, b: { lat: number; lon: number }) => number,
  now: number,
): LocateOutcome {
  return db.transaction((tx): LocateOutcome => {
    const scan = tx
      .select()
      .from(scans)
      .where(and(eq(scans.id, scanId), eq(scans.deviceId, deviceId)))
      .get()
    if (!scan || scan.codeId === null) return { kind: 'not-found' }
    if (scan.locatedAt !== null) return { kind: 'already-located' }
    const place = resolvePlace(loc.lon, loc.lat)
    let flag: string | null = null
    const previous = tx
      .select({ lat: scans.lat, lon: scans.lon, at: scans.at })
      .from(scans)
      .where(
        and(
          eq(scans.codeId, scan.codeId),
          ne(scans.id, scanId),
          isNotNull(scans.lat),
          ne(scans.deviceId, deviceId),
        ),
      )
      .orderBy(sql`abs(${scans.at} - ${scan.at})`)
      .limit(1)
      .get()
    if (previous && previous.lat !== null && previous.lon !== null) {
      const km = distanceKm({ lat: previous.lat, lon: previous.lon }, loc)
      const hours = Math.max(Math.abs(scan.at - previous.at), 60_000) / 3_600_000
      if (km > IMPOSSIBLE_MIN_KM && km / hours > IMPOSSIBLE_SPEED_KMH) flag = 'impossible-travel'
    }
    tx.update(scans)
      .set({
        lat: loc.lat,
        lon: loc.lon,
        accuracyM: loc.accuracyM,
        locationSource: loc.source,
        locatedAt: now,
        consent: 'granted',
        regionCode: place?.code ?? null,
        placeZh: place?.zh ?? null,
        placeEn: place?.en ?? null,
        ...(flag ? { flag } : {}),
      })
      .where(eq(scans.id, scanId))
      .run()
    return {
      kind: 'located',
      place: place ? { zh: place.zh, en: place.en } : null,
      impossibleTravel: flag !== null,
    }
  })
}

/** Records that the consumer declined to share a location for this scan. */
export function recordDeclined(db: Db, scanId: number, deviceId: string): boolean {
  return (
    db
      .update(scans)
      .set({ consent: 'declined' })
      .where(and(eq(scans.id, scanId), eq(scans.deviceId, deviceId)))
      .run().changes === 1
  )
}

/**
 * The retention job: precise coordinates older than the retention period are erased (the coarse
 * region stays, as it is not a person's position). Safe to run any number of times.
 */
export function erasePreciseLocations(db: Db, now: number, retentionMs: number): number {
  return db
    .update(scans)
    .set({ lat: null, lon: null, accuracyM: null })
    .where(and(isNotNull(scans.lat), lt(scans.locatedAt, now - retentionMs)))
    .run().changes
}
