import type { Db } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import { DAY_MS } from '../points/points-calendar.ts'
import {
  autoTagsOf,
  type BrandScales,
  chinaDayNumber,
  LIFECYCLES,
  type Lifecycle,
  type MemberFigures,
  preferredOf,
  rfmScale,
  type Tally,
} from './auto-tags.ts'
import { readProgrammeSettings } from './programme-settings-store.ts'

/**
 * At most this many members, and (unless one member has more) this many of their scans, per chunk.
 * Each chunk is one short write transaction, and the server yields to requests between chunks: a
 * brand-wide transaction at 100k members held SQLite's one write lock, and the event loop, for tens
 * of seconds; reading a chunk costs about 10 µs a scan, so 20k scans stay near 200 ms.
 */
export const ACTIVITY_CHUNK_SIZE = 1_000
export const ACTIVITY_CHUNK_SCANS = 20_000
/** RFM frequency and monetary, and member_activity.points_earned, count this many days back. */
export const RECENT_DAYS = 365

export type TagsJobOutcome = {
  members: number
  chunks: number
  /** Members per lifecycle stage. */
  lifecycle: Record<Lifecycle, number>
  /** Automatic tags written. */
  tags: number
}

/** One scan row of a member, as the job reads it. */
export type ScanRow = { codeId: number | null; at: number; regionCode: string | null; counted: number }
/** One claim of a member, with the claimed product. */
export type ClaimRow = {
  codeId: number
  at: number
  points: number
  productId: number
  sku: string
  name: string
  category: string | null
}

/** What member_activity keeps of one member, and the counts the tag reasons quote. */
export type ActivityFigures = {
  scanCount: number
  claimCount: number
  firstScanAt: number | null
  lastScanAt: number | null
  lastClaimAt: number | null
  /** Points earned by claims since `since` (the last 365 days). */
  pointsEarned: number
  /** Scans since `since` (RFM frequency). */
  recentScans: number
  usualIntervalDays: number | null
  product: { id: number; sku: string; name: string; claims: number; ofClaims: number } | null
  category: { name: string; claims: number; ofClaims: number } | null
  region: { code: string; scans: number; ofScans: number } | null
}

/**
 * The median number of days between a member's consecutive scanning days (China-time calendar
 * days, given sorted and distinct); null below three scanning days, where one gap says nothing
 * usual. An even number of gaps takes the mean of the middle two.
 *
 * @example
 * usualIntervalDays([100, 107, 110, 124]) // gaps 7, 3, 14 → 7
 */
export function usualIntervalDays(days: readonly number[]): number | null {
  if (days.length < 3) return null
  const gaps = days
    .slice(1)
    .map((d, i) => d - (days[i] as number))
    .sort((a, b) => a - b)
  const mid = gaps.length >> 1
  return gaps.length % 2 === 1
    ? (gaps[mid] as number)
    : ((gaps[mid - 1] as number) + (gaps[mid] as number)) / 2
}

/**
 * One member's figures from their scans and claims. "A scan" is a counted scan recorded with the
 * member (a repeat by the same phone within minutes is not counted), or a claim of a code the
 * member has no recorded scan of: a consumer scans before signing in, so the scan that led to
 * their first claim carries no member. Preferences count all claims (product, category) and all
 * counted scans with a region; ties go to the most recent (preferredOf).
 *
 * @example
 * rollUpMember(scans, claims, now - 365 * DAY_MS) // { scanCount: 12, lastScanAt: …, usualIntervalDays: 9, … }
 */
