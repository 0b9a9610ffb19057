import { and, eq, isNotNull } from 'drizzle-orm'
import type { Db, DbLike } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import { members } from '../members/member-schema.ts'
import { DEFAULT_TIER_WINDOW_DAYS, listTiers, readPointSettings, type Tier } from './point-settings-store.ts'
import { chinaMonthKey, DAY_MS } from './points-calendar.ts'
import { jobRuns, memberTiers } from './points-schema.ts'
import { nextTierProgress, ranksAbove, tierAfterEarning, tierFor } from './tier-rules.ts'

export const TIER_REVIEW_JOB = 'tier-review'

/**
 * Points a member earned in the rolling window ending at `now`: the sum of their positive claim and
 * adjustment credits, including those of members merged into them. Not the balance: redeeming,
 * expiring or a negative adjustment does not lower it, and a merge moves a balance, not earnings.
 */
export function earnedInWindow(
  db: DbLike,
  brandId: number,
  memberId: number,
  now: number,
  windowDays: number = DEFAULT_TIER_WINDOW_DAYS,
): number {
  const row = statementsFor(db).earned.get({ brandId, memberId, since: now - windowDays * DAY_MS, now })
  return (row as { total: number }).total
}

/** The tier a member holds (null: none yet, or below every threshold at the last review). */
export function heldTier(db: DbLike, brandId: number, memberId: number, brandTiers?: Tier[]): Tier | null {
  const row = statementsFor(db).held.get(memberId, brandId) as { tierId: number | null } | undefined
  if (!row || row.tierId === null) return null
  return (brandTiers ?? listTiers(db, brandId)).find((t) => t.id === row.tierId) ?? null
}

// Read on every claim, so prepared once per connection (the tables of points-schema.ts).
const statementsFor = preparedPerConnection((c) => ({
  // A member merged into this one (member_merges, followed through chains of merges) earned with
  // the same person: their credits stay on their own id in the append-only ledger and count here.
  earned: c.prepare(`
    WITH RECURSIVE owned(id) AS (
      SELECT @memberId
      UNION SELECT m.from_member_id FROM member_merges m JOIN owned ON m.into_member_id = owned.id
      WHERE m.brand_id = @brandId
    )
    SELECT coalesce(sum(e.amount), 0) AS total
    FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.tx_id
    WHERE e.brand_id = @brandId AND e.member_id IN (SELECT id FROM owned) AND e.amount > 0
      AND t.kind IN ('claim', 'adjustment') AND e.created_at > @since AND e.created_at <= @now`),
  held: c.prepare('SELECT tier_id AS tierId FROM member_tiers WHERE member_id = ? AND brand_id = ?'),
}))

/**
 * Raises the member's tier at once if their earnings in the window reached a higher one; never
 * lowers it. Call it inside the transaction that credited the points.
 *
 * @example
 * raiseTierIfEarned(tx, brandId, memberId, now) // { tier: Gold, raised: true }
 */
export function raiseTierIfEarned(
  tx: DbLike,
  brandId: number,
  memberId: number,
  now: number,
  rules: { tiers: Tier[]; tierWindowDays: number } = {
    tiers: listTiers(tx, brandId),
    tierWindowDays: readPointSettings(tx, brandId).tierWindowDays,
  },
): { tier: Tier | null; raised: boolean } {
  if (rules.tiers.length === 0) return { tier: null, raised: false }
  const held = heldTier(tx, brandId, memberId, rules.tiers)
  const earned = earnedInWindow(tx, brandId, memberId, now, rules.tierWindowDays)
  const tier = tierAfterEarning(held, earned, rules.tiers)
  if (tier === held) return { tier, raised: false }
  setTier(tx, brandId, memberId, tier, now, null)
  return { tier, raised: true }
}

/** What a member's account page shows: the tier held, points earned in the window, and the next tier. */
export function tierStatus(db: DbLike, brandId: number, memberId: number, now: number) {
  const brandTiers = listTiers(db, brandId)
  const { tierWindowDays } = readPointSettings(db, brandId)
  const earned = earnedInWindow(db, brandId, memberId, now, tierWindowDays)
  const tier = heldTier(db, brandId, memberId, brandTiers)
  // The next tier is the first above both the tier held and the points earned.
  const { next, needed } = nextTierProgress(
    earned,
    brandTiers.filter((t) => ranksAbove(t, tier)),
  )
  return { tier, earned, windowDays: tierWindowDays, next, needed }
}

export type TierReviewOutcome =
  | { kind: 'reviewed'; period: string; reviewed: number; raised: number; lowered: number }
  | { kind: 'already-ran'; period: string }

/**
 * The periodic review (monthly, China-time month): every member of the brand gets the tier their
 * earnings in the window reach now, which is the only moment a tier goes down. Idempotent: the
 * job_runs row for the month is written in the same transaction, so a second run does nothing.
 *
 * @example
 * reviewTiers(db, brandId, clock.now()) // { kind: 'reviewed', period: '2026-12', lowered: 3, … }
 */
export function reviewTiers(db: Db, brandId: number, now: number): TierReviewOutcome {
  const period = chinaMonthKey(now)
  return db.transaction(
    (tx): TierReviewOutcome => {
      const claimed = tx
        .insert(jobRuns)
        .values({ job: TIER_REVIEW_JOB, brandId, period, at: now })
        .onConflictDoNothing()
        .run()
      if (claimed.changes === 0) return { kind: 'already-ran', period }
      const brandTiers = listTiers(tx, brandId)
      const { tierWindowDays } = readPointSettings(tx, brandId)
      const candidates = new Set<number>([
        ...tx
          .select({ id: memberTiers.memberId })
          .from(memberTiers)
          .where(and(eq(memberTiers.brandId, brandId), isNotNull(memberTiers.tierId)))
          .all()
          .map((r) => r.id),
        ...(brandTiers.length === 0
          ? []
          : tx
              .select({ id: members.id })
              .from(members)
              .where(eq(members.brandId, brandId))
              .all()
              .map((r) => r.id)),
      ])
      let raised = 0
      let lowered = 0
      for (const memberId of candidates) {
        const held = heldTier(tx, brandId, memberId, brandTiers)
        const due = tierFor(earnedInWindow(tx, brandId, memberId, now, tierWindowDays), brandTiers)
        if (due?.id !== held?.id) {
          if (ranksAbove(due, held)) raised++
          else lowered++
        }
        setTier(tx, brandId, memberId, due, due?.id === held?.id ? undefined : now, now)
      }
      const detail = { reviewed: candidates.size, raised, lowered }
      tx.update(jobRuns)
        .set({ detail })
        .where(
          and(eq(jobRuns.job, TIER_REVIEW_JOB), eq(jobRuns.brandId, brandId), eq(jobRuns.period, period)),
        )
        .run()
      return { kind: 'reviewed', period, ...detail }
    },
    { behavior: 'immediate' },
  )
}

/** Writes the member's tier; `since` changes only when the tier does (undefined keeps it). */
function setTier(
  tx: DbLike,
  brandId: number,
  memberId: number,
  tier: Tier | null,
  since: number | undefined,
  reviewedAt: number | null,
): void {
  const changes = {
    tierId: tier?.id ?? null,
    ...(since === undefined ? {} : { since }),
    ...(reviewedAt === null ? {} : { reviewedAt }),
  }
  tx.insert(memberTiers)
    .values({ memberId, brandId, tierId: tier?.id ?? null, since: since ?? reviewedAt ?? 0, reviewedAt })
    .onConflictDoUpdate({ target: memberTiers.memberId, set: changes })
    .run()
}
