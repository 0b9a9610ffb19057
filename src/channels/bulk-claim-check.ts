import type { Db } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import { LruMap } from '../lru-map.ts'
import { recordSignal } from './diversion-cases.ts'
import { diversionSettingsOf } from './diversion-settings.ts'

export type ClaimMade = {
  brandId: number
  codeId: number
  memberId: number
  /** The scan the claim was made from, and the phone that made it. */
  scanId: number
  deviceId: string
  now: number
}

type CodeFacts = {
  batchId: number
  seq: number
  lot: string | null
  productId: number
  distributorId: number | null
  shipmentId: number | null
  regionCode: string | null
  threshold: number
  windowMinutes: number
}

type ExportRow = {
  id: number
  format: string
  seqFrom: number
  seqTo: number
  codeCount: number
  actorLabel: string
  downloadLinkId: number | null
  createdAt: number
}

/** At most this many of the window's claims are read back to name the exports. */
const EVIDENCE_CLAIMS = 5_000

const statementsFor = preparedPerConnection((c) => ({
  // One primary-key read: the claimed code's batch, product and binding, and the scan's region;
  // by scalar subqueries (each a primary-key read) rather than joins the planner could reorder.
  facts: c.prepare<
    { code: number; brand: number; scan: number },
    Omit<CodeFacts, 'threshold' | 'windowMinutes'>
  >(`
    SELECT c.batch_id AS batchId, c.seq, (SELECT lot FROM batches WHERE id = c.batch_id) AS lot,
           (SELECT product_id FROM batches WHERE id = c.batch_id) AS productId,
           c.distributor_id AS distributorId, c.shipment_id AS shipmentId,
           (SELECT region_code FROM scans WHERE id = @scan) AS regionCode
    FROM codes c
    WHERE c.id = @code AND c.brand_id = @brand`),
  // claims_member_idx (member_id, created_at) alone, without a table read: all the member's claims
  // of the window. Member ids are never shared between brands.
  memberTotal: c.prepare<[number, number], { n: number }>(
    'SELECT count(*) AS n FROM claims WHERE member_id = ? AND created_at >= ?',
  ),
  // The same range, then each claim's code for its batch: only when the total could reach the threshold.
  memberCount: c.prepare<{ member: number; since: number; brand: number; batch: number }, { n: number }>(`
    SELECT count(*) AS n FROM claims cl JOIN codes c ON c.id = cl.code_id
    WHERE cl.member_id = @member AND cl.created_at >= @since AND cl.brand_id = @brand AND c.batch_id = @batch`),
  memberSeqs: c.prepare<{ member: number; since: number; brand: number; batch: number }, { seq: number }>(`
    SELECT c.seq FROM claims cl JOIN codes c ON c.id = cl.code_id
    WHERE cl.member_id = @member AND cl.created_at >= @since AND cl.brand_id = @brand AND c.batch_id = @batch
    ORDER BY cl.created_at DESC LIMIT ${EVIDENCE_CLAIMS}`),
  exports: c.prepare<[number, number], ExportRow>(`
    SELECT id, format, seq_from AS seqFrom, seq_to AS seqTo, code_count AS codeCount, actor_label AS actorLabel,
           download_link_id AS downloadLinkId, created_at AS createdAt
    FROM print_exports WHERE batch_id = ? AND brand_id = ? ORDER BY id`),
}))

type DeviceClaim = { at: number; seq: number; memberId: number }

/**
 * The claims each phone made per batch in the last window, in memory. Claims and scans carry no
 * index by device (the schema is fixed for this work), so this is the one indexed way to ask "how
 * many codes of this batch did this phone claim in the last hour" without scanning the brand's
 * scans on every claim. It is per process (one SQLite writer serves every claim) and forgets on
 * restart, at worst letting one window's device count start over; the member check is durable.
 */
class DeviceClaimLog {
  static readonly MAX_KEYS = 20_000
  static readonly MAX_PER_KEY = 1_000
  private readonly byKey = new LruMap<string, DeviceClaim[]>(DeviceClaimLog.MAX_KEYS)

  /** Adds a claim and answers the phone's claims of the batch since `since`, this one included. */
  add(key: string, claim: DeviceClaim, since: number): DeviceClaim[] {
    const kept = (this.byKey.get(key) ?? []).filter((c) => c.at >= since)
    kept.push(claim)
    if (kept.length > DeviceClaimLog.MAX_PER_KEY) kept.splice(0, kept.length - DeviceClaimLog.MAX_PER_KEY)
    this.byKey.set(key, kept)
    return kept
  }
}

const deviceLogs = new WeakMap<Db, DeviceClaimLog>()

function deviceLogOf(db: Db): DeviceClaimLog {
  let log = deviceLogs.get(db)
  if (!log) {
    log = new DeviceClaimLog()
    deviceLogs.set(db, log)
  }
  return log
}

/**
 * Bulk-claiming confidence: 0.6 at the brand's threshold, rising by 0.35 per threshold's worth of
 * further claims, +0.1 when the claimed serials form one unbroken run (a print file claimed in
 * order); at most 0.95.
 */
export function bulkClaimConfidence(claims: number, threshold: number, inSerialOrder: boolean): number {
  const base = 0.6 + (0.35 * (claims - threshold)) / Math.max(1, threshold)
  return Math.round(Math.min(0.95, base + (inSerialOrder ? 0.1 : 0)) * 100) / 100
}

/**
 * Whether the n-th claim of a window files a signal: at the threshold and at every further
 * threshold's worth (20, 40, 60… by default). One leaked file claimed by one person makes a handful
 * of signals, each with the running count, the serial range and the exports, rather than one per
 * code; and the claim path pays for the evidence once per threshold's worth of claims.
 */
