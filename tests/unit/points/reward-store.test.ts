import { and, eq } from 'drizzle-orm'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { brandDb } from '../../../src/db/brand-scope.ts'
import { expiredPoints, remainingLots } from '../../../src/points/earning-lots.ts'
import {
  BRAND_ACCOUNTS,
  balanceOf,
  checkLedger,
  MEMBER_ACCOUNT,
  postTransaction,
} from '../../../src/points/ledger-store.ts'
import { ledgerEntries, ledgerTransactions, redemptions, rewards } from '../../../src/points/points-schema.ts'
import type { RewardInput } from '../../../src/points/reward-input.ts'
import {
  cancelRedemption,
  createReward,
  memberLines,
  REWARD_CODE_ALPHABET,
  type RedeemOutcome,
  redeemReward,
  updateReward,
} from '../../../src/points/reward-store.ts'
import { auditLog } from '../../../src/staff/staff-schema.ts'
import { insertMember } from '../../support/member-session.ts'
import { buildTestApp, insertBrand, type TestApp } from '../../support/test-app.ts'

const DAY = 86_400_000
const owner = { staffId: null, label: 'owner@test' }
let current: TestApp | undefined

afterEach(() => {
  // Every ledger test ends with the invariants checked over the whole database.
  if (current) expect(checkLedger(current.db.$client)).toEqual([])
  current = undefined
})

const reward = (over: Partial<RewardInput> = {}): RewardInput => ({
  name: 'Tea cup',
  description: null,
  pointsPrice: 10,
  stock: null,
  perMemberLimit: null,
  availableFrom: null,
  availableUntil: null,
  active: true,
  ...over,
})

async function setup() {
  const t = buildTestApp()
  current = t
  const brand = await insertBrand(t, { slug: 'tea' })
  const bdb = brandDb(t.db, brand.brandId)
  const addReward = (over: Partial<RewardInput> = {}) => {
    const out = createReward(bdb, owner, reward(over), t.clock.now())
    if (out.kind !== 'saved') throw new Error('reward not saved')
    return out.reward
  }
  /** An earning lot, as a claim posts it: member credit with its expiry, brand:issued debit. */
  const earn = (memberId: number, amount: number, expiresAt: number | null) =>
    t.db.transaction((tx) =>
      postTransaction(
        tx,
        brand.brandId,
        {
          kind: 'claim',
          memo: 'test lot',
          entries: [
            { account: MEMBER_ACCOUNT, memberId, amount, expiresAt },
            { account: BRAND_ACCOUNTS.issued, amount: -amount },
          ],
        },
        t.clock.now(),
      ),
    )
  let keys = 0
  const redeem = (memberId: number, rewardId: number, idempotencyKey = `key-${++keys}-xxxxxxxxxxxx`) =>
    redeemReward(t.db, { brandId: brand.brandId, memberId, rewardId, idempotencyKey, now: t.clock.now() })
  return { t, brand, bdb, addReward, earn, redeem }
}

const redeemed = (o: RedeemOutcome) => {
  if (o.kind !== 'redeemed') throw new Error(`expected a redemption, got ${o.kind}`)
  return o
}