export function rollUpMember(
  scans: readonly ScanRow[],
  claims: readonly ClaimRow[],
  since: number,
): ActivityFigures {
  const scannedCodes = new Set<number>()
  const times: number[] = []
  const regions = new Map<string, Tally<string>>()
  let regionScans = 0
  for (const s of scans) {
    if (s.codeId !== null) scannedCodes.add(s.codeId)
    if (!s.counted) continue
    times.push(s.at)
    if (s.regionCode !== null) {
      regionScans++
      const t = regions.get(s.regionCode) ?? { key: s.regionCode, count: 0, lastAt: 0 }
      t.count++
      t.lastAt = Math.max(t.lastAt, s.at)
      regions.set(s.regionCode, t)
    }
  }
  const products = new Map<number, Tally<number> & { row: ClaimRow }>()
  const categories = new Map<string, Tally<string>>()
  let lastClaimAt: number | null = null
  let pointsEarned = 0
  for (const c of claims) {
    if (!scannedCodes.has(c.codeId)) times.push(c.at)
    lastClaimAt = lastClaimAt === null ? c.at : Math.max(lastClaimAt, c.at)
    if (c.at > since) pointsEarned += c.points
    const p = products.get(c.productId) ?? { key: c.productId, count: 0, lastAt: 0, row: c }
    p.count++
    p.lastAt = Math.max(p.lastAt, c.at)
    products.set(c.productId, p)
    if (c.category !== null) {
      const t = categories.get(c.category) ?? { key: c.category, count: 0, lastAt: 0 }
      t.count++
      t.lastAt = Math.max(t.lastAt, c.at)
      categories.set(c.category, t)
    }
  }
  times.sort((a, b) => a - b)
  const days: number[] = []
  for (const at of times) {
    const day = chinaDayNumber(at)
    if (days.at(-1) !== day) days.push(day)
  }
  const product = preferredOf([...products.values()])
  const category = preferredOf([...categories.values()])
  const region = preferredOf([...regions.values()])
  const productRow = product ? products.get(product.key)!.row : undefined
  return {
    scanCount: times.length,
    claimCount: claims.length,
    firstScanAt: times[0] ?? null,
    lastScanAt: times.at(-1) ?? null,
    lastClaimAt,
    pointsEarned,
    recentScans: times.filter((at) => at > since).length,
    usualIntervalDays: usualIntervalDays(days),
    product:
      product && productRow
        ? {
            id: product.key,
            sku: productRow.sku,
            name: productRow.name,
            claims: product.count,
            ofClaims: claims.length,
          }
        : null,
    category: category ? { name: category.key, claims: category.count, ofClaims: claims.length } : null,
    region: region ? { code: region.key, scans: region.count, ofScans: regionScans } : null,
  }
}

/**
 * The tags job of one brand: rolls every live member's activity up into member_activity and
 * rewrites their automatic tags, chunk by chunk of member ids, in three passes:
 *
 * 1. figures: per chunk, three set-based reads (the chunk's scans, claims with their products, and
 *    ledger balances, each read once through the member indexes), rollUpMember per member, and one
 *    upsert per member in the chunk's transaction;
 * 2. the brand's RFM distributions over the members who ever scanned;
 * 3. judgments, in the pure rules of auto-tags.ts: RFM scores, lifecycle, and the tags with their
 *    reasons. Each chunk replaces its members' automatic tags in one transaction: a tag that no
 *    longer applies is deleted, a new one inserted, a changed reason updated in place (so
 *    `created_at` says since when a tag applies, and a daily run rewrites a fraction of the rows a
 *    delete-all-then-insert would). A member never shows half a set; manual tags are never touched.
 *
 * Erased and merged members lose their activity row and their automatic tags. The figures of the
 * brand's members stay in memory between the passes (about 300 bytes a member).
 *
 * A generator: it yields between chunks, so that a server can answer requests in between
 * (`runProgrammeJobs`); `recomputeMemberTags` runs it to the end at once.
 *
 * @example
 * for (const _ of tagsJobSteps(db, brandId, now)) await new Promise(setImmediate)
 */
