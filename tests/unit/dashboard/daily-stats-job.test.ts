import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import {
  BATCH_RATES_JOB,
  DAY_ROLLUP_JOB,
  missingDays,
  readBatchRates,
  rollUpDay,
  runDailyStatsJob,
} from '../../../src/dashboard/daily-stats-job.ts'
import type { DayRollup } from '../../../src/dashboard/day-figures.ts'
import { DistinctCounter } from '../../../src/dashboard/distinct-counter.ts'
import { dailyStats } from '../../../src/members/programme-schema.ts'
import { jobRuns } from '../../../src/points/points-schema.ts'
import { scans } from '../../../src/scans/scan-schema.ts'
import { china, dashboardFixture } from '../../support/dashboard-fixture.ts'
import { START } from '../../support/test-app.ts'

const noPause = () => Promise.resolve()

function statsOf(f: Awaited<ReturnType<typeof dashboardFixture>>, brandId = f.brand.brandId) {
  return f.t.db
    .select()
    .from(dailyStats)
    .where(eq(dailyStats.brandId, brandId))
    .orderBy(dailyStats.day)
    .all()
    .map(({ computedAt: _, brandId: __, ...row }) => row)
}

function rollupOf(f: Awaited<ReturnType<typeof dashboardFixture>>, day: string): DayRollup {
  return f.t.db
    .select({ detail: jobRuns.detail })
    .from(jobRuns)
    .where(
      and(eq(jobRuns.job, DAY_ROLLUP_JOB), eq(jobRuns.brandId, f.brand.brandId), eq(jobRuns.period, day)),
    )
    .get()!.detail as unknown as DayRollup
}

describe('the daily stats job', () => {
  it('rolls up every finished China-time day since the brand began, and not today', async () => {
    const f = await dashboardFixture()
    const summary = await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    const tea = summary.brands.find((b) => b.brandId === f.brand.brandId)!
    expect(tea.days).toEqual(['2026-10-29', '2026-10-30', '2026-10-31'])
    expect(statsOf(f)).toEqual([
      {
        day: '2026-10-29',
        scans: 0,
        uniqueScanners: 0,
        signIns: 1,
        claims: 0,
        redemptions: 0,
        newMembers: 1,
      },
      {
        day: '2026-10-30',
        scans: 3,
        uniqueScanners: 3,
        signIns: 2,
        claims: 2,
        redemptions: 0,
        newMembers: 2,
      },
      {
        day: '2026-10-31',
        scans: 3,
        uniqueScanners: 2,
        signIns: 2,
        claims: 1,
        redemptions: 1,
        newMembers: 0,
      },
    ])
  })

  it('counts a scan at 23:59:59.999 in Shanghai on that day and one at 00:00 on the next', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    // device-C scanned at 2026-10-30 23:59:59.999 (15:59:59.999 UTC); device-A at 2026-10-31 00:00.
    expect(rollupOf(f, '2026-10-30').regions).toEqual({ 'CN-GD': 2, 'CN-SH': 1 })
    expect(rollupOf(f, '2026-10-31').regions).toEqual({ 'CN-GD': 2, US: 1 })
    // A code sent at 23:58 and used at 00:02 is a sign-in of the day it was used.
    expect(statsOf(f).find((r) => r.day === '2026-10-31')!.signIns).toBe(2)
  })

  it('keeps each day’s breakdowns: who scanned and signed in, regions, products, batches', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    const day = rollupOf(f, '2026-10-30')
    expect(DistinctCounter.fromJSON(day.devices).count()).toBe(3)
    expect(DistinctCounter.fromJSON(day.signers).count()).toBe(2)
    // m3 did not sign in on 10-31 but scanned signed in: one of that day's signed-in members.
    expect(DistinctCounter.fromJSON(rollupOf(f, '2026-10-31').signers).count()).toBe(3)
    expect(day.products).toEqual({ [f.green.id]: [2, 1], [f.oolong.id]: [1, 1] })
    expect(day.batches).toEqual({ [f.batchA.id]: 2, [f.batchB.id]: 1 })
    // m1 and m2 claim for the first time on 10-30; m1's claim on 10-31 is a repeat.
    expect(DistinctCounter.fromJSON(day.claimers).count()).toBe(2)
    expect(DistinctCounter.fromJSON(day.repeatClaimers).count()).toBe(0)
    const next = rollupOf(f, '2026-10-31')
    expect(DistinctCounter.fromJSON(next.claimers).count()).toBe(1)
    expect(DistinctCounter.fromJSON(next.repeatClaimers).count()).toBe(1)
  })

  it('does nothing the second time, and rewrites the same figures when a day is rolled up again', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    const before = statsOf(f)
    const again = await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    expect(again.brands.every((b) => b.days.length === 0 && b.batchesRecounted === 0)).toBe(true)
    rollUpDay(f.t.db, f.brand.brandId, '2026-10-30', f.t.clock.now())
    expect(statsOf(f)).toEqual(before)
    expect(f.t.db.select().from(dailyStats).where(eq(dailyStats.day, '2026-10-30')).all()).toHaveLength(2)
  })

  it('catches up the days it missed while the server was down', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    f.t.clock.set(START + 3 * 86_400_000)
    f.t.db
      .insert(scans)
      .values({
        brandId: f.brand.brandId,
        codeId: f.codeId(f.batchA.id, 5),
        deviceId: 'device-F',
        ipPrefix: '203.0.113.0/24',
        userAgent: 'test',
        verdict: 'genuine-first',
        counted: true,
        at: china('2026-11-02', '12:00'),
      })
      .run()
    expect(missingDays(f.t.db, f.brand.brandId, f.t.clock.now())).toEqual([
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
    ])
    const summary = await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    expect(summary.brands.find((b) => b.brandId === f.brand.brandId)!.days).toEqual([
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
    ])
    expect(statsOf(f).map((r) => [r.day, r.scans])).toEqual([
      ['2026-10-29', 0],
      ['2026-10-30', 3],
      ['2026-10-31', 3],
      ['2026-11-01', 1],
      ['2026-11-02', 1],
      ['2026-11-03', 0],
    ])
  })

  it('waits a quarter of an hour after midnight before rolling up the day that just ended', async () => {
    const f = await dashboardFixture()
    f.t.clock.set(china('2026-11-02', '00:14'))
    expect(missingDays(f.t.db, f.brand.brandId, f.t.clock.now()).at(-1)).toBe('2026-10-31')
    f.t.clock.set(china('2026-11-02', '00:15'))
    expect(missingDays(f.t.db, f.brand.brandId, f.t.clock.now()).at(-1)).toBe('2026-11-01')
  })

  it('stops at the next pause when the server stops, and the next run finishes the rest', async () => {
    const f = await dashboardFixture()
    let pauses = 0
    const first = await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause, () => ++pauses >= 2)
    expect(first.brands.map((b) => b.days)).toEqual([['2026-10-29', '2026-10-30']])
    expect(statsOf(f).map((r) => r.day)).toEqual(['2026-10-29', '2026-10-30'])
    const rest = await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    expect(rest.brands.find((b) => b.brandId === f.brand.brandId)!.days).toEqual(['2026-10-31'])
  })

  it('refuses to roll up a day that is not over', async () => {
    const f = await dashboardFixture()
    expect(() => rollUpDay(f.t.db, f.brand.brandId, '2026-11-01', f.t.clock.now())).toThrow(/not finished/)
  })

  it('keeps each brand’s figures apart', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    expect(statsOf(f, f.other.brandId).find((r) => r.day === '2026-10-30')).toMatchObject({
      scans: 1,
      uniqueScanners: 1,
      newMembers: 1,
      signIns: 0,
    })
  })
})