describe('redeeming a reward', () => {
  it('debits the price, takes a unit of stock and issues a ten-character reward code', async () => {
    const { t, brand, addReward, earn, redeem } = await setup()
    const m = insertMember(t, brand.brandId).id
    earn(m, 30, null)
    const cup = addReward({ pointsPrice: 12, stock: 5 })
    const out = redeemed(redeem(m, cup.id))
    expect(out).toMatchObject({ points: 12, balance: 18, replay: false, rewardName: 'Tea cup' })
    expect(out.code).toMatch(new RegExp(`^[${REWARD_CODE_ALPHABET}]{10}$`))
    expect(t.db.select().from(rewards).where(eq(rewards.id, cup.id)).get()!.stock).toBe(4)
    const brandSide = t.db
      .select()
      .from(ledgerEntries)
      .where(eq(ledgerEntries.account, BRAND_ACCOUNTS.redeemed))
      .all()
    expect(brandSide.map((e) => e.amount)).toEqual([12])
  })

  it('answers a retry with the same key with the first code, never a second debit', async () => {
    const { t, brand, addReward, earn, redeem } = await setup()
    const m = insertMember(t, brand.brandId).id
    earn(m, 30, null)
    const cup = addReward({ stock: 5 })
    const first = redeemed(redeem(m, cup.id, 'same-key-0123456789'))
    const again = redeemed(redeem(m, cup.id, 'same-key-0123456789'))
    expect(again).toMatchObject({ code: first.code, replay: true, balance: 20 })
    expect(balanceOf(t.db, brand.brandId, m)).toBe(20)
    expect(t.db.select().from(rewards).where(eq(rewards.id, cup.id)).get()!.stock).toBe(4)
    // The same key from another member is not a retry of this redemption.
    const other = insertMember(t, brand.brandId).id
    earn(other, 30, null)
    expect(redeem(other, cup.id, 'same-key-0123456789')).toEqual({ kind: 'key-reused' })
  })

  it('refuses with the points the member can spend when they are short', async () => {
    const { t, brand, addReward, earn, redeem } = await setup()
    const m = insertMember(t, brand.brandId).id
    earn(m, 9, null)
    const cup = addReward({ pointsPrice: 10, stock: 1 })
    expect(redeem(m, cup.id)).toEqual({ kind: 'insufficient', balance: 9, price: 10 })
    expect(t.db.select().from(rewards).where(eq(rewards.id, cup.id)).get()!.stock).toBe(1)
  })

  it('does not spend points that have expired but are not yet written off, and writes them off', async () => {
    const { t, brand, addReward, earn, redeem } = await setup()
    const m = insertMember(t, brand.brandId).id
    earn(m, 10, t.clock.now() + DAY)
    earn(m, 10, null)
    const cup = addReward({ pointsPrice: 15 })
    t.clock.advance(2 * DAY)
    expect(redeem(m, cup.id)).toEqual({ kind: 'insufficient', balance: 10, price: 15 })
    const small = addReward({ pointsPrice: 10 })
    expect(redeemed(redeem(m, small.id)).balance).toBe(0)
    const kinds = t.db.select({ kind: ledgerTransactions.kind }).from(ledgerTransactions).all()
    expect(kinds.map((k) => k.kind)).toEqual(['claim', 'claim', 'expiry', 'redemption'])
  })

  it('keeps the stock, the per-member limit and the availability window', async () => {
    const { t, brand, addReward, earn, redeem } = await setup()
    const a = insertMember(t, brand.brandId).id
    const b = insertMember(t, brand.brandId).id
    earn(a, 100, null)
    earn(b, 100, null)
    const limited = addReward({ stock: 2, perMemberLimit: 1 })
    redeemed(redeem(a, limited.id))
    expect(redeem(a, limited.id)).toEqual({ kind: 'limit-reached', limit: 1 })
    redeemed(redeem(b, limited.id))
    const c = insertMember(t, brand.brandId).id
    earn(c, 100, null)
    expect(redeem(c, limited.id)).toEqual({ kind: 'out-of-stock' })
    const later = addReward({ availableFrom: t.clock.now() + DAY, availableUntil: t.clock.now() + 2 * DAY })
    expect(redeem(a, later.id)).toEqual({ kind: 'not-available' })
    t.clock.advance(DAY)
    redeemed(redeem(a, later.id))
    t.clock.advance(DAY)
    expect(redeem(a, later.id)).toEqual({ kind: 'not-available' })
    const inactive = addReward({ active: false })
    expect(redeem(a, inactive.id)).toEqual({ kind: 'not-available' })
  })

  it("answers not-found for another brand's reward or member", async () => {
    const { t, brand, earn } = await setup()
    const other = await insertBrand(t, { slug: 'coffee' })
    const m = insertMember(t, brand.brandId).id
    earn(m, 100, null)
    const theirs = createReward(brandDb(t.db, other.brandId), owner, reward(), t.clock.now())
    if (theirs.kind !== 'saved') throw new Error('not saved')
    const input = {
      memberId: m,
      rewardId: theirs.reward.id,
      idempotencyKey: 'k-cross-brand-0001',
      now: t.clock.now(),
    }
    expect(redeemReward(t.db, { ...input, brandId: brand.brandId })).toEqual({ kind: 'not-found' })
    expect(redeemReward(t.db, { ...input, brandId: other.brandId })).toEqual({ kind: 'not-found' })
  })
})

