import { createHash } from 'node:crypto'
import type BetterSqlite3 from 'better-sqlite3'
import { and, eq, isNotNull, lt, ne, sql } from 'drizzle-orm'
import type { CodeState, VoidReason } from '../batches/batch-schema.ts'
import { createGroupCommit } from '../db/group-commit.ts'
import type { Db } from '../db/index.ts'
import { scans } from './scan-schema.ts'
import { judgeScan, REPEAT_WINDOW_MS, type Verdict } from './verdict.ts'

export type ScanContext = {
  deviceId: string
  ipPrefix: string
  userAgent: string
  memberId: number | null
  now: number
  /** Where the client's address is, from IP_LOCATIONS_FILE (set only when configured and found). */
  ipLocation?: IpScanLocation
}

/** An IP location as a scan row stores it: the radius as accuracy, the coarse place resolved. */
export type IpScanLocation = {
  lat: number
  lon: number
  accuracyM: number
  regionCode: string | null
  placeZh: string | null
  placeEn: string | null
}

export type ScannedCode = {
  codeId: number
  brandId: number
  brandName: string
  brandSlug: string
  productName: string
  productImageUrl: string | null
  productPoints: number
  productGtin: string | null
  lot: string | null
  producedOn: string | null
  expiresOn: string | null
  seq: number
  /** The code's state when it was scanned: the page offers a claim only for `activated`. */
  state: CodeState
  /** The member who claimed the code's points (a claimed code only): "already yours" to them. */
  claimantId: number | null
}

/** A scanned code; a GS1 Digital Link also names the product's GTIN-14 and maybe the lot. */
export type ScannedKey = { brandId: number; serial: string; gtin?: string; lot?: string | null }

export type ScanOutcome =
  | { kind: 'scanned'; scanId: number; code: ScannedCode; verdict: Verdict }
  | { kind: 'unknown' }
  | { kind: 'mismatch' }

const USER_AGENT_MAX = 300

/**
 * Records the scan of a correctly signed code and judges it, in one transaction: the code row with
 * its product and brand, the earlier scans that decide the verdict, and the new scan row.
 * A signed serial that is not in the database (a leaked key, or another deployment) is `unknown`;
 * a Digital Link whose GTIN or lot is not the code's is a `mismatch`, and records nothing (the
 * caller records it as not genuine), so a wrong link never counts as a scan of the real code.
 *
 * @example
 * const outcome = recordScan(db, { brandId, serial }, { deviceId, ipPrefix, userAgent, memberId: null, now })
 */
export function recordScan(db: Db, code: ScannedKey, ctx: ScanContext): ScanOutcome {
  return statementsFor(db).record(code, ctx)
}

function judgeAndInsert(q: ScanStatements, code: ScannedKey, ctx: ScanContext): ScanOutcome {
  const row = q.code.get(code.serial, code.brandId) as
    | (ScannedCode & { voidReason: VoidReason | null })
    | undefined
  if (!row) return { kind: 'unknown' }
  if (isOtherItem(row, code)) return { kind: 'mismatch' }
  const history = q.history.get({
    code: row.codeId,
    device: ctx.deviceId,
    since: ctx.now - REPEAT_WINDOW_MS,
  }) as ScanHistory
  const verdict = judgeScan({
    state: row.state,
    voidReason: row.voidReason,
    firstCounted:
      history.firstAt !== null && history.firstDevice !== null
        ? {
            at: history.firstAt,
            deviceId: history.firstDevice,
            place: history.placeZh
              ? {
                  zh: history.placeZh,
                  en: history.placeEn ?? history.placeZh,
                  approximate: history.placeSource === 'ip',
                }
              : null,
          }
        : undefined,
    deviceId: ctx.deviceId,
    now: ctx.now,
    distinctDevices: history.devices + (history.deviceSeen === 1 ? 0 : 1),
    impossibleTravel: history.travel === 1,
  })
  const userAgent = ctx.userAgent.slice(0, USER_AGENT_MAX)
  const counted = history.recent === 1 ? 0 : 1
  const ip = ctx.ipLocation
  // Two statements rather than one with optional columns: without IP_LOCATIONS_FILE the scan page
  // binds what it always bound. located_at is the scan's time, so the retention job erases IP
  // coordinates as it erases GPS ones (its WHERE and scans_located_idx both need lat and located_at).
  const inserted =
    ip === undefined
      ? q.insert.run(
          row.brandId,
          row.codeId,
          ctx.deviceId,
          ctx.ipPrefix,
          userAgent,
          ctx.memberId,
          verdict.kind,
          counted,
          ctx.now,
        )
      : q.insertIpLocated.run(
          row.brandId,
          row.codeId,
          ctx.deviceId,
          ctx.ipPrefix,
          userAgent,
          ctx.memberId,
          verdict.kind,
          counted,
          ctx.now,
          ip.lat,
          ip.lon,
          ip.accuracyM,
          ip.regionCode,
          ip.placeZh,
          ip.placeEn,
          ctx.now,
        )
  const { voidReason: _v, ...scanned } = row
  return { kind: 'scanned', scanId: Number(inserted.lastInsertRowid), code: scanned, verdict }
}

