import { and, asc, count, desc, eq, gt, isNotNull, isNull, lt, or, sql } from 'drizzle-orm'
import { customAlphabet } from 'nanoid'
import type { BrandDb } from '../db/brand-scope.ts'
import type { Db, DbLike } from '../db/index.ts'
import { isUniqueViolation } from '../db/sqlite-errors.ts'
import { members } from '../members/member-schema.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { expiredPoints, type LedgerLine, remainingLots } from './earning-lots.ts'
import { BRAND_ACCOUNTS, balanceOf, type Entry, MEMBER_ACCOUNT, postTransaction } from './ledger-store.ts'
import { ledgerEntries, redemptions, rewards } from './points-schema.ts'
import type { RewardInput } from './reward-input.ts'

export type Reward = typeof rewards.$inferSelect
export type Redemption = typeof redemptions.$inferSelect

/** Crockford base32 without I, L, O, U: read aloud or typed at a counter without confusion. */
export const REWARD_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export const REWARD_CODE_LENGTH = 10
// 50 random bits: guessing an issued code is hopeless; a collision is retried below.
const newRewardCode = customAlphabet(REWARD_CODE_ALPHABET, REWARD_CODE_LENGTH)

export const REDEMPTIONS_PAGE_SIZE = 50

/** Whether a reward can be redeemed at `now`: active and inside its availability window. */
export function isAvailableAt(
  reward: Pick<Reward, 'active' | 'availableFrom' | 'availableUntil'>,
  now: number,
) {
  return (
    reward.active &&
    (reward.availableFrom === null || reward.availableFrom <= now) &&
    (reward.availableUntil === null || now < reward.availableUntil)
  )
}

export function listRewards(bdb: BrandDb): Reward[] {
  return bdb.db
    .select()
    .from(rewards)
    .where(bdb.scoped(rewards))
    .orderBy(asc(rewards.pointsPrice), asc(rewards.id))
    .all()
}

/**
 * What a member may see in the catalogue at `now`: active rewards whose window has not ended
 * (rewards still to come are listed with their start date; ended ones are not).
 */
export function listCatalogue(bdb: BrandDb, now: number): Reward[] {
  return bdb.db
    .select()
    .from(rewards)
    .where(
      bdb.scoped(
        rewards,
        eq(rewards.active, true),
        or(isNull(rewards.availableUntil), gt(rewards.availableUntil, now)),
      ),
    )
    .orderBy(asc(rewards.pointsPrice), asc(rewards.id))
    .all()
}

export function findReward(bdb: BrandDb, id: number): Reward | undefined {
  return bdb.db
    .select()
    .from(rewards)
    .where(bdb.scoped(rewards, eq(rewards.id, id)))
    .get()
}

export type SaveRewardOutcome = { kind: 'saved'; reward: Reward } | { kind: 'not-found' }

/** Adds a reward to the brand's catalogue (audited). */
export function createReward(bdb: BrandDb, actor: Actor, input: RewardInput, now: number): SaveRewardOutcome {
  return bdb.db.transaction((tx) => {
    const reward = tx
      .insert(rewards)
      .values({ ...input, brandId: bdb.brandId, createdAt: now })
      .returning()
      .get()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'reward.create',
      subjectType: 'reward',
      subjectId: reward.id,
      detail: { ...input },
    })
    return { kind: 'saved', reward }
  })
}

/** Changes a reward; `stock` is the number of units left from now on (null = unlimited). */
export function updateReward(
  bdb: BrandDb,
  actor: Actor,
  id: number,
  input: RewardInput,
  now: number,
): SaveRewardOutcome {
  return bdb.db.transaction((tx) => {
    const reward = tx
      .update(rewards)
      .set(input)
      .where(bdb.scoped(rewards, eq(rewards.id, id)))
      .returning()
      .get()
    if (!reward) return { kind: 'not-found' }
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'reward.update',
      subjectType: 'reward',
      subjectId: reward.id,
      detail: { ...input },
    })
    return { kind: 'saved', reward }
  })
}