describe('cancelling a redemption', () => {
  it('gives the points back with their expiry dates, returns the unit, and is audited once', async () => {
    const { t, brand, bdb, addReward, earn, redeem } = await setup()
    const m = insertMember(t, brand.brandId).id
    const soon = t.clock.now() + 10 * DAY
    earn(m, 6, soon)
    earn(m, 10, null)
    const cup = addReward({ pointsPrice: 8, stock: 1 })
    const out = redeemed(redeem(m, cup.id))
    const cancelled = cancelRedemption(
      bdb,
      owner,
      out.redemptionId,
      'customer changed their mind',
      t.clock.now(),
    )
    expect(cancelled.kind).toBe('cancelled')
    expect(balanceOf(t.db, brand.brandId, m)).toBe(16)
    expect(t.db.select().from(rewards).where(eq(rewards.id, cup.id)).get()!.stock).toBe(1)
    const reversal = t.db
      .select()
      .from(ledgerEntries)
      .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.txId))
      .where(and(eq(ledgerTransactions.kind, 'reversal'), eq(ledgerEntries.memberId, m)))
      .all()
      .map((r) => [r.ledger_entries.amount, r.ledger_entries.expiresAt])
    expect(reversal).toEqual([[8, soon]])
    // Cancelling did not turn the expiring points into permanent ones.
    expect(expiredPoints(memberLines(t.db, brand.brandId, m), soon)).toBe(6)
    expect(cancelRedemption(bdb, owner, out.redemptionId, 'again', t.clock.now())).toMatchObject({
      kind: 'already-cancelled',
    })
    const audits = t.db.select().from(auditLog).where(eq(auditLog.action, 'redemption.cancel')).all()
    expect(audits).toHaveLength(1)
    expect(audits[0]!.detail).toMatchObject({ reason: 'customer changed their mind', points: 8 })
  })

  it("cannot cancel another brand's redemption", async () => {
    const { t, brand, addReward, earn, redeem } = await setup()
    const other = await insertBrand(t, { slug: 'coffee' })
    const m = insertMember(t, brand.brandId).id
    earn(m, 10, null)
    const out = redeemed(redeem(m, addReward().id))
    expect(
      cancelRedemption(brandDb(t.db, other.brandId), owner, out.redemptionId, 'x', t.clock.now()),
    ).toEqual({
      kind: 'not-found',
    })
  })

  it('lets an owner change a reward and records it', async () => {
    const { t, bdb, addReward } = await setup()
    const cup = addReward()
    const out = updateReward(bdb, owner, cup.id, reward({ name: 'Big cup', stock: 3 }), t.clock.now())
    expect(out).toMatchObject({ kind: 'saved', reward: { name: 'Big cup', stock: 3 } })
    expect(updateReward(bdb, owner, 9999, reward(), t.clock.now())).toEqual({ kind: 'not-found' })
    expect(t.db.select().from(auditLog).where(eq(auditLog.subjectType, 'reward')).all()).toHaveLength(2)
  })
})

// ---- Property: any interleaving of earning, redeeming and cancelling keeps the books right ----

type Step =
  | { op: 'earn'; member: number; amount: number; expiresInDays: number | null; advanceH: number }
  | { op: 'redeem'; member: number; reward: number; advanceH: number }
  | { op: 'retry'; pick: number }
  | { op: 'cancel'; pick: number; advanceH: number }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('earn' as const),
    member: fc.nat(1),
    amount: fc.integer({ min: 1, max: 40 }),
    expiresInDays: fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }),
    advanceH: fc.integer({ min: 0, max: 72 }),
  }),
  fc.record({
    op: fc.constant('redeem' as const),
    member: fc.nat(1),
    reward: fc.nat(3),
    advanceH: fc.integer({ min: 0, max: 72 }),
  }),
  fc.record({ op: fc.constant('retry' as const), pick: fc.nat() }),
  fc.record({
    op: fc.constant('cancel' as const),
    pick: fc.nat(),
    advanceH: fc.integer({ min: 0, max: 72 }),
  }),
)

