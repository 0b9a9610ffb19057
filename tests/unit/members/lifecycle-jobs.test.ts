import { and, asc, eq } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { recomputeMemberTags } from '../../../src/members/activity-job.ts'
import {
  birthdaysOn,
  creditBirthdayBonuses,
  refreshChurnWarnings,
} from '../../../src/members/lifecycle-jobs.ts'
import { members } from '../../../src/members/member-schema.ts'
import {
  JOB_RUN_NAMES,
  PROGRAMME_JOBS,
  runDueProgrammeJobs,
  runProgrammeJobs,
} from '../../../src/members/programme-jobs.ts'
import { birthdayBonuses, churnWarnings } from '../../../src/members/programme-schema.ts'
import { saveProgrammeSettings } from '../../../src/members/programme-settings-store.ts'
import { balanceOf, checkLedger } from '../../../src/points/ledger-store.ts'
import { savePointSettings } from '../../../src/points/point-settings-store.ts'
import { addCalendarMonths } from '../../../src/points/points-calendar.ts'
import { jobRuns, ledgerEntries, ledgerTransactions } from '../../../src/points/points-schema.ts'
import { DAY, programmeFixture } from '../../support/programme-fixture.ts'
import type { TestApp } from '../../support/test-app.ts'

const actor = { staffId: null, label: 'test' }
const SETTINGS = { newDays: 30, activeDays: 90, churnDays: 365, birthdayPoints: 100, churnFactor: 3 }
/** Noon in China on a date. */
const chinaNoon = (date: string) => Date.parse(`${date}T04:00:00Z`)

let current: TestApp | undefined
afterEach(() => {
  // Whatever a test did, the ledger's invariants hold after it.
  if (current) expect(checkLedger(current.db.$client)).toEqual([])
  current = undefined
})

async function birthdayBrand(settings: Partial<typeof SETTINGS> = {}) {
  const f = await programmeFixture()
  current = f.t
  saveProgrammeSettings(f.bdb, actor, { ...SETTINGS, ...settings }, f.t.clock.now())
  return f
}

const bonusesOf = (t: TestApp, memberId: number) =>
  t.db
    .select({ year: birthdayBonuses.year, points: birthdayBonuses.points })
    .from(birthdayBonuses)
    .where(eq(birthdayBonuses.memberId, memberId))
    .orderBy(asc(birthdayBonuses.year))
    .all()

