import { and, asc, desc, eq } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/index.ts'
import { chinaDateKey } from '../points/points-calendar.ts'
import { jobRuns } from '../points/points-schema.ts'
import { brands } from '../staff/staff-schema.ts'
import { tagsJobSteps } from './activity-job.ts'
import { creditBirthdayBonuses, refreshChurnWarnings } from './lifecycle-jobs.ts'

/** The member-programme jobs, in the order they run: the churn list reads what the tags job rolled up. */
export const PROGRAMME_JOBS = ['tags', 'birthday', 'churn'] as const
export type ProgrammeJob = (typeof PROGRAMME_JOBS)[number]

/** Their names in job_runs (whose period is the China-time day). */
export const JOB_RUN_NAMES: Record<ProgrammeJob, string> = {
  tags: 'member-tags',
  birthday: 'birthday-bonus',
  churn: 'churn-warnings',
}

export type JobTrigger = 'schedule' | 'admin' | 'cli'

export type JobReport = {
  job: ProgrammeJob
  brandId: number
  day: string
  detail: Record<string, unknown>
  /** One line saying what the job did, for the CLI, the console and the log. */
  summary: string
}

export type RunOptions = {
  jobs: readonly ProgrammeJob[]
  now: number
  trigger: JobTrigger
  /** Who asked for the run (a staff email), kept in job_runs.detail. */
  by?: string
  /** Awaited between chunks of the tags job, so a server keeps answering; default: none. */
  pause?: () => Promise<void>
  /** Checked after each pause: a stopping server leaves the rest for its next start. */
  isStopped?: () => boolean
}

export type RunOutcome = { kind: 'ran'; reports: JobReport[] } | { kind: 'busy' } | { kind: 'stopped' }

// Brands whose jobs are running in this process, per connection: a second "Run jobs now" (or the
// schedule) waits for the next turn instead of interleaving with the first.
const running = new WeakMap<Db['$client'], Set<number>>()

/**
 * Runs some of a brand's programme jobs now, in order, and records each in job_runs under today's
 * China-time date (a later run the same day replaces that day's record). Every job is safe to
 * repeat: the tags job recomputes, the birthday job credits a member once a year, the churn job
 * rebuilds its list.
 *
 * @example
 * await runProgrammeJobs(db, brandId, { jobs: PROGRAMME_JOBS, now: clock.now(), trigger: 'admin' })
 * // { kind: 'ran', reports: [{ job: 'tags', summary: '1,204 members: 40 new, …' }, …] }
 */
export async function runProgrammeJobs(db: Db, brandId: number, opts: RunOptions): Promise<RunOutcome> {
  let brandsRunning = running.get(db.$client)
  if (!brandsRunning) {
    brandsRunning = new Set()
    running.set(db.$client, brandsRunning)
  }
  if (brandsRunning.has(brandId)) return { kind: 'busy' }
  brandsRunning.add(brandId)
  try {
    const reports: JobReport[] = []
    for (const job of PROGRAMME_JOBS) {
      if (!opts.jobs.includes(job)) continue
      const detail = await runOne(db, brandId, job, opts)
      if (detail === undefined) return { kind: 'stopped' }
      const withTrigger = { trigger: opts.trigger, ...(opts.by ? { by: opts.by } : {}), ...detail }
      const day = chinaDateKey(opts.now)
      db.insert(jobRuns)
        .values({ job: JOB_RUN_NAMES[job], brandId, period: day, at: opts.now, detail: withTrigger })
        .onConflictDoUpdate({
          target: [jobRuns.job, jobRuns.brandId, jobRuns.period],
          set: { at: opts.now, detail: withTrigger },
        })
        .run()
      reports.push({ job, brandId, day, detail: withTrigger, summary: summariseJobRun(job, withTrigger) })
    }
    return { kind: 'ran', reports }
  } finally {
    brandsRunning.delete(brandId)
  }
}

async function runOne(
  db: Db,
  brandId: number,
  job: ProgrammeJob,
  opts: RunOptions,
): Promise<Record<string, unknown> | undefined> {
  if (job === 'birthday') return { ...creditBirthdayBonuses(db, brandId, opts.now) }
  if (job === 'churn') return { ...refreshChurnWarnings(db, brandId, opts.now) }
  const started = performance.now()
  const steps = tagsJobSteps(db, brandId, opts.now)
  for (;;) {
    const next = steps.next()
    if (next.done) return { ...next.value, ms: Math.round(performance.now() - started) }
    if (opts.pause) {
      await opts.pause()
      if (opts.isStopped?.()) return undefined
    }
  }
}

