import { and, eq } from 'drizzle-orm'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src/db/index.ts'
import { remainingLots } from '../../../src/points/earning-lots.ts'
import { EXPIRY_JOB, expireDue, runDailyPointsJobs } from '../../../src/points/expiry-job.ts'
import {
  BRAND_ACCOUNTS,
  balanceOf,
  checkLedger,
  MEMBER_ACCOUNT,
  postTransaction,
} from '../../../src/points/ledger-store.ts'
import { DEFAULT_POINT_SETTINGS, savePointSettings } from '../../../src/points/point-settings-store.ts'
import { jobRuns, ledgerEntries, ledgerTransactions } from '../../../src/points/points-schema.ts'
import { TIER_REVIEW_JOB } from '../../../src/points/tier-store.ts'
import { pointsFixture } from '../../support/points-fixture.ts'
import type { TestApp } from '../../support/test-app.ts'

const DAY = 86_400_000
const BRAND = 1
let current: TestApp | undefined

afterEach(() => {
  if (current) expect(checkLedger(current.db.$client)).toEqual([])
  current = undefined
})

type Db = ReturnType<typeof openDatabase>

function linesOf(db: Db, memberId: number) {
  return db
    .select({ id: ledgerEntries.id, amount: ledgerEntries.amount, expiresAt: ledgerEntries.expiresAt })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.brandId, BRAND), eq(ledgerEntries.memberId, memberId)))
    .all()
}

function earn(db: Db, memberId: number, amount: number, expiresAt: number | null, now: number) {
  postTransaction(
    db,
    BRAND,
    {
      kind: 'claim',
      memo: 'earn',
      entries: [
        { account: MEMBER_ACCOUNT, memberId, amount, expiresAt },
        { account: BRAND_ACCOUNTS.issued, amount: -amount },
      ],
    },
    now,
  )
}

function spend(db: Db, memberId: number, amount: number, now: number) {
  postTransaction(
    db,
    BRAND,
    {
      kind: 'redemption',
      memo: 'spend',
      entries: [
        { account: MEMBER_ACCOUNT, memberId, amount: -amount },
        { account: BRAND_ACCOUNTS.redeemed, amount },
      ],
    },
    now,
  )
}

const txCount = (db: Db) => db.select().from(ledgerTransactions).all().length

const step = fc.oneof(
  fc.record({
    op: fc.constant('earn' as const),
    member: fc.nat(1),
    amount: fc.integer({ min: 1, max: 100 }),
    expiresInDays: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }),
  }),
  fc.record({
    op: fc.constant('spend' as const),
    member: fc.nat(1),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({ op: fc.constant('wait' as const), days: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ op: fc.constant('expire' as const) }),
)

describe('expiring points', () => {
  it('writes off exactly the expired remaining lots, FIFO, whatever the history, and is safe to run twice', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const db = openDatabase(':memory:')
        let now = Date.UTC(2026, 0, 1)
        for (const s of steps) {
          if (s.op === 'earn')
            earn(
              db,
              s.member + 1,
              s.amount,
              s.expiresInDays === null ? null : now + s.expiresInDays * DAY,
              now,
            )
          if (s.op === 'spend') {
            const amount = Math.floor(balanceOf(db, BRAND, s.member + 1) * s.share)
            if (amount > 0) spend(db, s.member + 1, amount, now)
          }
          if (s.op === 'wait') now += s.days * DAY
          if (s.op === 'expire') expireDue(db, BRAND, now)
        }
        expireDue(db, BRAND, now)
        for (const memberId of [1, 2]) {
          const lots = remainingLots(linesOf(db, memberId))
          expect(lots.filter((l) => l.expiresAt !== null && l.expiresAt <= now)).toEqual([])
          expect(lots.reduce((sum, l) => sum + l.remaining, 0)).toBe(balanceOf(db, BRAND, memberId))
        }
        const before = txCount(db)
        expect(expireDue(db, BRAND, now)).toEqual({ members: 0, points: 0 })
        expect(txCount(db)).toBe(before)
        expect(checkLedger(db.$client)).toEqual([])
        db.$client.close()
      }),
      { numRuns: 60 },
    )
  })

  it('expires the soonest lots first and keeps the later ones', () => {
    const db = openDatabase(':memory:')
    const t0 = Date.UTC(2026, 0, 1)
    earn(db, 1, 100, t0 + 10 * DAY, t0)
    earn(db, 1, 50, t0 + 40 * DAY, t0 + DAY)
    earn(db, 1, 20, null, t0 + 2 * DAY)
    spend(db, 1, 30, t0 + 3 * DAY)
    expect(expireDue(db, BRAND, t0 + 10 * DAY - 1)).toEqual({ members: 0, points: 0 })
    expect(expireDue(db, BRAND, t0 + 10 * DAY)).toEqual({ members: 1, points: 70 })
    expect(balanceOf(db, BRAND, 1)).toBe(70)
    expect(expireDue(db, BRAND, t0 + 400 * DAY)).toEqual({ members: 1, points: 50 })
    expect(balanceOf(db, BRAND, 1)).toBe(20)
    const expired = db
      .select()
      .from(ledgerEntries)
      .where(eq(ledgerEntries.account, BRAND_ACCOUNTS.expired))
      .all()
    expect(expired.map((e) => e.amount)).toEqual([70, 50])
    expect(checkLedger(db.$client)).toEqual([])
    db.$client.close()
  })
})

describe('the daily points jobs', () => {
  it('expire claimed points once a day and review tiers once a month, recording each run', async () => {
    const f = await pointsFixture({ points: 10 })
    current = f.t
    const { t, brand, bdb, member, claim } = f
    savePointSettings(
      bdb,
      { staffId: null, label: 'owner' },
      { ...DEFAULT_POINT_SETTINGS, expiryMonths: 1 },
      0,
    )
    const alice = member()
    claim(0, alice)
    claim(1, alice)
    t.clock.advance(40 * DAY)
    const first = runDailyPointsJobs(t.db, t.clock.now())
    expect(first.brands).toEqual([
      {
        brandId: brand.brandId,
        expiry: { kind: 'ran', members: 1, points: 20 },
        review: expect.objectContaining({ kind: 'reviewed' }),
      },
    ])
    expect(balanceOf(t.db, brand.brandId, alice)).toBe(0)
    const again = runDailyPointsJobs(t.db, t.clock.now() + 3_600_000)
    expect(again.brands[0]).toMatchObject({
      expiry: { kind: 'already-ran' },
      review: { kind: 'already-ran' },
    })
    const runs = t.db.select().from(jobRuns).where(eq(jobRuns.brandId, brand.brandId)).all()
    expect(runs.map((r) => r.job).sort()).toEqual([EXPIRY_JOB, TIER_REVIEW_JOB])
    expect(runs.find((r) => r.job === EXPIRY_JOB)?.detail).toEqual({ members: 1, points: 20 })
  })
})