describe('the birthday bonus', () => {
  it('credits the birthday points once, however often the job runs that day', async () => {
    const f = await birthdayBrand()
    const born = f.member({ birthday: '1990-11-01' })
    const other = f.member({ birthday: '1990-11-02' })
    const now = chinaNoon('2026-11-01')

    expect(creditBirthdayBonuses(f.t.db, f.brand.brandId, now)).toEqual({
      kind: 'ran',
      day: '2026-11-01',
      points: 100,
      credited: 1,
      alreadyCredited: 0,
      memberIds: [born],
    })
    expect(creditBirthdayBonuses(f.t.db, f.brand.brandId, now + 3_600_000)).toMatchObject({
      credited: 0,
      alreadyCredited: 1,
      memberIds: [],
    })
    expect(balanceOf(f.t.db, f.brand.brandId, born)).toBe(100)
    expect(balanceOf(f.t.db, f.brand.brandId, other)).toBe(0)
    expect(bonusesOf(f.t, born)).toEqual([{ year: 2026, points: 100 }])
    const tx = f.t.db.select().from(ledgerTransactions).where(eq(ledgerTransactions.kind, 'bonus')).all()
    expect(tx).toHaveLength(1)
    expect(tx[0]?.memo).toBe('Birthday bonus 2026')
  })

  it('credits again on next year’s birthday', async () => {
    const f = await birthdayBrand()
    const born = f.member({ birthday: '1990-11-01' })
    creditBirthdayBonuses(f.t.db, f.brand.brandId, chinaNoon('2026-11-01'))
    creditBirthdayBonuses(f.t.db, f.brand.brandId, chinaNoon('2027-11-01'))
    expect(bonusesOf(f.t, born).map((b) => b.year)).toEqual([2026, 2027])
    expect(balanceOf(f.t.db, f.brand.brandId, born)).toBe(200)
  })

  it('goes by the date in China: 00:30 on the birthday counts, 23:30 the evening before does not', async () => {
    const f = await birthdayBrand()
    const born = f.member({ birthday: '1990-11-01' })
    // 2026-10-31 23:30 in China is 15:30 UTC.
    expect(creditBirthdayBonuses(f.t.db, f.brand.brandId, Date.UTC(2026, 9, 31, 15, 30))).toMatchObject({
      day: '2026-10-31',
      credited: 0,
    })
    // 2026-11-01 00:30 in China is still 31 October in UTC.
    expect(creditBirthdayBonuses(f.t.db, f.brand.brandId, Date.UTC(2026, 9, 31, 16, 30))).toMatchObject({
      day: '2026-11-01',
      memberIds: [born],
    })
  })

  it('credits a 29 February birthday on 28 February in other years, and on the 29th in leap years', async () => {
    expect(birthdaysOn('2027-02-28')).toEqual(['02-28', '02-29'])
    expect(birthdaysOn('2028-02-28')).toEqual(['02-28'])
    expect(birthdaysOn('2100-02-28')).toEqual(['02-28', '02-29'])
    const f = await birthdayBrand()
    const leap = f.member({ birthday: '2000-02-29' })
    const eve = f.member({ birthday: '2000-02-28' })
    expect(creditBirthdayBonuses(f.t.db, f.brand.brandId, chinaNoon('2027-02-28'))).toMatchObject({
      memberIds: [leap, eve],
    })
    expect(creditBirthdayBonuses(f.t.db, f.brand.brandId, chinaNoon('2027-03-01'))).toMatchObject({
      credited: 0,
    })
    expect(creditBirthdayBonuses(f.t.db, f.brand.brandId, chinaNoon('2028-02-28'))).toMatchObject({
      memberIds: [eve],
    })
    expect(creditBirthdayBonuses(f.t.db, f.brand.brandId, chinaNoon('2028-02-29'))).toMatchObject({
      memberIds: [leap],
    })
    expect(bonusesOf(f.t, leap).map((b) => b.year)).toEqual([2027, 2028])
  })

  it('skips erased and merged members, members of other brands, and everyone when the bonus is 0', async () => {
    const f = await birthdayBrand()
    const g = await programmeFixture({ t: f.t, slug: 'wine' })
    saveProgrammeSettings(g.bdb, actor, { ...SETTINGS, birthdayPoints: 0 }, f.t.clock.now())
    const live = f.member({ birthday: '1990-11-01' })
    const erased = f.member({ birthday: '1990-11-01', deletedAt: f.daysAgo(1) })
    const merged = f.member({ birthday: '1990-11-01', mergedIntoId: live })
    const theirs = g.member({ birthday: '1990-11-01' })
    const now = chinaNoon('2026-11-01')

    expect(creditBirthdayBonuses(f.t.db, f.brand.brandId, now)).toMatchObject({ memberIds: [live] })
    expect(creditBirthdayBonuses(f.t.db, g.brand.brandId, now)).toEqual({ kind: 'off', day: '2026-11-01' })
    for (const m of [erased, merged]) expect(balanceOf(f.t.db, f.brand.brandId, m)).toBe(0)
    expect(balanceOf(f.t.db, g.brand.brandId, theirs)).toBe(0)
    expect(f.t.db.select().from(birthdayBonuses).all()).toHaveLength(1)
  })

  it('credits an earning lot that expires with the brand’s points expiry', async () => {
    const f = await birthdayBrand()
    savePointSettings(
      f.bdb,
      actor,
      { expiryMonths: 12, dailyCap: null, weeklyCap: null, tierWindowDays: 365 },
      f.t.clock.now(),
    )
    const born = f.member({ birthday: '1990-11-01' })
    const now = chinaNoon('2026-11-01')
    creditBirthdayBonuses(f.t.db, f.brand.brandId, now)
    const line = f.t.db.select().from(ledgerEntries).where(eq(ledgerEntries.memberId, born)).get()
    expect(line).toMatchObject({ amount: 100, expiresAt: addCalendarMonths(now, 12) })
    const brandLine = f.t.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.txId, line!.txId), eq(ledgerEntries.account, 'brand:issued')))
      .get()
    expect(brandLine?.amount).toBe(-100)
  })
})

