import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { Db } from '../db/index.ts'
import { BRAND_ACCOUNTS, MEMBER_ACCOUNT, postTransaction } from '../points/ledger-store.ts'
import { readPointSettings } from '../points/point-settings-store.ts'
import { addCalendarMonths, CHINA_OFFSET_MS, chinaDateKey, DAY_MS } from '../points/points-calendar.ts'
import { members } from './member-schema.ts'
import { birthdayBonuses, churnWarnings } from './programme-schema.ts'
import { readProgrammeSettings } from './programme-settings-store.ts'

/** How many credited member ids a birthday run keeps in its job_runs detail (the rest are counted). */
export const BIRTHDAY_DETAIL_IDS = 100

export type BirthdayOutcome =
  | { kind: 'off'; day: string }
  | {
      kind: 'ran'
      day: string
      points: number
      credited: number
      alreadyCredited: number
      /** The first BIRTHDAY_DETAIL_IDS members credited by this run. */
      memberIds: number[]
    }

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

/**
 * The month-days ('MM-DD') whose birthdays fall on this China-time date: the date itself, and on
 * 28 February of a year without a 29th also '02-29', so that leap-day members get their bonus.
 *
 * @example
 * birthdaysOn('2027-02-28') // ['02-28', '02-29']
 */
export function birthdaysOn(day: string): string[] {
  const monthDay = day.slice(5)
  return monthDay === '02-28' && !isLeapYear(Number(day.slice(0, 4))) ? ['02-28', '02-29'] : [monthDay]
}

/**
 * Credits the brand's birthday bonus to every live member (not erased, not merged away) whose
 * birthday is today in China time, once per member and year: the birthday_bonuses primary key
 * (member, year) and the ledger transaction are written together, in one IMMEDIATE transaction that
 * first reads which members already had this year's bonus, so running twice (or in two processes)
 * credits once. The credit is a 'bonus' transaction (member +N, 'brand:issued' −N), an earning lot
 * that expires after the brand's points expiry like a claim's; it does not count towards tiers.
 *
 * @example
 * creditBirthdayBonuses(db, brandId, clock.now()) // { kind: 'ran', credited: 3, alreadyCredited: 0, … }
 */
export function creditBirthdayBonuses(db: Db, brandId: number, now: number): BirthdayOutcome {
  const day = chinaDateKey(now)
  const points = readProgrammeSettings(db, brandId).birthdayPoints
  if (points <= 0) return { kind: 'off', day }
  const year = Number(day.slice(0, 4))
  return db.transaction(
    (tx): BirthdayOutcome => {
      const due = tx
        .select({ id: members.id, credited: birthdayBonuses.memberId })
        .from(members)
        .leftJoin(
          birthdayBonuses,
          and(eq(birthdayBonuses.memberId, members.id), eq(birthdayBonuses.year, year)),
        )
        .where(
          and(
            eq(members.brandId, brandId),
            isNull(members.deletedAt),
            isNull(members.mergedIntoId),
            inArray(sql`substr(${members.birthday}, 6, 5)`, birthdaysOn(day)),
          ),
        )
        .orderBy(members.id)
        .all()
      const { expiryMonths } = readPointSettings(tx, brandId)
      const expiresAt = expiryMonths === null ? null : addCalendarMonths(now, expiryMonths)
      const credited: number[] = []
      let alreadyCredited = 0
      for (const { id: memberId, credited: had } of due) {
        if (had !== null) {
          alreadyCredited++
          continue
        }
        const txId = postTransaction(
          tx,
          brandId,
          {
            kind: 'bonus',
            memo: `Birthday bonus ${year}`,
            entries: [
              { account: MEMBER_ACCOUNT, memberId, amount: points, expiresAt },
              { account: BRAND_ACCOUNTS.issued, amount: -points },
            ],
          },
          now,
        )
        tx.insert(birthdayBonuses).values({ memberId, year, brandId, txId, points, at: now }).run()
        credited.push(memberId)
      }
      return {
        kind: 'ran',
        day,
        points,
        credited: credited.length,
        alreadyCredited,
        memberIds: credited.slice(0, BIRTHDAY_DETAIL_IDS),
      }
    },
    { behavior: 'immediate' },
  )
}

