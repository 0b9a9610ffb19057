import { and, asc, eq, gt, inArray, isNotNull, lte } from 'drizzle-orm'
import type { Db } from '../db/index.ts'
import { brands } from '../staff/staff-schema.ts'
import { expiredPoints } from './earning-lots.ts'
import { BRAND_ACCOUNTS, MEMBER_ACCOUNT, postTransaction } from './ledger-store.ts'
import { chinaDateKey } from './points-calendar.ts'
import { jobRuns, ledgerEntries } from './points-schema.ts'
import { reviewTiers, type TierReviewOutcome } from './tier-store.ts'

export const EXPIRY_JOB = 'points-expiry'

export type ExpiryOutcome = { members: number; points: number }

/**
 * Writes off the points of every earning lot that expired by `now` and is not used up: one expiry
 * transaction per member (member −N, 'brand:expired' +N). Safe to run twice: the expiry debit uses up
 * exactly the expired lots (they are the soonest to expire, FIFO), so a second run finds nothing.
 * Runs as an IMMEDIATE transaction so that two processes cannot both read the same lots.
 *
 * @example
 * expireDue(db, brandId, clock.now()) // { members: 2, points: 130 }
 */
export function expireDue(db: Db, brandId: number, now: number): ExpiryOutcome {
  return db.transaction(
    (tx) => {
      const due = tx
        .selectDistinct({ memberId: ledgerEntries.memberId })
        .from(ledgerEntries)
        .where(
          and(
            eq(ledgerEntries.brandId, brandId),
            isNotNull(ledgerEntries.memberId),
            gt(ledgerEntries.amount, 0),
            lte(ledgerEntries.expiresAt, now),
          ),
        )
        .all()
        .map((r) => r.memberId!)
      if (due.length === 0) return { members: 0, points: 0 }
      const lines = tx
        .select({
          id: ledgerEntries.id,
          memberId: ledgerEntries.memberId,
          amount: ledgerEntries.amount,
          expiresAt: ledgerEntries.expiresAt,
        })
        .from(ledgerEntries)
        .where(and(eq(ledgerEntries.brandId, brandId), inArray(ledgerEntries.memberId, due)))
        .orderBy(asc(ledgerEntries.id))
        .all()
      const byMember = new Map<number, typeof lines>()
      for (const l of lines) byMember.set(l.memberId!, [...(byMember.get(l.memberId!) ?? []), l])
      let members = 0
      let points = 0
      for (const [memberId, memberLines] of byMember) {
        const n = expiredPoints(memberLines, now)
        if (n <= 0) continue
        postTransaction(
          tx,
          brandId,
          {
            kind: 'expiry',
            memo: 'points expired',
            entries: [
              { account: MEMBER_ACCOUNT, memberId, amount: -n },
              { account: BRAND_ACCOUNTS.expired, amount: n },
            ],
          },
          now,
        )
        members++
        points += n
      }
      return { members, points }
    },
    { behavior: 'immediate' },
  )
}

export type BrandJobsSummary = {
  brandId: number
  expiry: ({ kind: 'ran' } & ExpiryOutcome) | { kind: 'already-ran' }
  review: TierReviewOutcome
}

/**
 * The daily points jobs of every brand: expiry once per China-time day, the tier review once per
 * China-time month (the first daily run of a month does it). Each run is recorded in job_runs; a
 * second run the same day or month does nothing.
 *
 * @example
 * runDailyPointsJobs(db, clock.now()) // { day: '2026-11-02', brands: [{ brandId: 1, expiry: … }] }
 */
export function runDailyPointsJobs(db: Db, now: number): { day: string; brands: BrandJobsSummary[] } {
  const day = chinaDateKey(now)
  const summaries: BrandJobsSummary[] = []
  for (const { id: brandId } of db.select({ id: brands.id }).from(brands).orderBy(asc(brands.id)).all()) {
    summaries.push({
      brandId,
      expiry: runExpiryOnce(db, brandId, day, now),
      review: reviewTiers(db, brandId, now),
    })
  }
  return { day, brands: summaries }
}

function runExpiryOnce(db: Db, brandId: number, day: string, now: number): BrandJobsSummary['expiry'] {
  const ran = db
    .select({ at: jobRuns.at })
    .from(jobRuns)
    .where(and(eq(jobRuns.job, EXPIRY_JOB), eq(jobRuns.brandId, brandId), eq(jobRuns.period, day)))
    .get()
  if (ran) return { kind: 'already-ran' }
  // expireDue is itself safe to repeat, so a crash between it and this record only repeats a no-op.
  const outcome = expireDue(db, brandId, now)
  db.insert(jobRuns)
    .values({ job: EXPIRY_JOB, brandId, period: day, at: now, detail: outcome })
    .onConflictDoNothing()
    .run()
  return { kind: 'ran', ...outcome }
}