describe('the churn warning list', () => {
  /** A member who scanned on the given days ago (one scan each). */
  async function churnBrand() {
    const f = await programmeFixture()
    current = f.t
    saveProgrammeSettings(f.bdb, actor, SETTINGS, f.t.clock.now())
    const scanner = (...daysAgo: number[]) => {
      const m = f.member({ joinedAt: f.daysAgo(400) })
      for (const d of daysAgo) f.scan(m, f.daysAgo(d))
      return m
    }
    const refresh = () => {
      recomputeMemberTags(f.t.db, f.brand.brandId, f.t.clock.now())
      return refreshChurnWarnings(f.t.db, f.brand.brandId, f.t.clock.now())
    }
    const listed = () =>
      f.t.db
        .select()
        .from(churnWarnings)
        .where(eq(churnWarnings.brandId, f.brand.brandId))
        .orderBy(asc(churnWarnings.memberId))
        .all()
    return { f, scanner, refresh, listed }
  }

  it('lists members whose days since the last scan exceed the factor times their usual interval', async () => {
    const { f, scanner, refresh, listed } = await churnBrand()
    const regular = scanner(40, 30, 20) // every 10 days, last 20 days ago
    const atEdge = scanner(50, 40, 30) // 30 days = exactly 3 × 10: not past it
    const pastEdge = scanner(51, 41, 31) // 31 days > 30
    const lapsed = scanner(100, 90, 80)
    const twoDays = scanner(300, 200) // no usual interval
    const outcome = refresh()
    expect(outcome).toEqual({ factor: 3, warnings: 2, added: 2, cleared: 0 })
    expect(listed()).toEqual([
      {
        memberId: pastEdge,
        brandId: f.brand.brandId,
        usualIntervalDays: 10,
        daysSinceLastScan: 31,
        lastScanAt: f.daysAgo(31),
        computedAt: f.t.clock.now(),
      },
      expect.objectContaining({ memberId: lapsed, usualIntervalDays: 10, daysSinceLastScan: 80 }),
    ])
    expect(listed().map((w) => w.memberId)).not.toContain(regular)
    expect(listed().map((w) => w.memberId)).not.toContain(atEdge)
    expect(listed().map((w) => w.memberId)).not.toContain(twoDays)
  })

  it('gives the same list when run again, and clears a member who scanned again or left', async () => {
    const { f, scanner, refresh, listed } = await churnBrand()
    const a = scanner(100, 90, 80)
    const b = scanner(100, 90, 80)
    const c = scanner(100, 90, 80)
    refresh()
    expect(refresh()).toEqual({ factor: 3, warnings: 3, added: 0, cleared: 0 })
    f.scan(a, f.daysAgo(1))
    f.t.db.update(members).set({ deletedAt: f.t.clock.now() }).where(eq(members.id, b)).run()
    expect(refresh()).toEqual({ factor: 3, warnings: 1, added: 0, cleared: 2 })
    expect(listed().map((w) => w.memberId)).toEqual([c])
  })

  it('follows the brand’s churn factor', async () => {
    const { f, scanner, refresh } = await churnBrand()
    scanner(60, 50, 40)
    expect(refresh().warnings).toBe(1)
    saveProgrammeSettings(f.bdb, actor, { ...SETTINGS, churnFactor: 4.5 }, f.t.clock.now())
    expect(refresh()).toMatchObject({ factor: 4.5, warnings: 0, cleared: 1 })
  })

  it('leaves another brand’s list alone', async () => {
    const { f, scanner, refresh } = await churnBrand()
    const g = await programmeFixture({ t: f.t, slug: 'wine' })
    const theirs = g.member({ joinedAt: g.daysAgo(400) })
    for (const d of [100, 90, 80]) g.scan(theirs, g.daysAgo(d))
    recomputeMemberTags(f.t.db, g.brand.brandId, f.t.clock.now())
    refreshChurnWarnings(f.t.db, g.brand.brandId, f.t.clock.now())
    scanner(100, 90, 80)
    refresh()
    expect(
      f.t.db
        .select()
        .from(churnWarnings)
        .all()
        .map((w) => w.brandId),
    ).toEqual(expect.arrayContaining([f.brand.brandId, g.brand.brandId]))
    expect(f.t.db.select().from(churnWarnings).where(eq(churnWarnings.memberId, theirs)).get()).toBeDefined()
  })
})

