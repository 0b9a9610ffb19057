import type { CodeState } from '../batches/batch-schema.ts'
import type { Db } from '../db/index.ts'
import { isUniqueViolation } from '../db/sqlite-errors.ts'
import { BRAND_ACCOUNTS, balanceOf, MEMBER_ACCOUNT, postTransaction } from './ledger-store.ts'
import { type PointSettings, pointRulesFor, type Tier } from './point-settings-store.ts'
import { addCalendarMonths, chinaDayStart, chinaWeekStart, DAY_MS } from './points-calendar.ts'
import { applyMultiplier, BASE_MULTIPLIER_PCT } from './tier-rules.ts'
import { heldTier, raiseTierIfEarned } from './tier-store.ts'

export type ClaimInput = {
  brandId: number
  codeId: number
  memberId: number
  idempotencyKey: string
  now: number
  /**
   * Called inside the claim's transaction once every check has passed (state, points, caps), just
   * before the award: an outcome it returns ends the claim without points. The brand's policy for
   * diverted goods uses it to hold or refuse (src/channels/diversion-policy.ts).
   */
  beforeAward?: (code: { id: number; points: number }) => ClaimOutcome | undefined
  /** Releasing a claim held for review: its caps were checked when it was held. */
  skipCaps?: boolean
}

export type ClaimOutcome =
  | { kind: 'claimed'; points: number; balance: number; replay: boolean }
  | { kind: 'already-claimed'; byYou: boolean; at: number }
  | { kind: 'not-activated' }
  | { kind: 'voided' }
  | { kind: 'no-points' }
  | { kind: 'not-found' }
  /** The award would pass the brand's cap: the code stays activated and can be claimed from then. */
  | { kind: 'over-cap'; cap: 'daily' | 'weekly'; claimableFrom: number }
  /** A claim of the code is held for review (diverted goods, the brand's 'hold' policy). */
  | { kind: 'held'; byYou: boolean; at: number }
  /** The scan shows the item outside its sales region and the brand refuses points for that. */
  | { kind: 'refused-diverted' }

/**
 * Awards a code's points to a member exactly once, in one transaction: the unique index on
 * claims(code_id) is the guard (another process racing us fails there), the code moves from
 * `activated` to `claimed`, and the ledger gets a balanced claim transaction. Retrying with the same
 * idempotency key answers the first outcome again instead of a second award.
 *
 * The credit is the product's points times the member's tier multiplier (rounded down), one earning
 * lot that expires `expiryMonths` calendar months later; an award over the daily or weekly cap
 * leaves the code untouched for later. A tier reached by this claim is raised in the same transaction.
 *
 * @example
 * claimCode(db, { brandId, codeId, memberId, idempotencyKey: form.key, now })
 */
export function claimCode(db: Db, input: ClaimInput): ClaimOutcome {
  const q = statementsFor(db)
  try {
    return q.claimInTransaction(db, input)
  } catch (err) {
    // Another process claimed the code (or used the key) between our read and our insert.
    if (isUniqueViolation(err)) return heldClaim(q, input) ?? alreadyClaimed(q, input)
    throw err
  }
}

/** The body of claimCode; it runs inside the transaction `q.claimInTransaction` opens. */
function claim(db: Db, input: ClaimInput): ClaimOutcome {
  const q = statementsFor(db)
  const previous = q.claimByKey.get(input.idempotencyKey) as
    | { memberId: number; codeId: number; points: number }
    | undefined
  if (previous && previous.memberId === input.memberId && previous.codeId === input.codeId) {
    return {
      kind: 'claimed',
      points: previous.points,
      balance: balanceOf(db, input.brandId, input.memberId),
      replay: true,
    }
  }
  const code = q.code.get(input.codeId, input.brandId) as
    | { id: number; state: CodeState; points: number }
    | undefined
  if (!code) return { kind: 'not-found' }
  if (code.state === 'voided') return { kind: 'voided' }
  if (code.state === 'claimed') return alreadyClaimed(q, input)
  if (code.state !== 'activated') return { kind: 'not-activated' }
  const held = heldClaim(q, input)
  if (held) return held
  if (code.points <= 0) return { kind: 'no-points' }
  const { settings, tiers: brandTiers } = pointRulesFor(db, input.brandId)
  // The tier held before this claim sets its rate; a tier this claim reaches applies from the next.
  const multiplierPct =
    brandTiers.length === 0
      ? BASE_MULTIPLIER_PCT
      : (heldTier(db, input.brandId, input.memberId, brandTiers as Tier[])?.multiplierPct ??
        BASE_MULTIPLIER_PCT)
  const points = applyMultiplier(code.points, multiplierPct)
  const overCap = input.skipCaps ? undefined : capExceeded(q, input, settings, points)
  if (overCap) return overCap
  const instead = input.beforeAward?.({ id: code.id, points })
  if (instead) return instead
  const moved = q.moveCode.run(input.now, code.id)
  if (moved.changes !== 1) return alreadyClaimed(q, input)
  const expiresAt =
    settings.expiryMonths === null ? null : addCalendarMonths(input.now, settings.expiryMonths)
  const txId = postTransaction(
    db,
    input.brandId,
    {
      kind: 'claim',
      memo: `code ${code.id}`,
      entries: [
        { account: MEMBER_ACCOUNT, memberId: input.memberId, amount: points, expiresAt },
        { account: BRAND_ACCOUNTS.issued, amount: -points },
      ],
    },
    input.now,
  )
  q.insertClaim.run(input.brandId, code.id, input.memberId, txId, points, input.idempotencyKey, input.now)
  if (brandTiers.length > 0) {
    raiseTierIfEarned(db, input.brandId, input.memberId, input.now, {
      tiers: brandTiers as Tier[],
      tierWindowDays: settings.tierWindowDays,
    })
  }
  return {
    kind: 'claimed',
    points,
    balance: balanceOf(db, input.brandId, input.memberId),
    replay: false,
  }
}