/** Points left per expiry date: what a member holds, whichever ledger lines carry it. */
const profile = (lots: { remaining: number; expiresAt: number | null }[]) => {
  const byExpiry = new Map<number | null, number>()
  for (const l of lots) byExpiry.set(l.expiresAt, (byExpiry.get(l.expiresAt) ?? 0) + l.remaining)
  return [...byExpiry].sort((a, b) => (a[0] ?? Infinity) - (b[0] ?? Infinity))
}

/** The catalogue of the property: limited stock, a limit, a window, and a plain unlimited reward. */
const CATALOGUE = (start: number): RewardInput[] => [
  reward({ name: 'cup', pointsPrice: 10, stock: 3, perMemberLimit: 2 }),
  reward({ name: 'bag', pointsPrice: 25 }),
  reward({
    name: 'pen',
    pointsPrice: 7,
    stock: 2,
    availableFrom: start + 5 * DAY,
    availableUntil: start + 20 * DAY,
  }),
  reward({ name: 'mug', pointsPrice: 1, perMemberLimit: 1 }),
]

describe('the ledger under any sequence of earning, redeeming and cancelling', () => {
  it('stays balanced, never spends expired points, and keeps stock and limits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
        const t = buildTestApp()
        // A fresh database per run; the brand is re-created with the cached password hash.
        const brand = await insertBrand(t, { slug: 'tea' })
        const bdb = brandDb(t.db, brand.brandId)
        const start = t.clock.now()
        const memberIds = [insertMember(t, brand.brandId).id, insertMember(t, brand.brandId).id]
        const catalogue = CATALOGUE(start).map((r) => {
          const out = createReward(bdb, owner, r, start)
          if (out.kind !== 'saved') throw new Error('not saved')
          return out.reward
        })
        const issued: {
          id: number
          key: string
          member: number
          reward: number
          code: string
          cancelled: boolean
        }[] = []
        let keys = 0
        const lines = (m: number) => memberLines(t.db, brand.brandId, m)
        const spendable = (m: number, now: number) =>
          remainingLots(lines(m))
            .filter((l) => l.expiresAt === null || l.expiresAt > now)
            .reduce((s, l) => s + l.remaining, 0)

        for (const step of steps) {
          if ('advanceH' in step) t.clock.advance(step.advanceH * 3_600_000)
          const now = t.clock.now()
          if (step.op === 'earn') {
            const m = memberIds[step.member]!
            const expiresAt = step.expiresInDays === null ? null : now + step.expiresInDays * DAY
            postTransaction(
              t.db,
              brand.brandId,
              {
                kind: 'claim',
                memo: 'lot',
                entries: [
                  { account: MEMBER_ACCOUNT, memberId: m, amount: step.amount, expiresAt },
                  { account: BRAND_ACCOUNTS.issued, amount: -step.amount },
                ],
              },
              now,
            )
          } else if (step.op === 'redeem') {
            const m = memberIds[step.member]!
            const r = catalogue[step.reward]!
            const row = t.db.select().from(rewards).where(eq(rewards.id, r.id)).get()!
            const mine = issued.filter((i) => i.member === m && i.reward === r.id && !i.cancelled).length
            const before = spendable(m, now)
            const balanceBefore = balanceOf(t.db, brand.brandId, m)
            const key = `prop-key-${++keys}-xxxxxxxx`
            const out = redeemReward(t.db, {
              brandId: brand.brandId,
              memberId: m,
              rewardId: r.id,
              idempotencyKey: key,
              now,
            })
            // The expected answer, from the catalogue and the lots alone.
            const available =
              (r.availableFrom === null || r.availableFrom <= now) &&
              (r.availableUntil === null || now < r.availableUntil)
            const expected = !available
              ? 'not-available'
              : row.stock !== null && row.stock <= 0
                ? 'out-of-stock'
                : r.perMemberLimit !== null && mine >= r.perMemberLimit
                  ? 'limit-reached'
                  : before < r.pointsPrice
                    ? 'insufficient'
                    : 'redeemed'
            expect(out.kind).toBe(expected)
            if (out.kind === 'redeemed') {
              issued.push({
                id: out.redemptionId,
                key,
                member: m,
                reward: r.id,
                code: out.code,
                cancelled: false,
              })
              // Exactly the price came out of unexpired points; nothing expired is left to spend.
              expect(spendable(m, now)).toBe(before - r.pointsPrice)
              expect(expiredPoints(lines(m), now)).toBe(0)
              expect(out.balance).toBe(before - r.pointsPrice)
            } else {
              expect(balanceOf(t.db, brand.brandId, m)).toBe(balanceBefore)
              if (out.kind === 'insufficient') expect(out.balance).toBe(before)
            }
          } else if (step.op === 'retry') {
            if (issued.length === 0) continue
            const first = issued[step.pick % issued.length]!
            const balanceBefore = balanceOf(t.db, brand.brandId, first.member)
            const out = redeemReward(t.db, {
              brandId: brand.brandId,
              memberId: first.member,
              rewardId: first.reward,
              idempotencyKey: first.key,
              now: t.clock.now(),
            })
            expect(out).toMatchObject({
              kind: 'redeemed',
              code: first.code,
              replay: true,
              balance: balanceBefore,
            })
          } else {
            if (issued.length === 0) continue
            const target = issued[step.pick % issued.length]!
            const r = catalogue.find((c) => c.id === target.reward)!
            const balanceBefore = balanceOf(t.db, brand.brandId, target.member)
            const out = cancelRedemption(bdb, owner, target.id, 'property', now)
            if (target.cancelled) {
              expect(out.kind).toBe('already-cancelled')
              expect(balanceOf(t.db, brand.brandId, target.member)).toBe(balanceBefore)
            } else {
              expect(out.kind).toBe('cancelled')
              target.cancelled = true
              expect(balanceOf(t.db, brand.brandId, target.member)).toBe(balanceBefore + r.pointsPrice)
              // The member's lots, with their expiry dates, are as if the redemption never happened.
              const row = t.db.select().from(redemptions).where(eq(redemptions.id, target.id)).get()!
              const all = lines(target.member)
              const without = all.filter((l) => l.txId !== row.txId && l.txId !== row.reversalTxId)
              expect(profile(remainingLots(all))).toEqual(profile(remainingLots(without)))
            }
          }

          // After every step, whatever it was:
          expect(checkLedger(t.db.$client)).toEqual([])
          for (const m of memberIds) {
            const balance = balanceOf(t.db, brand.brandId, m)
            expect(balance).toBeGreaterThanOrEqual(0)
            expect(remainingLots(lines(m)).reduce((s, l) => s + l.remaining, 0)).toBe(balance)
          }
          for (const r of catalogue) {
            const stock = t.db.select().from(rewards).where(eq(rewards.id, r.id)).get()!.stock
            const out = issued.filter((i) => i.reward === r.id && !i.cancelled).length
            if (r.stock !== null) {
              expect(stock).toBeGreaterThanOrEqual(0)
              expect(stock! + out).toBe(r.stock)
            }
            if (r.perMemberLimit !== null) {
              for (const m of memberIds) {
                const n = t.db
                  .select()
                  .from(redemptions)
                  .where(
                    and(
                      eq(redemptions.rewardId, r.id),
                      eq(redemptions.memberId, m),
                      eq(redemptions.status, 'issued'),
                    ),
                  )
                  .all().length
                expect(n).toBeLessThanOrEqual(r.perMemberLimit)
              }
            }
          }
        }
        t.db.$client.close()
      }),
      { numRuns: 150 },
    )
  }, 60_000)
})