describe('running the programme jobs', () => {
  it('records what each job did in job_runs under the China date', async () => {
    const f = await birthdayBrand()
    const born = f.member({ birthday: '1990-11-01', joinedAt: f.daysAgo(3) })
    const now = chinaNoon('2026-11-01')
    const outcome = await runProgrammeJobs(f.t.db, f.brand.brandId, {
      jobs: PROGRAMME_JOBS,
      now,
      trigger: 'cli',
    })
    expect(outcome.kind).toBe('ran')
    if (outcome.kind !== 'ran') return
    expect(outcome.reports.map((r) => [r.job, r.summary])).toEqual([
      ['tags', '1 member tagged: 1 new, 0 active, 0 dormant, 0 churned; 1 automatic tag'],
      ['birthday', '1 birthday bonus of 100 points credited'],
      ['churn', '0 members on the churn warning list (0 new, 0 cleared; factor 3)'],
    ])
    const runs = f.t.db.select().from(jobRuns).where(eq(jobRuns.brandId, f.brand.brandId)).all()
    expect(runs.map((r) => [r.job, r.period])).toEqual(
      expect.arrayContaining([
        [JOB_RUN_NAMES.tags, '2026-11-01'],
        [JOB_RUN_NAMES.birthday, '2026-11-01'],
        [JOB_RUN_NAMES.churn, '2026-11-01'],
      ]),
    )
    expect(runs.find((r) => r.job === JOB_RUN_NAMES.birthday)?.detail).toMatchObject({
      trigger: 'cli',
      credited: 1,
      memberIds: [born],
    })
  })

  it('runs each job once a day on the schedule, and again the next day', async () => {
    const f = await birthdayBrand()
    const born = f.member({ birthday: '1990-11-01' })
    const day1 = chinaNoon('2026-11-01')
    expect((await runDueProgrammeJobs(f.t.db, day1)).map((r) => r.job)).toEqual(['tags', 'birthday', 'churn'])
    expect(await runDueProgrammeJobs(f.t.db, day1 + 3_600_000)).toEqual([])
    expect(balanceOf(f.t.db, f.brand.brandId, born)).toBe(100)
    const day2 = await runDueProgrammeJobs(f.t.db, day1 + DAY)
    expect(day2.map((r) => [r.job, r.detail.trigger])).toEqual([
      ['tags', 'schedule'],
      ['birthday', 'schedule'],
      ['churn', 'schedule'],
    ])
    expect(balanceOf(f.t.db, f.brand.brandId, born)).toBe(100)
  })

  it('refuses a second run of the same brand while one is under way', async () => {
    const f = await birthdayBrand()
    f.member()
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = runProgrammeJobs(f.t.db, f.brand.brandId, {
      jobs: ['tags'],
      now: f.t.clock.now(),
      trigger: 'admin',
      pause: () => gate,
    })
    expect(
      await runProgrammeJobs(f.t.db, f.brand.brandId, {
        jobs: ['churn'],
        now: f.t.clock.now(),
        trigger: 'admin',
      }),
    ).toEqual({
      kind: 'busy',
    })
    release()
    expect((await first).kind).toBe('ran')
  })
})