export type RedeemInput = {
  brandId: number
  memberId: number
  rewardId: number
  idempotencyKey: string
  now: number
}

export type RedeemOutcome =
  | {
      kind: 'redeemed'
      redemptionId: number
      rewardName: string
      code: string
      points: number
      balance: number
      replay: boolean
    }
  | { kind: 'insufficient'; balance: number; price: number }
  | { kind: 'out-of-stock' }
  | { kind: 'limit-reached'; limit: number }
  | { kind: 'not-available' }
  | { kind: 'not-found' }
  /** The idempotency key was already used for another member or reward: a client bug, not a retry. */
  | { kind: 'key-reused' }

/** A member's ledger lines, oldest first, for the FIFO earning-lot computations. */
export function memberLines(
  db: DbLike,
  brandId: number,
  memberId: number,
): (LedgerLine & { txId: number })[] {
  return db
    .select({
      id: ledgerEntries.id,
      txId: ledgerEntries.txId,
      amount: ledgerEntries.amount,
      expiresAt: ledgerEntries.expiresAt,
    })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.brandId, brandId), eq(ledgerEntries.memberId, memberId)))
    .orderBy(asc(ledgerEntries.id))
    .all()
}

/**
 * The points a member can spend at `now`: the balance less the points whose lots have expired but
 * that the daily expiry job has not written off yet.
 */
export function spendablePoints(db: DbLike, brandId: number, memberId: number, now: number): number {
  const lines = memberLines(db, brandId, memberId)
  return lines.reduce((s, l) => s + l.amount, 0) - expiredPoints(lines, now)
}

/**
 * Redeems a reward for a member in one transaction: the reward must be active and available now,
 * have stock left (taken by a guarded UPDATE, so two redemptions cannot take the last unit), be
 * under the member's limit, and the member must have enough unexpired points. Points that expired
 * but were not yet written off are written off first, in the same transaction: the FIFO order
 * would otherwise let the redemption consume those lots and leave later-expiring points behind.
 * Retrying with the same idempotency key answers the first redemption again.
 *
 * @example
 * redeemReward(db, { brandId, memberId, rewardId, idempotencyKey: form.key, now: clock.now() })
 */
export function redeemReward(db: Db, input: RedeemInput): RedeemOutcome {
  try {
    // IMMEDIATE takes the write lock before the first read: the balance, stock and limit this
    // transaction checks cannot change under it, even from another process.
    return db.transaction((tx) => redeemIn(tx, input), { behavior: 'immediate' })
  } catch (err) {
    // Only reachable if another connection inserted the same key between our read and our write.
    if (isUniqueViolation(err)) {
      const replay = db.transaction((tx) => replayOf(tx, input))
      if (replay) return replay
    }
    throw err
  }
}