/**
 * The jobs of every brand that have not run today (China time), as the server's hourly timer calls
 * it: each job runs once a day per brand, whoever ran it first (schedule, console or CLI).
 *
 * @example
 * await runDueProgrammeJobs(db, clock.now(), { pause: () => new Promise(setImmediate) })
 */
export async function runDueProgrammeJobs(
  db: Db,
  now: number,
  opts: Pick<RunOptions, 'pause' | 'isStopped'> = {},
): Promise<JobReport[]> {
  const day = chinaDateKey(now)
  const reports: JobReport[] = []
  for (const { id: brandId } of db.select({ id: brands.id }).from(brands).orderBy(asc(brands.id)).all()) {
    const done = new Set(
      db
        .select({ job: jobRuns.job })
        .from(jobRuns)
        .where(and(eq(jobRuns.brandId, brandId), eq(jobRuns.period, day)))
        .all()
        .map((r) => r.job),
    )
    const due = PROGRAMME_JOBS.filter((job) => !done.has(JOB_RUN_NAMES[job]))
    if (due.length === 0) continue
    const outcome = await runProgrammeJobs(db, brandId, { ...opts, jobs: due, now, trigger: 'schedule' })
    if (outcome.kind === 'stopped') break
    if (outcome.kind === 'ran') reports.push(...outcome.reports)
  }
  return reports
}

export type ProgrammeScheduler = {
  /** Starts the due jobs unless a run is under way; returns at once. */
  runDue(): void
  /** Resolves when no run is under way (tests, shutdown). */
  idle(): Promise<void>
  /** The run under way stops at its next pause; nothing starts after. */
  stop(): void
}

/**
 * The programme jobs inside the server: `runDue()` on the hourly timer runs what is due today, one
 * chunk of the tags job per event-loop turn, and logs what each job did.
 *
 * @example
 * const programme = createProgrammeScheduler({ db, clock, logger }); programme.runDue()
 */
export function createProgrammeScheduler(deps: { db: Db; clock: Clock; logger: Logger }): ProgrammeScheduler {
  let current: Promise<void> | null = null
  let stopped = false
  const pause = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    runDue() {
      if (current || stopped) return
      current = runDueProgrammeJobs(deps.db, deps.clock.now(), { pause, isStopped: () => stopped })
        .then((reports) => {
          for (const r of reports) {
            deps.logger.info({ job: r.job, brandId: r.brandId, day: r.day, ...r.detail }, r.summary)
          }
        })
        .catch((err) => deps.logger.error({ err }, 'member programme jobs failed'))
        .finally(() => {
          current = null
        })
    },
    async idle() {
      while (current) await current
    },
    stop() {
      stopped = true
    },
  }
}

/** The latest runs of one programme job for a brand, newest first. */
export function latestJobRuns(db: Db, brandId: number, job: ProgrammeJob, limit = 5) {
  return db
    .select()
    .from(jobRuns)
    .where(and(eq(jobRuns.job, JOB_RUN_NAMES[job]), eq(jobRuns.brandId, brandId)))
    .orderBy(desc(jobRuns.at))
    .limit(limit)
    .all()
}

const n = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en') : '?')
const count = (v: unknown, noun: string, plural = `${noun}s`) => `${n(v)} ${v === 1 ? noun : plural}`

/**
 * One line saying what a recorded run did, from its job_runs detail.
 *
 * @example
 * summariseJobRun('churn', { warnings: 17, added: 4, cleared: 2, factor: 3 })
 * // '17 members on the churn warning list (4 new, 2 cleared; factor 3)'
 */
export function summariseJobRun(job: ProgrammeJob, d: Record<string, unknown>): string {
  if (job === 'tags') {
    const l = (d.lifecycle ?? {}) as Record<string, unknown>
    return `${count(d.members, 'member')} tagged: ${n(l.new)} new, ${n(l.active)} active, ${n(l.dormant)} dormant, ${n(l.churned)} churned; ${count(d.tags, 'automatic tag')}`
  }
  if (job === 'birthday') {
    if (d.kind === 'off') return 'birthday bonus is off (0 points)'
    const already = d.alreadyCredited ? `; ${n(d.alreadyCredited)} already had this year's` : ''
    return `${count(d.credited, 'birthday bonus', 'birthday bonuses')} of ${count(d.points, 'point')} credited${already}`
  }
  return `${count(d.warnings, 'member')} on the churn warning list (${n(d.added)} new, ${n(d.cleared)} cleared; factor ${d.factor})`
}