/** A Digital Link whose GTIN, or lot when it names one, is not the code's own: not this item. */
function isOtherItem(row: { productGtin: string | null; lot: string | null }, code: ScannedKey): boolean {
  return (
    (code.gtin !== undefined && row.productGtin !== code.gtin) || (code.lot != null && row.lot !== code.lot)
  )
}

export type ScanKeyMatch = 'found' | 'unknown' | 'mismatch'

/**
 * What recordScan would find for a correctly signed code, read only: `found`, or `unknown` and
 * `mismatch` as recordScan answers them. For HEAD, which must answer what GET would without
 * recording a scan (a link preview is not a scan).
 *
 * @example
 * if (matchScanKey(db, { brandId, serial, gtin, lot }) !== 'found') return headFailed(c, deviceId)
 */
export function matchScanKey(db: Db, code: ScannedKey): ScanKeyMatch {
  // recordScan's own lookup, so that HEAD and GET read a code alike.
  const row = statementsFor(db).code.get(code.serial, code.brandId) as
    | { productGtin: string | null; lot: string | null }
    | undefined
  if (!row) return 'unknown'
  return isOtherItem(row, code) ? 'mismatch' : 'found'
}

/** Records one scan; resolves once its row is committed. */
export type ScanRecorder = (code: ScannedKey, ctx: ScanContext) => Promise<ScanOutcome>

/**
 * The scan page's recorder: scans arriving together share one commit (createGroupCommit in
 * src/db/group-commit.ts). Committing is most of a scan's cost — each commit writes the scan row
 * and its index pages to the WAL and every few hundred commits checkpoints with an fsync
 * (measured: 270 µs a scan alone, under 100 µs in tens) — and each verdict stays what one
 * transaction per scan gives, as `recordScan` runs in its own savepoint, in arrival order.
 *
 * @example
 * const record = createScanRecorder(db)
 * const outcome = await record({ brandId, serial }, ctx)
 */
export function createScanRecorder(db: Db): ScanRecorder {
  const q = statementsFor(db)
  // Inside the group's transaction a scan needs no savepoint of its own: its only write is one
  // INSERT, which SQLite applies whole or not at all, so a scan that throws leaves nothing behind.
  // Outside one (the group's one-by-one retry after a failed commit) it takes its own transaction.
  const record = createGroupCommit(db, (p: { code: ScannedKey; ctx: ScanContext }) =>
    db.$client.inTransaction ? judgeAndInsert(q, p.code, p.ctx) : q.record(p.code, p.ctx),
  )
  return (code, ctx) => record({ code, ctx })
}

type ScanHistory = {
  devices: number
  deviceSeen: number | null
  recent: number | null
  travel: number | null
  /** The code's first counted scan (the "first verified on … in …" line), if any. */
  firstAt: number | null
  firstDevice: string | null
  placeZh: string | null
  placeEn: string | null
  /** 'ip' when the first counted scan's place came from its network address: said to be approximate. */
  placeSource: 'gps' | 'ip' | null
}
type Statement = BetterSqlite3.Statement<unknown[]>
type ScanStatements = {
  code: Statement
  history: Statement
  insert: Statement
  /** The insert of a scan located by IP (IP_LOCATIONS_FILE): a statement of its own, so that the
   * scan page's usual insert binds no location columns. */
  insertIpLocated: Statement
  /** judgeAndInsert in a transaction (a savepoint inside another), wrapped once: wrapping costs. */
  record: (code: ScannedKey, ctx: ScanContext) => ScanOutcome
}

/**
 * The code's earlier scans summed up, with its first counted scan, in one statement (named
 * parameters: code, device, since). Both parts read only scans_code_history_idx (no table row per
 * earlier scan: over ~20 scans of a code that took 36 µs, now 10); only the first counted scan's
 * row is read, for its place. A test holds the plan to that (tests/unit/db/hot-path-plans.test.ts).
 */
export const SCAN_HISTORY_SQL = `
        SELECT h.devices, h.deviceSeen, h.recent, h.travel, f.at AS firstAt, f.device_id AS firstDevice,
               f.place_zh AS placeZh, f.place_en AS placeEn, f.location_source AS placeSource
        FROM (SELECT count(DISTINCT CASE WHEN counted THEN device_id END) AS devices,
                     max(counted AND device_id = @device) AS deviceSeen,
                     max(device_id = @device AND at > @since) AS recent,
                     max(counted AND flag = 'impossible-travel') AS travel
              FROM scans WHERE code_id = @code) h
        LEFT JOIN scans f ON f.id = (SELECT id FROM scans WHERE code_id = @code AND counted = 1
                                     ORDER BY at, id LIMIT 1)`