function alreadyClaimed(q: ClaimStatements, input: ClaimInput): ClaimOutcome {
  const claim = q.claimOfCode.get(input.codeId) as { memberId: number; createdAt: number } | undefined
  return {
    kind: 'already-claimed',
    byYou: claim?.memberId === input.memberId,
    at: claim?.createdAt ?? input.now,
  }
}

/** A claim of the code held for review blocks every other claim of it (one indexed lookup). */
function heldClaim(
  q: ClaimStatements,
  input: ClaimInput,
): Extract<ClaimOutcome, { kind: 'held' }> | undefined {
  const held = q.heldOfCode.get(input.codeId) as { memberId: number; createdAt: number } | undefined
  return held ? { kind: 'held', byYou: held.memberId === input.memberId, at: held.createdAt } : undefined
}

type ClaimStatements = ReturnType<typeof prepareClaimStatements>

// Claiming is the second-hottest path after scanning: its statements are prepared once per
// connection, in plain SQL over the tables of points-schema.ts, batch-schema.ts and
// product-schema.ts, and the transaction is wrapped once. Every statement runs on the connection
// the transaction is open on, so all of a claim's reads and writes stay in that one transaction
// (helpers handed `db` inside it run there too: better-sqlite3 has one connection per handle).
function prepareClaimStatements(c: Db['$client']) {
  return {
    claimByKey: c.prepare(
      'SELECT member_id AS memberId, code_id AS codeId, points FROM claims WHERE idempotency_key = ?',
    ),
    claimOfCode: c.prepare(
      'SELECT member_id AS memberId, created_at AS createdAt FROM claims WHERE code_id = ?',
    ),
    // held_claims (src/channels/channel-schema.ts): its partial unique index on code_id answers this.
    heldOfCode: c.prepare(
      "SELECT member_id AS memberId, created_at AS createdAt FROM held_claims WHERE code_id = ? AND status = 'held'",
    ),
    // The product's points by primary keys (batch, then product), not a join the planner could reorder.
    code: c.prepare(`
      SELECT c.id, c.state,
             (SELECT points FROM products WHERE id = (SELECT product_id FROM batches WHERE id = c.batch_id)) AS points
      FROM codes c
      WHERE c.id = ? AND c.brand_id = ?`),
    moveCode: c.prepare(
      "UPDATE codes SET state = 'claimed', claimed_at = ? WHERE id = ? AND state = 'activated'",
    ),
    insertClaim: c.prepare(`
      INSERT INTO claims (brand_id, code_id, member_id, tx_id, points, idempotency_key, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    earnedSince: c.prepare(
      'SELECT coalesce(sum(points), 0) AS total FROM claims WHERE member_id = ? AND brand_id = ? AND created_at >= ?',
    ),
    /** claim() in a (deferred) transaction, or a savepoint inside an open one; rolls back on a throw. */
    claimInTransaction: c.transaction(claim),
  }
}

const prepared = new WeakMap<Db, ClaimStatements>()

function statementsFor(db: Db): ClaimStatements {
  let q = prepared.get(db)
  if (!q) {
    q = prepareClaimStatements(db.$client)
    prepared.set(db, q)
  }
  return q
}

/**
 * Whether crediting `points` now would take the member past the daily or weekly cap (China-time
 * calendar day and ISO week). The first claim of a period always passes, even when one code is
 * worth more than the whole cap: otherwise such a code could never be claimed at all.
 */
function capExceeded(
  q: ClaimStatements,
  input: ClaimInput,
  settings: PointSettings,
  points: number,
): Extract<ClaimOutcome, { kind: 'over-cap' }> | undefined {
  const earnedSince = (start: number) =>
    (q.earnedSince.get(input.memberId, input.brandId, start) as { total: number }).total
  const over = (cap: number | null, start: number) => {
    if (cap === null) return false
    const earned = earnedSince(start)
    return earned > 0 && earned + points > cap
  }
  // The weekly cap first: when both are reached, tomorrow would not help.
  const weekStart = chinaWeekStart(input.now)
  if (over(settings.weeklyCap, weekStart)) {
    return { kind: 'over-cap', cap: 'weekly', claimableFrom: weekStart + 7 * DAY_MS }
  }
  const dayStart = chinaDayStart(input.now)
  if (over(settings.dailyCap, dayStart)) {
    return { kind: 'over-cap', cap: 'daily', claimableFrom: dayStart + DAY_MS }
  }
  return undefined
}