function redeemIn(tx: DbLike, input: RedeemInput): RedeemOutcome {
  const replay = replayOf(tx, input)
  if (replay) return replay
  const reward = tx
    .select()
    .from(rewards)
    .where(and(eq(rewards.id, input.rewardId), eq(rewards.brandId, input.brandId)))
    .get()
  const member = tx
    .select({ id: members.id })
    .from(members)
    .where(and(eq(members.id, input.memberId), eq(members.brandId, input.brandId), isNull(members.deletedAt)))
    .get()
  if (!reward || !member) return { kind: 'not-found' }
  if (!isAvailableAt(reward, input.now)) return { kind: 'not-available' }
  if (reward.stock !== null && reward.stock <= 0) return { kind: 'out-of-stock' }
  if (reward.perMemberLimit !== null) {
    const taken = tx
      .select({ n: count() })
      .from(redemptions)
      .where(and(eq(redemptions.rewardId, reward.id), heldBy(input.memberId)))
      .get()!.n
    if (taken >= reward.perMemberLimit) return { kind: 'limit-reached', limit: reward.perMemberLimit }
  }
  const lines = memberLines(tx, input.brandId, input.memberId)
  const expired = expiredPoints(lines, input.now)
  const spendable = lines.reduce((s, l) => s + l.amount, 0) - expired
  if (spendable < reward.pointsPrice) {
    return { kind: 'insufficient', balance: spendable, price: reward.pointsPrice }
  }
  if (reward.stock !== null) {
    const taken = tx
      .update(rewards)
      .set({ stock: sql`${rewards.stock} - 1` })
      .where(and(eq(rewards.id, reward.id), isNotNull(rewards.stock), gt(rewards.stock, 0)))
      .run()
    if (taken.changes !== 1) return { kind: 'out-of-stock' }
  }
  if (expired > 0) {
    postTransaction(
      tx,
      input.brandId,
      {
        kind: 'expiry',
        memo: 'points expired',
        entries: [
          { account: MEMBER_ACCOUNT, memberId: input.memberId, amount: -expired },
          { account: BRAND_ACCOUNTS.expired, amount: expired },
        ],
      },
      input.now,
    )
  }
  const txId = postTransaction(
    tx,
    input.brandId,
    {
      kind: 'redemption',
      memo: `reward ${reward.id}`,
      entries: [
        { account: MEMBER_ACCOUNT, memberId: input.memberId, amount: -reward.pointsPrice },
        { account: BRAND_ACCOUNTS.redeemed, amount: reward.pointsPrice },
      ],
    },
    input.now,
  )
  const code = unusedRewardCode(tx)
  const redemption = tx
    .insert(redemptions)
    .values({
      brandId: input.brandId,
      rewardId: reward.id,
      memberId: input.memberId,
      txId,
      rewardCode: code,
      points: reward.pointsPrice,
      status: 'issued',
      idempotencyKey: input.idempotencyKey,
      createdAt: input.now,
    })
    .returning({ id: redemptions.id })
    .get()
  return {
    kind: 'redeemed',
    redemptionId: redemption.id,
    rewardName: reward.name,
    code,
    points: reward.pointsPrice,
    balance: balanceOf(tx, input.brandId, input.memberId),
    replay: false,
  }
}

function replayOf(tx: DbLike, input: RedeemInput): RedeemOutcome | undefined {
  const previous = tx
    .select({ r: redemptions, name: rewards.name })
    .from(redemptions)
    .innerJoin(rewards, eq(rewards.id, redemptions.rewardId))
    .where(eq(redemptions.idempotencyKey, input.idempotencyKey))
    .get()
  if (!previous) return undefined
  const { r } = previous
  if (r.memberId !== input.memberId || r.rewardId !== input.rewardId || r.brandId !== input.brandId) {
    return { kind: 'key-reused' }
  }
  return {
    kind: 'redeemed',
    redemptionId: r.id,
    rewardName: previous.name,
    code: r.rewardCode,
    points: r.points,
    balance: balanceOf(tx, input.brandId, input.memberId),
    replay: true,
  }
}

/** Inside the write-locked transaction, a code found unused stays unused until we insert it. */
function unusedRewardCode(tx: DbLike): string {
  for (;;) {
    const code = newRewardCode()
    const taken = tx
      .select({ id: redemptions.id })
      .from(redemptions)
      .where(eq(redemptions.rewardCode, code))
      .get()
    if (!taken) return code
  }
}

export type CancelOutcome =
  | { kind: 'cancelled'; redemption: Redemption }
  | { kind: 'already-cancelled'; at: number | null }
  | { kind: 'not-found' }

/**
 * Cancels an issued redemption (owner action): a reversal transaction gives the points back so
 * that the member's earning lots are exactly what they would be without the redemption (expiring
 * points never come back as permanent ones), the unit goes back into stock, and the audit log
 * records the reason.
 * The guarded status change makes a second cancellation — or a concurrent one — a no-op.
 *
 * @example
 * cancelRedemption(s.bdb, { staffId: s.staffId, label: s.email }, id, 'customer changed mind', now)
 */
