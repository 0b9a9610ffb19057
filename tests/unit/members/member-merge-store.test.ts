import { eq } from 'drizzle-orm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { brandDb } from '../../../src/db/brand-scope.ts'
import { mergeMembers, mergeRefusal } from '../../../src/members/member-merge-store.ts'
import { memberPii } from '../../../src/members/member-pii.ts'
import type { Member } from '../../../src/members/member-store.ts'
import { type Lot, remainingLots } from '../../../src/points/earning-lots.ts'
import {
  BRAND_ACCOUNTS,
  balanceOf,
  checkLedger,
  MEMBER_ACCOUNT,
  postTransaction,
} from '../../../src/points/ledger-store.ts'
import { ledgerEntries, ledgerTransactions, memberTiers, tiers } from '../../../src/points/points-schema.ts'
import { memberLines } from '../../../src/points/reward-store.ts'
import { insertMember } from '../../support/member-session.ts'
import { buildTestApp, insertBrand, START, type TestApp } from '../../support/test-app.ts'

const DAY = 86_400_000
const OWNER = { staffId: null, label: 'test' }

function earn(t: TestApp, brandId: number, memberId: number, amount: number, expiresAt: number | null) {
  postTransaction(
    t.db,
    brandId,
    {
      kind: 'claim',
      memo: 'earn',
      entries: [
        { account: MEMBER_ACCOUNT, memberId, amount, expiresAt },
        { account: BRAND_ACCOUNTS.issued, amount: -amount },
      ],
    },
    t.clock.now(),
  )
}

function spend(t: TestApp, brandId: number, memberId: number, amount: number) {
  postTransaction(
    t.db,
    brandId,
    {
      kind: 'redemption',
      memo: 'spend',
      entries: [
        { account: MEMBER_ACCOUNT, memberId, amount: -amount },
        { account: BRAND_ACCOUNTS.redeemed, amount },
      ],
    },
    t.clock.now(),
  )
}

/** Points of the lots expiring at or before `at` (never-expiring lots count at Infinity). */
const dueBy = (lots: Lot[], at: number) =>
  lots.filter((l) => (l.expiresAt ?? Infinity) <= at).reduce((s, l) => s + l.remaining, 0)

/** The lots as a comparable profile: points per expiry date. */
const profile = (lots: Lot[]) => {
  const byDate = new Map<number | null, number>()
  for (const l of lots) byDate.set(l.expiresAt, (byDate.get(l.expiresAt) ?? 0) + l.remaining)
  return [...byDate].sort((a, b) => (a[0] ?? Infinity) - (b[0] ?? Infinity))
}

async function twoMembers() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const a = insertMember(t, brand.brandId, { phone: '+8613800138000' })
  const b = insertMember(t, brand.brandId, { email: 'li.hua@example.com' })
  return { t, brandId: brand.brandId, a, b, bdb: brandDb(t.db, brand.brandId), pii: memberPii(t.masterKey) }
}

const step = fc.record({
  who: fc.constantFrom('a' as const, 'b' as const),
  op: fc.constantFrom('earn' as const, 'earn' as const, 'spend' as const),
  amount: fc.integer({ min: 1, max: 50 }),
  expiresInDays: fc.option(fc.integer({ min: 1, max: 400 }), { nil: null }),
})