describe('the scan rate snapshot', () => {
  it('counts activated and scanned codes of every batch on the first run', async () => {
    const f = await dashboardFixture()
    const summary = await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    expect(summary.brands.find((b) => b.brandId === f.brand.brandId)!.batchesRecounted).toBe(2)
    const rates = readBatchRates(f.t.db, f.brand.brandId)!
    expect(rates.at).toBe(f.t.clock.now())
    expect(rates.batches).toEqual({ [f.batchA.id]: [10, 4], [f.batchB.id]: [3, 2] })
  })

  it('recounts only the batches scanned since the last run', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    f.t.clock.advance(3_600_000)
    f.t.db
      .insert(scans)
      .values({
        brandId: f.brand.brandId,
        codeId: f.codeId(f.batchB.id, 3),
        deviceId: 'device-G',
        ipPrefix: '203.0.113.0/24',
        userAgent: 'test',
        verdict: 'genuine-first',
        counted: true,
        at: f.t.clock.now(),
      })
      .run()
    const summary = await runDailyStatsJob(f.t.db, f.t.clock.now(), noPause)
    expect(summary.brands.find((b) => b.brandId === f.brand.brandId)!.batchesRecounted).toBe(1)
    expect(readBatchRates(f.t.db, f.brand.brandId)!.batches).toEqual({
      [f.batchA.id]: [10, 4],
      [f.batchB.id]: [3, 3],
    })
    const rows = f.t.db.select().from(jobRuns).where(eq(jobRuns.job, BATCH_RATES_JOB)).all()
    expect(rows.filter((r) => r.brandId === f.brand.brandId)).toHaveLength(1)
  })
})