// The scan page is the hottest path we have: its statements are prepared once per database, in
// plain SQL, because building them through the query builder on every scan cost 5x the SQLite
// work (measured in the http bench). The SQL stays here, next to the schema it reads.
const prepared = new WeakMap<Db, ScanStatements>()

function statementsFor(db: Db): ScanStatements {
  let q = prepared.get(db)
  if (!q) {
    q = {
      code: db.$client.prepare(`
        SELECT c.id AS codeId, c.state, c.void_reason AS voidReason, c.seq, c.brand_id AS brandId,
               br.name AS brandName, br.slug AS brandSlug, p.name AS productName, p.image_url AS productImageUrl,
               p.points AS productPoints, p.gtin AS productGtin, b.lot, b.produced_on AS producedOn,
               b.expires_on AS expiresOn,
               CASE WHEN c.state = 'claimed'
                    THEN (SELECT member_id FROM claims WHERE code_id = c.id) END AS claimantId
        FROM codes c JOIN batches b ON b.id = c.batch_id JOIN products p ON p.id = b.product_id
             JOIN brands br ON br.id = c.brand_id
        WHERE c.serial = ? AND c.brand_id = ?`),
      history: db.$client.prepare(SCAN_HISTORY_SQL),
      insert: db.$client.prepare(`
        INSERT INTO scans (brand_id, code_id, device_id, ip_prefix, user_agent, member_id, verdict, counted, at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertIpLocated: db.$client.prepare(`
        INSERT INTO scans (brand_id, code_id, device_id, ip_prefix, user_agent, member_id, verdict, counted, at,
                           lat, lon, accuracy_m, region_code, place_zh, place_en, location_source, located_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ip', ?)`),
      record: db.$client.transaction(
        (code: ScannedKey, ctx: ScanContext): ScanOutcome => judgeAndInsert(statements, code, ctx),
      ),
    }
    const statements: ScanStatements = q
    prepared.set(db, q)
  }
  return q
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
 * place offline, and flags impossible travel against the code's previous GPS-located scan. A scan
 * located by IP (IP_LOCATIONS_FILE) takes the phone's own fix over it; a GPS location is final.
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
    if (scan.locatedAt !== null && scan.locationSource !== 'ip') return { kind: 'already-located' }
    const place = resolvePlace(loc.lon, loc.lat)
    let flag: string | null = null
    // Against GPS positions only: an IP location is often a carrier's gateway hundreds of km away,
    // and this flag turns the code's verdict into "suspected copy" for every later scanner.
    const previous = tx
      .select({ lat: scans.lat, lon: scans.lon, at: scans.at })
      .from(scans)
      .where(
        and(
          eq(scans.codeId, scan.codeId),
          ne(scans.id, scanId),
          isNotNull(scans.lat),
          eq(scans.locationSource, 'gps'),
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

/**
 * Records that the consumer declined to share a location for this scan. A decline after sharing
 * withdraws the consent (PIPL lets a person withdraw it at any time): the precise coordinates go
 * in the same statement; the coarse region stays, as it is not a person's position.
 *
 * An IP location stays. The consent asks for the phone's own position; an IP location is not that:
 * it is where the network address's range is registered (a city at best, often the carrier's
 * gateway), derived from the address every request carries, and used "without consent" by design
 * (issue 3). It stays low-confidence, is never shown to anyone as a position, and the retention job
 * erases its coordinates like any others. Declining changes nothing the consumer sees.
 */
export function recordDeclined(db: Db, scanId: number, deviceId: string): boolean {
  const keepIp = <T>(column: T) => sql`CASE WHEN ${scans.locationSource} = 'ip' THEN ${column} END`
  return (
    db
      .update(scans)
      .set({
        consent: 'declined',
        lat: keepIp(scans.lat),
        lon: keepIp(scans.lon),
        accuracyM: keepIp(scans.accuracyM),
      })
      .where(and(eq(scans.id, scanId), eq(scans.deviceId, deviceId)))
      .run().changes === 1
  )
}

/**
 * The retention job: precise coordinates older than the retention period are erased (the coarse
 * region stays, as it is not a person's position), GPS and IP ones alike (both set located_at).
 * Safe to run any number of times.
 */
export function erasePreciseLocations(db: Db, now: number, retentionMs: number): number {
  return db
    .update(scans)
    .set({ lat: null, lon: null, accuracyM: null })
    .where(and(isNotNull(scans.lat), lt(scans.locatedAt, now - retentionMs)))
    .run().changes
}