describe('merging two members in the ledger', () => {
  it('moves every remaining point, keeps the ledger balanced, and never makes a point expire sooner', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
        const { t, brandId, a, b, bdb, pii } = await twoMembers()
        for (const s of steps) {
          const id = s.who === 'a' ? a.id : b.id
          if (s.op === 'earn') {
            earn(t, brandId, id, s.amount, s.expiresInDays === null ? null : START + s.expiresInDays * DAY)
          } else {
            const amount = Math.min(s.amount, balanceOf(t.db, brandId, id))
            if (amount > 0) spend(t, brandId, id, amount)
          }
          t.clock.advance(1_000)
        }
        const lotsA = remainingLots(memberLines(t.db, brandId, a.id))
        const lotsB = remainingLots(memberLines(t.db, brandId, b.id))
        const balanceA = balanceOf(t.db, brandId, a.id)
        const before = balanceA + balanceOf(t.db, brandId, b.id)

        const outcome = mergeMembers(bdb, pii, OWNER, { fromId: a.id, intoId: b.id }, t.clock.now())
        expect(outcome).toMatchObject({ kind: 'merged', pointsMoved: balanceA, lots: lotsA.length })

        expect(checkLedger(t.db.$client)).toEqual([])
        expect(balanceOf(t.db, brandId, a.id)).toBe(0)
        expect(remainingLots(memberLines(t.db, brandId, a.id))).toEqual([])
        expect(balanceOf(t.db, brandId, b.id)).toBe(before)
        const after = remainingLots(memberLines(t.db, brandId, b.id))
        const union = [...lotsA, ...lotsB]
        // FIFO is global over a member's lines: B's earlier spending may now use a moved lot that
        // expires sooner, freeing a later one of B's. So no date holds more points due than before.
        for (const l of union)
          expect(dueBy(after, l.expiresAt ?? Infinity)).toBeLessThanOrEqual(
            dueBy(union, l.expiresAt ?? Infinity),
          )
        if (!steps.some((s) => s.who === 'b' && s.op === 'spend'))
          expect(profile(after)).toEqual(profile(union))
      }),
      { numRuns: 30 },
    )
  })

  it('writes one merge transaction with a debit and a credit per lot, each keeping its expiry date', async () => {
    const { t, brandId, a, b, bdb, pii } = await twoMembers()
    earn(t, brandId, a.id, 30, START + 30 * DAY)
    earn(t, brandId, a.id, 20, null)
    earn(t, brandId, a.id, 10, START + 90 * DAY)
    spend(t, brandId, a.id, 35)
    const outcome = mergeMembers(bdb, pii, OWNER, { fromId: a.id, intoId: b.id }, t.clock.now())
    if (outcome.kind !== 'merged') throw new Error(outcome.kind)
    expect(outcome).toMatchObject({ pointsMoved: 25, lots: 2 })
    expect(
      t.db.select().from(ledgerTransactions).where(eq(ledgerTransactions.id, outcome.txId!)).get()?.kind,
    ).toBe('merge')
    const lines = t.db
      .select({
        memberId: ledgerEntries.memberId,
        amount: ledgerEntries.amount,
        expiresAt: ledgerEntries.expiresAt,
      })
      .from(ledgerEntries)
      .where(eq(ledgerEntries.txId, outcome.txId!))
      .all()
    expect(lines).toEqual([
      { memberId: a.id, amount: -5, expiresAt: START + 90 * DAY },
      { memberId: b.id, amount: 5, expiresAt: START + 90 * DAY },
      { memberId: a.id, amount: -20, expiresAt: null },
      { memberId: b.id, amount: 20, expiresAt: null },
    ])
  })

  it('moves nothing in the ledger for a member without points, and still merges', async () => {
    const { t, a, b, bdb, pii } = await twoMembers()
    const outcome = mergeMembers(bdb, pii, OWNER, { fromId: a.id, intoId: b.id }, t.clock.now())
    expect(outcome).toMatchObject({ kind: 'merged', pointsMoved: 0, txId: null })
    expect(t.db.select().from(ledgerTransactions).all()).toEqual([])
  })

  it('raises the kept member to the tier both members earned together', async () => {
    const { t, brandId, a, b, bdb, pii } = await twoMembers()
    t.db.insert(tiers).values({ brandId, name: 'Silver', threshold: 30, multiplierPct: 110 }).run()
    earn(t, brandId, a.id, 20, null)
    earn(t, brandId, b.id, 15, null)
    spend(t, brandId, a.id, 20)
    expect(mergeMembers(bdb, pii, OWNER, { fromId: a.id, intoId: b.id }, t.clock.now())).toMatchObject({
      kind: 'merged',
      pointsMoved: 0,
      tier: 'Silver',
    })
    const held = t.db.select().from(memberTiers).where(eq(memberTiers.memberId, b.id)).get()
    expect(held?.tierId).not.toBeNull()
  })
})

describe('which merges are refused', () => {
  const member = (over: Partial<Member>): Member =>
    ({ id: 1, mergedIntoId: null, deletedAt: null, ...over }) as Member
  it('names the reason for each refusal', () => {
    expect(mergeRefusal(undefined, member({ id: 2 }))).toEqual({ kind: 'not-found' })
    expect(mergeRefusal(member({ id: 1 }), undefined)).toEqual({ kind: 'target-not-found' })
    expect(mergeRefusal(member({ id: 1 }), member({ id: 1 }))).toEqual({ kind: 'same-member' })
    expect(mergeRefusal(member({ id: 1, mergedIntoId: 3, deletedAt: 1 }), member({ id: 2 }))).toEqual({
      kind: 'already-merged',
      intoId: 3,
    })
    expect(mergeRefusal(member({ id: 1, deletedAt: 1 }), member({ id: 2 }))).toEqual({ kind: 'erased' })
    expect(mergeRefusal(member({ id: 1 }), member({ id: 2, mergedIntoId: 3, deletedAt: 1 }))).toEqual({
      kind: 'target-merged',
      intoId: 3,
    })
    expect(mergeRefusal(member({ id: 1 }), member({ id: 2, deletedAt: 1 }))).toEqual({
      kind: 'target-erased',
    })
    expect(mergeRefusal(member({ id: 1 }), member({ id: 2 }))).toBeUndefined()
  })
})