export type ChurnOutcome = {
  factor: number
  /** Members on the list after this run. */
  warnings: number
  /** Members new on the list, and members who left it (they scanned again, or left the programme). */
  added: number
  cleared: number
}

/**
 * Rebuilds the brand's churn warning list: live members with a usual interval (three scanning days
 * at least) whose calendar days since their last scan exceed `churnFactor` × that interval. It
 * reads member_activity, so it runs after the tags job. The brand's rows are deleted and written
 * again in one transaction: a reader sees the old list or the new one.
 *
 * @example
 * refreshChurnWarnings(db, brandId, clock.now()) // { factor: 3, warnings: 17, added: 4, cleared: 2 }
 */
export function refreshChurnWarnings(db: Db, brandId: number, now: number): ChurnOutcome {
  const factor = readProgrammeSettings(db, brandId).churnFactor
  const today = Math.floor((now + CHINA_OFFSET_MS) / DAY_MS)
  return db.transaction(
    (tx) => {
      const listed = (): Set<number> =>
        new Set(
          tx
            .select({ id: churnWarnings.memberId })
            .from(churnWarnings)
            .where(eq(churnWarnings.brandId, brandId))
            .all()
            .map((r) => r.id),
        )
      const before = listed()
      tx.delete(churnWarnings).where(eq(churnWarnings.brandId, brandId)).run()
      // Calendar days in China time; the constants are inlined because a bound number is a REAL
      // to SQLite, and the day number needs integer division.
      const daysSince = sql`(${sql.raw(String(today))} - (a.last_scan_at + ${sql.raw(String(CHINA_OFFSET_MS))}) / ${sql.raw(String(DAY_MS))})`
      tx.run(sql`
        INSERT INTO churn_warnings (member_id, brand_id, usual_interval_days, days_since_last_scan,
                                    last_scan_at, computed_at)
        SELECT a.member_id, a.brand_id, a.usual_interval_days, ${daysSince}, a.last_scan_at, ${now}
          FROM member_activity a JOIN members m ON m.id = a.member_id
         WHERE a.brand_id = ${brandId} AND m.brand_id = ${brandId}
           AND a.usual_interval_days IS NOT NULL AND a.last_scan_at IS NOT NULL
           AND m.deleted_at IS NULL AND m.merged_into_id IS NULL
           AND ${daysSince} > ${factor} * a.usual_interval_days`)
      const after = listed()
      return {
        factor,
        warnings: after.size,
        added: [...after].filter((id) => !before.has(id)).length,
        cleared: [...before].filter((id) => !after.has(id)).length,
      }
    },
    { behavior: 'immediate' },
  )
}

export const CHURN_PAGE_SIZE = 50

/**
 * One page of the brand's churn warning list for the console, those who lapsed most recently
 * first (the ones a message may still bring back), with the contact columns for contactOf.
 *
 * @example
 * listChurnWarnings(bdb, 1) // { rows: [{ memberId, daysSinceLastScan, phoneHint, … }], hasMore, total }
 */
export function listChurnWarnings(bdb: BrandDb, page: number) {
  const rows = bdb.db
    .select({
      memberId: churnWarnings.memberId,
      usualIntervalDays: churnWarnings.usualIntervalDays,
      daysSinceLastScan: churnWarnings.daysSinceLastScan,
      lastScanAt: churnWarnings.lastScanAt,
      name: members.name,
      phone: members.phone,
      email: members.email,
      phoneEnc: members.phoneEnc,
      emailEnc: members.emailEnc,
      phoneHint: members.phoneHint,
      emailHint: members.emailHint,
    })
    .from(churnWarnings)
    .innerJoin(members, and(eq(members.id, churnWarnings.memberId), eq(members.brandId, bdb.brandId)))
    .where(bdb.scoped(churnWarnings))
    .orderBy(asc(churnWarnings.daysSinceLastScan), asc(churnWarnings.memberId))
    .limit(CHURN_PAGE_SIZE + 1)
    .offset((page - 1) * CHURN_PAGE_SIZE)
    .all()
  const total =
    bdb.db.select({ n: count() }).from(churnWarnings).where(bdb.scoped(churnWarnings)).get()?.n ?? 0
  return { rows: rows.slice(0, CHURN_PAGE_SIZE), hasMore: rows.length > CHURN_PAGE_SIZE, total }
}
