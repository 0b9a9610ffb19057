import { and, eq, gte, sql } from 'drizzle-orm'
import { batches, codes } from '../batches/batch-schema.ts'
import type { Db, DbLike } from '../db/index.ts'
import { isUniqueViolation } from '../db/sqlite-errors.ts'
import { products } from '../products/product-schema.ts'
import { BRAND_ACCOUNTS, balanceOf, MEMBER_ACCOUNT, postTransaction } from './ledger-store.ts'
import { listTiers, type PointSettings, readPointSettings } from './point-settings-store.ts'
import { addCalendarMonths, chinaDayStart, chinaWeekStart, DAY_MS } from './points-calendar.ts'
import { claims } from './points-schema.ts'
import { applyMultiplier, BASE_MULTIPLIER_PCT } from './tier-rules.ts'
import { heldTier, raiseTierIfEarned } from './tier-store.ts'

export type ClaimInput = {
  brandId: number
  codeId: number
  memberId: number
  idempotencyKey: string
  now: number
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
  try {
    return db.transaction((tx): ClaimOutcome => {
      const previous = tx.select().from(claims).where(eq(claims.idempotencyKey, input.idempotencyKey)).get()
      if (previous && previous.memberId === input.memberId && previous.codeId === input.codeId) {
        return {
          kind: 'claimed',
          points: previous.points,
          balance: balanceOf(tx, input.brandId, input.memberId),
          replay: true,
        }
      }
      const code = tx
        .select({ id: codes.id, state: codes.state, points: products.points })
        .from(codes)
        .innerJoin(batches, eq(batches.id, codes.batchId))
        .innerJoin(products, eq(products.id, batches.productId))
        .where(and(eq(codes.id, input.codeId), eq(codes.brandId, input.brandId)))
        .get()
      if (!code) return { kind: 'not-found' }
      if (code.state === 'voided') return { kind: 'voided' }
      if (code.state === 'claimed') return alreadyClaimed(tx, input)
      if (code.state !== 'activated') return { kind: 'not-activated' }
      if (code.points <= 0) return { kind: 'no-points' }
      const settings = readPointSettings(tx, input.brandId)
      const brandTiers = listTiers(tx, input.brandId)
      // The tier held before this claim sets its rate; a tier this claim reaches applies from the next.
      const multiplierPct =
        brandTiers.length === 0
          ? BASE_MULTIPLIER_PCT
          : (heldTier(tx, input.brandId, input.memberId, brandTiers)?.multiplierPct ?? BASE_MULTIPLIER_PCT)
      const points = applyMultiplier(code.points, multiplierPct)
      const overCap = capExceeded(tx, input, settings, points)
      if (overCap) return overCap
      const moved = tx
        .update(codes)
        .set({ state: 'claimed', claimedAt: input.now })
        .where(and(eq(codes.id, code.id), eq(codes.state, 'activated')))
        .run()
      if (moved.changes !== 1) return alreadyClaimed(tx, input)
      const expiresAt =
        settings.expiryMonths === null ? null : addCalendarMonths(input.now, settings.expiryMonths)
      const txId = postTransaction(
        tx,
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
      tx.insert(claims)
        .values({
          brandId: input.brandId,
          codeId: code.id,
          memberId: input.memberId,
          txId,
          points,
          idempotencyKey: input.idempotencyKey,
          createdAt: input.now,
        })
        .run()
      if (brandTiers.length > 0) {
        raiseTierIfEarned(tx, input.brandId, input.memberId, input.now, {
          tiers: brandTiers,
          tierWindowDays: settings.tierWindowDays,
        })
      }
      return {
        kind: 'claimed',
        points,
        balance: balanceOf(tx, input.brandId, input.memberId),
        replay: false,
      }
    })
  } catch (err) {
    // Another process claimed the code (or used the key) between our read and our insert.
    if (isUniqueViolation(err)) return alreadyClaimed(db, input)
    throw err
  }
}

function alreadyClaimed(db: DbLike, input: ClaimInput): ClaimOutcome {
  const claim = db.select().from(claims).where(eq(claims.codeId, input.codeId)).get()
  return {
    kind: 'already-claimed',
    byYou: claim?.memberId === input.memberId,
    at: claim?.createdAt ?? input.now,
  }
}

/**
 * Whether crediting `points` now would take the member past the daily or weekly cap (China-time
 * calendar day and ISO week). The first claim of a period always passes, even when one code is
 * worth more than the whole cap: otherwise such a code could never be claimed at all.
 */
function capExceeded(
  tx: DbLike,
  input: ClaimInput,
  settings: PointSettings,
  points: number,
): Extract<ClaimOutcome, { kind: 'over-cap' }> | undefined {
  const earnedSince = (start: number) =>
    tx
      .select({ total: sql<number>`coalesce(sum(${claims.points}), 0)` })
      .from(claims)
      .where(
        and(
          eq(claims.memberId, input.memberId),
          eq(claims.brandId, input.brandId),
          gte(claims.createdAt, start),
        ),
      )
      .get()!.total
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
