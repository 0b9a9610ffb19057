import type { DbLike } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import { OTP_TTL_MS } from '../members/member-store.ts'
import { DAY_MS } from '../points/points-calendar.ts'
import { type DayKey, dayStart } from './dashboard-days.ts'
import { DistinctCounter, type DistinctCounterJson } from './distinct-counter.ts'
import { rowidWindow } from './rowid-window.ts'

/**
 * What one brand did on one China-time day, read from the indexed tables: the counts of the
 * daily_stats row, and the breakdowns the dashboard adds up over a range (by region, product,
 * batch and distributor, and who scanned, was signed in, claimed and claimed again, as mergeable
 * distinct counters).
 *
 * Definitions (the page states them too):
 * - scans: counted scans of the brand's codes (a repeat by the same phone within the repeat window
 *   is recorded but not counted, as on the scan page);
 * - unique scanners: distinct devices (the scan page's device cookie) among the day's scans;
 * - sign-ins: one-time-code challenges used that day (a completed sign-in; member-store sets
 *   `used_at` only on the right code); signed-in members: the members who completed one, or who
 *   scanned while signed in (a session lasts beyond the day it began, so sign-ins alone would
 *   undercount the people a claim can come from);
 * - claims: points claims made that day, claimers: the members who made them, repeat claimers:
 *   those of them for whom it was not their first claim ever;
 * - redemptions: rewards redeemed that day (a later cancellation does not unmake the day's
 *   redemption); new members: members created that day.
 */
export type DayFigures = {
  day: DayKey
  scans: number
  uniqueScanners: number
  signIns: number
  claims: number
  redemptions: number
  newMembers: number
  devices: DistinctCounter
  /** Signed-in members ('m<id>'; an identity no member row matches counts as 'i<identifier>'). */
  signers: DistinctCounter
  claimers: DistinctCounter
  repeatClaimers: DistinctCounter
  /** Counted, located scans per region code ('CN-GD', 'US', …). */
  regions: Record<string, number>
  /** Product id → [counted scans, claims]. */
  products: Record<string, [number, number]>
  /** Batch id → counted scans. */
  batches: Record<string, number>
  /** Distributor id → counted scans and their regions (what a channel manager may see). */
  distributors: DistributorRollup
}

/** The brand-wide breakdowns as stored in job_runs.detail (job DAY_ROLLUP_JOB, ~6–12 KB a day). */
export type DayRollup = {
  v: 2
  devices: DistinctCounterJson
  signers: DistinctCounterJson
  claimers: DistinctCounterJson
  repeatClaimers: DistinctCounterJson
  regions: Record<string, number>
  products: Record<string, [number, number]>
  batches: Record<string, number>
}

/** The per-distributor breakdown, stored apart (only channel managers read it). */
export type DistributorRollup = Record<string, { scans: number; regions: Record<string, number> }>

type ScanRow = [
  deviceId: string,
  memberId: number | null,
  counted: number,
  regionCode: string | null,
  batchId: number | null,
  distributorId: number | null,
]

const statementsFor = preparedPerConnection((c) => ({
  // scans_brand_at_idx finds the day; the code row (by primary key) gives batch and distributor.
  scans: c
    .prepare(
      `SELECT s.device_id, s.member_id, s.counted, s.region_code, c.batch_id, c.distributor_id
       FROM scans s LEFT JOIN codes c ON c.id = s.code_id
       WHERE s.brand_id = ? AND s.at >= ? AND s.at < ?`,
    )
    .raw(true),
  batchProducts: c.prepare('SELECT id, product_id AS productId FROM batches WHERE brand_id = ?'),
  // A code is used within OTP_TTL_MS of being sent; the rowid window (rowid-window.ts) finds the
  // challenges sent from OTP_TTL_MS before the day to its end. The unary + keeps SQLite on that
  // window instead of walking every challenge of the brand in otp_identifier_idx (70 ms a day).
  signIns: c
    .prepare(
      `SELECT channel, identifier FROM otp_challenges
       WHERE id >= ? AND id < ? AND +brand_id = ? AND used_at >= ? AND used_at < ?`,
    )
    .raw(true),
  // A challenge's identifier is the keyed hash the member row keeps (members_brand_*_hash_uq).
  memberByPhone: c.prepare('SELECT id FROM members WHERE brand_id = ? AND phone_hash = ?').pluck(true),
  memberByEmail: c.prepare('SELECT id FROM members WHERE brand_id = ? AND email_hash = ?').pluck(true),
  // CROSS JOIN keeps claims the outer loop (read by its rowid window), codes and batches by key;
  // an earlier claim of the member is one probe of claims_member_idx.
  claims: c
    .prepare(
      `SELECT cl.member_id, b.product_id,
              EXISTS (SELECT 1 FROM claims p
                      WHERE p.member_id = cl.member_id AND p.created_at <= cl.created_at AND p.id <> cl.id)
       FROM claims cl CROSS JOIN codes c CROSS JOIN batches b
       WHERE cl.id >= ? AND cl.id < ? AND c.id = cl.code_id AND b.id = c.batch_id
         AND cl.brand_id = ? AND cl.created_at >= ? AND cl.created_at < ?`,
    )
    .raw(true),
  redemptions: c
    .prepare('SELECT count(*) FROM redemptions WHERE brand_id = ? AND created_at >= ? AND created_at < ?')
    .pluck(true),
  newMembers: c
    .prepare('SELECT count(*) FROM members WHERE brand_id = ? AND created_at >= ? AND created_at < ?')
    .pluck(true),
}))