export function* tagsJobSteps(
  db: Db,
  brandId: number,
  now: number,
  opts: { chunkSize?: number } = {},
): Generator<void, TagsJobOutcome> {
  const q = statementsFor(db)
  const size = opts.chunkSize ?? ACTIVITY_CHUNK_SIZE
  const memberScans = q.memberScanCounts.all(brandId) as { id: number; scans: number }[]
  const ids = memberScans.map((r) => r.id)
  // Chunks of consecutive member ids (lo, hi], cut at `size` members or ACTIVITY_CHUNK_SCANS scans.
  const chunks: { lo: number; hi: number }[] = []
  let chunk = { lo: 0, hi: 0, members: 0, scans: 0 }
  for (const m of memberScans) {
    if (chunk.members > 0 && (chunk.members === size || chunk.scans + m.scans > ACTIVITY_CHUNK_SCANS)) {
      chunks.push({ lo: chunk.lo, hi: chunk.hi })
      chunk = { lo: chunk.hi, hi: 0, members: 0, scans: 0 }
    }
    chunk.hi = m.id
    chunk.members++
    chunk.scans += m.scans
  }
  if (chunk.members > 0) chunks.push({ lo: chunk.lo, hi: chunk.hi })
  yield
  const since = now - RECENT_DAYS * DAY_MS
  const figures = new Map<number, MemberFigures>()

  // Pass 1: the figures.
  for (const { lo, hi } of chunks) {
    const params = { brand: brandId, lo, hi }
    const members = q.chunkMembers.all(params) as { id: number; joinedAt: number; live: number }[]
    const scans = groupByMember(q.chunkScans.all(params) as (ScanRow & { memberId: number })[])
    const claims = groupByMember(q.chunkClaims.all(params) as (ClaimRow & { memberId: number })[])
    const balances = new Map(
      (q.chunkBalances.all(params) as { memberId: number; balance: number }[]).map((b) => [
        b.memberId,
        b.balance,
      ]),
    )
    const rows = members
      .filter((m) => m.live)
      .map((m) => {
        const f = rollUpMember(scans.get(m.id) ?? [], claims.get(m.id) ?? [], since)
        figures.set(m.id, {
          joinedAt: m.joinedAt,
          lastScanAt: f.lastScanAt,
          recentScans: f.recentScans,
          pointsEarned: f.pointsEarned,
          product: f.product,
          category: f.category,
          region: f.region,
        })
        return { memberId: m.id, balance: balances.get(m.id) ?? 0, ...f }
      })
    q.writeFigures({ brandId, lo, hi, now, rows })
    yield
  }

  // Pass 2: the brand's RFM distributions over members who ever scanned.
  const scored = [...figures.values()].filter((f) => f.lastScanAt !== null)
  const scales: BrandScales = {
    r: rfmScale(scored.map((f) => chinaDayNumber(f.lastScanAt!))),
    f: rfmScale(scored.map((f) => f.recentScans)),
    m: rfmScale(scored.map((f) => f.pointsEarned)),
  }
  yield

  // Pass 3: the judgments and the tags.
  const settings = readProgrammeSettings(db, brandId)
  const outcome: TagsJobOutcome = {
    members: 0,
    chunks: chunks.length,
    lifecycle: Object.fromEntries(LIFECYCLES.map((l) => [l, 0])) as Record<Lifecycle, number>,
    tags: 0,
  }
  let at = 0
  for (const { lo, hi } of chunks) {
    const verdicts: { memberId: number; verdict: ReturnType<typeof autoTagsOf> }[] = []
    for (; at < ids.length && ids[at]! <= hi; at++) {
      const memberId = ids[at]!
      const f = figures.get(memberId)
      if (f) verdicts.push({ memberId, verdict: autoTagsOf(f, settings, scales, now) })
    }
    q.writeVerdicts({ brandId, lo, hi, now, verdicts })
    for (const { verdict } of verdicts) {
      outcome.members++
      outcome.lifecycle[verdict.lifecycle]++
      outcome.tags += verdict.tags.length
    }
    yield
  }
  return outcome
}

/**
 * The tags job of one brand run to the end without yielding (tests, and callers that serve no
 * requests meanwhile).
 *
 * @example
 * recomputeMemberTags(db, brandId, clock.now()) // { members: 3, chunks: 1, lifecycle: { … }, tags: 14 }
 */