export function bulkClaimFires(claims: number, threshold: number): boolean {
  return claims >= threshold && (claims - threshold) % threshold === 0
}

/**
 * Run after a successful (new) claim: when one member, or one phone, has claimed the brand's
 * `bulk_claim_count` codes of the claimed code's batch within `bulk_claim_window_minutes` (and at
 * every further threshold's worth, see bulkClaimFires), a bulk-claim signal (leaked print file) is
 * filed on the claim's scan, naming the batch and the print exports whose seq ranges hold the
 * claimed codes. On the way through: the code with the brand's thresholds (primary key) and the
 * member's claims of the window (an index-only count). Only when that count reaches a firing point
 * (bulkClaimFires) is it narrowed to the claimed code's batch and the evidence read, so a member
 * mixing two batches is judged on the batch of the claim at that point. Phones are counted per
 * batch. Answers whether a signal was filed.
 *
 * @example
 * if (outcome.kind === 'claimed' && !outcome.replay) checkBulkClaim(db, { brandId, codeId, memberId, scanId, deviceId, now })
 */
export function checkBulkClaim(db: Db, claim: ClaimMade): boolean {
  const q = statementsFor(db)
  const code = q.facts.get({ code: claim.codeId, brand: claim.brandId, scan: claim.scanId })
  if (!code) return false
  const settings = diversionSettingsOf(db, claim.brandId)
  const facts: CodeFacts = {
    ...code,
    threshold: settings.bulkClaimCount,
    windowMinutes: settings.bulkClaimWindowMinutes,
  }
  const since = claim.now - facts.windowMinutes * 60_000
  const window = { member: claim.memberId, since, brand: claim.brandId, batch: facts.batchId }
  const byDevice = deviceLogOf(db).add(
    `${claim.brandId}:${claim.deviceId}:${facts.batchId}`,
    { at: claim.now, seq: facts.seq, memberId: claim.memberId },
    since,
  )
  // The member's claims of the window, of any batch, decide when to look (an index-only count);
  // how many are of this batch is read only then.
  const memberTotal = q.memberTotal.get(claim.memberId, since)?.n ?? 0
  const memberClaims = bulkClaimFires(memberTotal, facts.threshold) ? (q.memberCount.get(window)?.n ?? 0) : 0
  let by: 'member' | 'device'
  let seqs: number[]
  if (memberClaims >= facts.threshold) {
    by = 'member'
    seqs = q.memberSeqs.all(window).map((r) => r.seq)
  } else if (bulkClaimFires(byDevice.length, facts.threshold)) {
    by = 'device'
    seqs = byDevice.map((c) => c.seq)
  } else {
    return false
  }
  const count = by === 'member' ? memberClaims : byDevice.length
  const sorted = [...new Set(seqs)].sort((a, b) => a - b)
  const seqFrom = sorted[0] ?? facts.seq
  const seqTo = sorted[sorted.length - 1] ?? facts.seq
  const inSerialOrder = sorted.length > 1 && seqTo - seqFrom + 1 === sorted.length
  const exports = q.exports
    .all(facts.batchId, claim.brandId)
    .map((e) => ({ ...e, claimedCodes: sorted.filter((s) => s >= e.seqFrom && s <= e.seqTo).length }))
    .filter((e) => e.claimedCodes > 0)
  const confidence = bulkClaimConfidence(count, facts.threshold, inSerialOrder)
  const who =
    by === 'member'
      ? `Member ${claim.memberId}`
      : `One phone (${new Set(byDevice.map((c) => c.memberId)).size} member account(s))`
  const batchName = `batch ${facts.batchId}${facts.lot ? ` (lot ${facts.lot})` : ''}`
  const exportText =
    exports.length === 0
      ? 'No print export holds them.'
      : `Print export${exports.length > 1 ? 's' : ''} holding them: ${exports
          .map(
            (e) =>
              `#${e.id} ${e.format} seq ${e.seqFrom}–${e.seqTo} by ${e.actorLabel} on ` +
              `${new Date(e.createdAt).toISOString().slice(0, 10)} (${e.claimedCodes} of the claimed codes)`,
          )
          .join('; ')}.`
  const recorded = recordSignal(db, {
    brandId: claim.brandId,
    kind: 'bulk-claim',
    scanId: claim.scanId,
    codeId: claim.codeId,
    distributorId: facts.distributorId,
    productId: facts.productId,
    batchId: facts.batchId,
    shipmentId: facts.shipmentId,
    regionCode: facts.regionCode ?? '',
    confidence,
    distanceKm: null,
    reasons: {
      text:
        `${who} claimed ${count} codes of ${batchName} within ${facts.windowMinutes} minutes ` +
        `(the brand's threshold is ${facts.threshold}); serials ${seqFrom}–${seqTo}` +
        `${inSerialOrder ? ', in one unbroken run' : ''}. A leaked print file is the likely source. ` +
        `${exportText} Confidence ${confidence.toFixed(2)}.`,
      by,
      memberId: claim.memberId,
      claims: count,
      threshold: facts.threshold,
      windowMinutes: facts.windowMinutes,
      batchId: facts.batchId,
      lot: facts.lot,
      seqFrom,
      seqTo,
      inSerialOrder,
      exports: exports.map((e) => ({
        id: e.id,
        format: e.format,
        seqFrom: e.seqFrom,
        seqTo: e.seqTo,
        codeCount: e.codeCount,
        claimedCodes: e.claimedCodes,
        actor: e.actorLabel,
        downloadLinkId: e.downloadLinkId,
        at: e.createdAt,
      })),
    },
    at: claim.now,
  })
  return recorded.kind === 'recorded'
}