/**
 * Reads one day of one brand, up to `until` (the day's end for a finished day, now for today).
 *
 * @example
 * const today = dayFigures(db, brandId, '2026-11-01', clock.now())
 * today.scans // 1234; today.devices.count() // 987
 */
export function dayFigures(db: DbLike, brandId: number, day: DayKey, until: number): DayFigures {
  const q = statementsFor(db)
  const from = dayStart(day)
  const to = Math.min(from + DAY_MS, until)
  const productOfBatch = new Map<number, number>()
  for (const b of q.batchProducts.all(brandId) as { id: number; productId: number }[])
    productOfBatch.set(b.id, b.productId)

  const f: DayFigures = {
    day,
    scans: 0,
    uniqueScanners: 0,
    signIns: 0,
    claims: 0,
    redemptions: 0,
    newMembers: 0,
    devices: new DistinctCounter(),
    signers: new DistinctCounter(),
    claimers: new DistinctCounter(),
    repeatClaimers: new DistinctCounter(),
    regions: {},
    products: {},
    batches: {},
    distributors: {},
  }
  const deviceSet = new Set<string>()
  const signedIn = new Set<string>()
  for (const [deviceId, memberId, counted, regionCode, batchId, distributorId] of q.scans.all(
    brandId,
    from,
    to,
  ) as ScanRow[]) {
    deviceSet.add(deviceId)
    if (memberId !== null) signedIn.add(`m${memberId}`)
    if (!counted) continue
    f.scans++
    if (regionCode) f.regions[regionCode] = (f.regions[regionCode] ?? 0) + 1
    if (batchId !== null) {
      f.batches[batchId] = (f.batches[batchId] ?? 0) + 1
      const productId = productOfBatch.get(batchId)
      if (productId !== undefined) productCounts(f, productId)[0]++
    }
    if (distributorId !== null) {
      f.distributors[distributorId] ??= { scans: 0, regions: {} }
      const d = f.distributors[distributorId]
      d.scans++
      if (regionCode) d.regions[regionCode] = (d.regions[regionCode] ?? 0) + 1
    }
  }
  for (const device of deviceSet) f.devices.add(device)
  f.uniqueScanners = deviceSet.size

  const sent = rowidWindow(db, 'otp_challenges', from - OTP_TTL_MS, to)
  const identities = new Map<string, string>()
  for (const [channel, identifier] of q.signIns.all(sent.lo, sent.hi, brandId, from, to) as [
    string,
    string,
  ][]) {
    f.signIns++
    identities.set(identifier, channel)
  }
  for (const [identifier, channel] of identities) {
    const memberId = (channel === 'email' ? q.memberByEmail : q.memberByPhone).get(brandId, identifier)
    signedIn.add(memberId === undefined ? `i${identifier}` : `m${memberId}`)
  }
  for (const s of signedIn) f.signers.add(s)

  const claimed = rowidWindow(db, 'claims', from, to)
  for (const [memberId, productId, repeat] of q.claims.all(claimed.lo, claimed.hi, brandId, from, to) as [
    number,
    number,
    number,
  ][]) {
    f.claims++
    productCounts(f, productId)[1]++
    f.claimers.add(String(memberId))
    if (repeat) f.repeatClaimers.add(String(memberId))
  }
  f.redemptions = q.redemptions.get(brandId, from, to) as number
  f.newMembers = q.newMembers.get(brandId, from, to) as number
  return f
}

function productCounts(f: DayFigures, productId: number): [number, number] {
  f.products[productId] ??= [0, 0]
  return f.products[productId]
}

export function rollupOf(f: DayFigures): DayRollup {
  return {
    v: 2,
    devices: f.devices.toJSON(),
    signers: f.signers.toJSON(),
    claimers: f.claimers.toJSON(),
    repeatClaimers: f.repeatClaimers.toJSON(),
    regions: f.regions,
    products: f.products,
    batches: f.batches,
  }
}

/** A finished day back from its daily_stats row and whichever stored breakdowns were read. */
export function figuresFromRollup(
  row: {
    day: DayKey
    scans: number
    uniqueScanners: number
    signIns: number
    claims: number
    redemptions: number
    newMembers: number
  },
  rollup: DayRollup | undefined,
  distributors: DistributorRollup | undefined,
): DayFigures {
  return {
    ...row,
    devices: DistinctCounter.fromJSON(rollup?.devices),
    signers: DistinctCounter.fromJSON(rollup?.signers),
    claimers: DistinctCounter.fromJSON(rollup?.claimers),
    repeatClaimers: DistinctCounter.fromJSON(rollup?.repeatClaimers),
    regions: rollup?.regions ?? {},
    products: rollup?.products ?? {},
    batches: rollup?.batches ?? {},
    distributors: distributors ?? {},
  }
}