export function recomputeMemberTags(
  db: Db,
  brandId: number,
  now: number,
  opts: { chunkSize?: number } = {},
): TagsJobOutcome {
  const steps = tagsJobSteps(db, brandId, now, opts)
  for (;;) {
    const next = steps.next()
    if (next.done) return next.value
  }
}

function groupByMember<T extends { memberId: number }>(rows: T[]): Map<number, T[]> {
  const out = new Map<number, T[]>()
  for (const r of rows) {
    const list = out.get(r.memberId)
    if (list) list.push(r)
    else out.set(r.memberId, [r])
  }
  return out
}

type FigureRow = ActivityFigures & { memberId: number; balance: number }
type VerdictRow = { memberId: number; verdict: ReturnType<typeof autoTagsOf> }

// Statements over the tables of programme-schema.ts, member-schema.ts, scan-schema.ts,
// points-schema.ts, batch-schema.ts and product-schema.ts, each scoped by the brand. Every chunk
// read goes through a member index by id range. The unary + on a brand_id keeps SQLite off that
// table's brand index: without ANALYZE statistics the planner chose scans_brand_at_idx and read
// every scan of the brand for each chunk (measured at 1M scans: over 120 s, against ~25 s of CPU).
const statementsFor = preparedPerConnection((c) => {
  const deleteDeparted = c.prepare(`
    DELETE FROM member_activity
     WHERE +brand_id = @brandId AND member_id > @lo AND member_id <= @hi
       AND member_id IN (SELECT id FROM members WHERE +brand_id = @brandId AND id > @lo AND id <= @hi
                            AND (deleted_at IS NOT NULL OR merged_into_id IS NOT NULL))`)
  // Judgments (RFM, lifecycle) stay as they were until pass 3 of the same run rewrites them.
  const upsertFigures = c.prepare(`
    INSERT INTO member_activity (member_id, brand_id, scan_count, claim_count, first_scan_at, last_scan_at,
                                 last_claim_at, points_earned, balance, usual_interval_days,
                                 preferred_region, preferred_product_id, preferred_category, computed_at)
    VALUES (@memberId, @brandId, @scanCount, @claimCount, @firstScanAt, @lastScanAt, @lastClaimAt,
            @pointsEarned, @balance, @usualIntervalDays, @region, @productId, @category, @now)
    ON CONFLICT (member_id) DO UPDATE SET
      scan_count = excluded.scan_count, claim_count = excluded.claim_count,
      first_scan_at = excluded.first_scan_at, last_scan_at = excluded.last_scan_at,
      last_claim_at = excluded.last_claim_at, points_earned = excluded.points_earned,
      balance = excluded.balance, usual_interval_days = excluded.usual_interval_days,
      preferred_region = excluded.preferred_region, preferred_product_id = excluded.preferred_product_id,
      preferred_category = excluded.preferred_category, computed_at = excluded.computed_at`)
  const updateVerdict = c.prepare(`
    UPDATE member_activity SET rfm_r = @r, rfm_f = @f, rfm_m = @m, lifecycle = @lifecycle
     WHERE member_id = @memberId AND brand_id = @brandId`)
  const autoTagsOfChunk = c.prepare(`
    SELECT member_id AS memberId, tag, reason FROM member_tags
     WHERE +brand_id = @brandId AND source = 'auto' AND member_id > @lo AND member_id <= @hi`)
  const deleteTag = c.prepare(
    "DELETE FROM member_tags WHERE member_id = ? AND tag = ? AND source = 'auto' AND brand_id = ?",
  )
  const updateReason = c.prepare(
    "UPDATE member_tags SET reason = ? WHERE member_id = ? AND tag = ? AND source = 'auto' AND brand_id = ?",
  )
  // A manual tag of the same name stays as staff wrote it.
  const insertTag = c.prepare(`
    INSERT INTO member_tags (member_id, brand_id, tag, source, reason, created_by_staff_id, created_at)
    VALUES (?, ?, ?, 'auto', ?, NULL, ?)
    ON CONFLICT (member_id, tag) DO NOTHING`)
  type Chunk = { brandId: number; lo: number; hi: number; now: number }
  return {
    // Each count reads only the member index (member_id, at): cheap next to the rows themselves.
    memberScanCounts: c.prepare(`
      SELECT m.id, (SELECT count(*) FROM scans s WHERE s.member_id = m.id) AS scans
        FROM members m WHERE m.brand_id = ? ORDER BY m.id`),
    chunkMembers: c.prepare(`
      SELECT id, created_at AS joinedAt, (deleted_at IS NULL AND merged_into_id IS NULL) AS live
        FROM members WHERE +brand_id = @brand AND id > @lo AND id <= @hi`),
    chunkScans: c.prepare(`
      SELECT member_id AS memberId, code_id AS codeId, at, region_code AS regionCode, counted
        FROM scans WHERE +brand_id = @brand AND member_id > @lo AND member_id <= @hi`),
    chunkClaims: c.prepare(`
      SELECT cl.member_id AS memberId, cl.code_id AS codeId, cl.created_at AS at, cl.points,
             p.id AS productId, p.sku, p.name, p.category
        FROM claims cl
        JOIN codes k ON k.id = cl.code_id
        JOIN batches b ON b.id = k.batch_id
        JOIN products p ON p.id = b.product_id
       WHERE cl.brand_id = @brand AND cl.member_id > @lo AND cl.member_id <= @hi`),
    chunkBalances: c.prepare(`
      SELECT member_id AS memberId, sum(amount) AS balance FROM ledger_entries
       WHERE brand_id = @brand AND member_id > @lo AND member_id <= @hi GROUP BY member_id`),
    writeFigures: c.transaction((p: Chunk & { rows: FigureRow[] }) => {
      deleteDeparted.run({ brandId: p.brandId, lo: p.lo, hi: p.hi })
      for (const r of p.rows) {
        upsertFigures.run({
          memberId: r.memberId,
          brandId: p.brandId,
          scanCount: r.scanCount,
          claimCount: r.claimCount,
          firstScanAt: r.firstScanAt,
          lastScanAt: r.lastScanAt,
          lastClaimAt: r.lastClaimAt,
          pointsEarned: r.pointsEarned,
          balance: r.balance,
          usualIntervalDays: r.usualIntervalDays,
          region: r.region?.code ?? null,
          productId: r.product?.id ?? null,
          category: r.category?.name ?? null,
          now: p.now,
        })
      }
    }).immediate,
    writeVerdicts: c.transaction((p: Chunk & { verdicts: VerdictRow[] }) => {
      const before = new Map<number, Map<string, string>>()
      for (const t of autoTagsOfChunk.all(p) as { memberId: number; tag: string; reason: string }[]) {
        const tags = before.get(t.memberId) ?? new Map<string, string>()
        tags.set(t.tag, t.reason)
        before.set(t.memberId, tags)
      }
      for (const { memberId, verdict } of p.verdicts) {
        updateVerdict.run({
          memberId,
          brandId: p.brandId,
          r: verdict.rfm?.r ?? null,
          f: verdict.rfm?.f ?? null,
          m: verdict.rfm?.m ?? null,
          lifecycle: verdict.lifecycle,
        })
        const old = before.get(memberId) ?? new Map<string, string>()
        before.delete(memberId)
        for (const t of verdict.tags) {
          const reason = old.get(t.tag)
          old.delete(t.tag)
          if (reason === undefined) insertTag.run(memberId, p.brandId, t.tag, t.reason, p.now)
          else if (reason !== t.reason) updateReason.run(t.reason, memberId, t.tag, p.brandId)
        }
        for (const tag of old.keys()) deleteTag.run(memberId, tag, p.brandId)
      }
      // Members who left the programme (erased, merged) keep no automatic tags.
      for (const [memberId, old] of before) {
        for (const tag of old.keys()) deleteTag.run(memberId, tag, p.brandId)
      }
    }).immediate,
  }
})