export function cancelRedemption(
  bdb: BrandDb,
  actor: Actor,
  redemptionId: number,
  reason: string,
  now: number,
): CancelOutcome {
  return bdb.db.transaction(
    (tx): CancelOutcome => {
      const found = tx
        .select()
        .from(redemptions)
        .where(bdb.scoped(redemptions, eq(redemptions.id, redemptionId)))
        .get()
      if (!found) return { kind: 'not-found' }
      if (found.status === 'cancelled') return { kind: 'already-cancelled', at: found.cancelledAt }
      const reversalTxId = postTransaction(
        tx,
        bdb.brandId,
        {
          kind: 'reversal',
          memo: `redemption ${found.id} cancelled`,
          entries: [reversalCredit(tx, found), { account: BRAND_ACCOUNTS.redeemed, amount: -found.points }],
        },
        now,
      )
      const redemption = tx
        .update(redemptions)
        .set({ status: 'cancelled', cancelledAt: now, reversalTxId })
        .where(and(eq(redemptions.id, found.id), eq(redemptions.status, 'issued')))
        .returning()
        .get()
      // Unreachable under the write lock; a throw rolls the reversal back if it ever happens.
      if (!redemption) throw new Error(`redemption ${found.id} changed during its cancellation`)
      tx.update(rewards)
        .set({ stock: sql`${rewards.stock} + 1` })
        .where(and(eq(rewards.id, found.rewardId), isNotNull(rewards.stock)))
        .run()
      recordAudit(tx, bdb.brandId, actor, now, {
        action: 'redemption.cancel',
        subjectType: 'redemption',
        subjectId: found.id,
        detail: { reason, points: found.points, memberId: found.memberId, rewardId: found.rewardId },
      })
      return { kind: 'cancelled', redemption }
    },
    { behavior: 'immediate' },
  )
}

/**
 * The reversal's member credit: the price, expiring with the soonest lot the member would hold had
 * the redemption never happened. Lots are computed globally first-in-first-out (every debit uses
 * the soonest-expiring points), and the redemption's debit stays in the ledger; a credit that sorts
 * no later than every remaining lot is what that debit then uses up, so the member's lots come out
 * exactly as without the redemption. Crediting the original lots' own dates instead would let the
 * debit eat into restored short-dated points and leave long-dated ones behind.
 */
function reversalCredit(tx: DbLike, r: Redemption): Entry {
  const lines = memberLines(tx, r.brandId, r.memberId)
  const debit = lines.find((l) => l.txId === r.txId && l.amount < 0)
  // A redemption that moved with a merge (member-merge-store.ts) has its debit on the merged-away
  // member, whose remaining lots moved too: the points come back to the member it belongs to now.
  if (!debit && !wasMergedInto(tx, r)) {
    throw new Error(`redemption ${r.id} has no member debit in transaction ${r.txId}`)
  }
  const soonest = remainingLots(lines.filter((l) => l !== debit))[0]
  return {
    account: MEMBER_ACCOUNT,
    memberId: r.memberId,
    amount: r.points,
    expiresAt: soonest?.expiresAt ?? null,
  }
}

/** Whether the redemption's debit is on a member who was merged into the redemption's member. */
function wasMergedInto(tx: DbLike, r: Redemption): boolean {
  return (
    tx
      .select({ id: ledgerEntries.id })
      .from(ledgerEntries)
      .innerJoin(members, eq(members.id, ledgerEntries.memberId))
      .where(
        and(
          eq(ledgerEntries.txId, r.txId),
          eq(ledgerEntries.brandId, r.brandId),
          lt(ledgerEntries.amount, 0),
          isNotNull(members.mergedIntoId),
        ),
      )
      .get() !== undefined
  )
}

export type RedemptionRow = {
  id: number
  rewardName: string
  memberId: number
  memberPhone: string | null
  memberEmail: string | null
  code: string
  points: number
  status: Redemption['status']
  createdAt: number
  cancelledAt: number | null
}

/** Redemptions with their reward's name and the member's contact, for the console's lists. */
function selectRedemptions(bdb: BrandDb) {
  return bdb.db
    .select({
      id: redemptions.id,
      rewardName: rewards.name,
      memberId: redemptions.memberId,
      // The masked hints (the lists mask whatever they get); legacy plain text only before the
      // start-up backfill has encrypted it.
      memberPhone: sql<string | null>`coalesce(${members.phoneHint}, ${members.phone})`,
      memberEmail: sql<string | null>`coalesce(${members.emailHint}, ${members.email})`,
      code: redemptions.rewardCode,
      points: redemptions.points,
      status: redemptions.status,
      createdAt: redemptions.createdAt,
      cancelledAt: redemptions.cancelledAt,
    })
    .from(redemptions)
    .innerJoin(rewards, eq(rewards.id, redemptions.rewardId))
    .leftJoin(members, eq(members.id, redemptions.memberId))
}

/** One page of the brand's redemptions, newest first; `before` is the id to continue below. */
export function listRedemptions(bdb: BrandDb, before?: number) {
  const rows: RedemptionRow[] = selectRedemptions(bdb)
    .where(bdb.scoped(redemptions, before ? lt(redemptions.id, before) : undefined))
    .orderBy(desc(redemptions.id))
    .limit(REDEMPTIONS_PAGE_SIZE + 1)
    .all()
  const hasMore = rows.length > REDEMPTIONS_PAGE_SIZE
  return {
    rows: rows.slice(0, REDEMPTIONS_PAGE_SIZE),
    nextBefore: hasMore ? rows[REDEMPTIONS_PAGE_SIZE - 1]?.id : undefined,
  }
}

export function findRedemption(bdb: BrandDb, id: number): RedemptionRow | undefined {
  return selectRedemptions(bdb)
    .where(bdb.scoped(redemptions, eq(redemptions.id, id)))
    .get()
}

export type MemberRedemption = {
  id: number
  rewardName: string
  code: string
  points: number
  createdAt: number
}

/** A member's issued (not cancelled) reward codes, newest first, for the rewards page. */
export function memberRedemptions(bdb: BrandDb, memberId: number, limit = 20): MemberRedemption[] {
  return bdb.db
    .select({
      id: redemptions.id,
      rewardName: rewards.name,
      code: redemptions.rewardCode,
      points: redemptions.points,
      createdAt: redemptions.createdAt,
    })
    .from(redemptions)
    .innerJoin(rewards, eq(rewards.id, redemptions.rewardId))
    .where(bdb.scoped(redemptions, heldBy(memberId)))
    .orderBy(desc(redemptions.id))
    .limit(limit)
    .all()
}

/** The redemptions that count against a per-member limit: the member's, not cancelled. */
const heldBy = (memberId: number) => and(eq(redemptions.memberId, memberId), eq(redemptions.status, 'issued'))

/**
 * How many of each reward a member holds, counted as the per-member limit counts them in
 * redeemReward (issued, not cancelled), in one grouped read: the catalogue disables a button whose
 * limit is reached instead of answering 409 when it is pressed.
 *
 * @example
 * const held = memberRedemptionCounts(bdb, memberId) // Map { rewardId => 1 }
 */
export function memberRedemptionCounts(bdb: BrandDb, memberId: number): Map<number, number> {
  const rows = bdb.db
    .select({ rewardId: redemptions.rewardId, n: count() })
    .from(redemptions)
    .where(bdb.scoped(redemptions, heldBy(memberId)))
    .groupBy(redemptions.rewardId)
    .all()
  return new Map(rows.map((r) => [r.rewardId, r.n]))
}
