import { type Context, Hono } from 'hono'
import {
  ChurnWarningList,
  type JobRunsView,
  ProgrammePage,
  type ProgrammeSettingsValues,
  programmeSettingsValues,
} from '../../views/admin/programme-pages.tsx'
import { createNotices } from '../admin-notice.ts'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { wantsFragment } from '../htmx-request.ts'
import { recordAudit } from '../staff/audit-store.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { listChurnWarnings } from './lifecycle-jobs.ts'
import { contactOf, memberPii } from './member-pii.ts'
import { ChurnPageQuery, ProgrammeSettingsForm, RunJobsForm } from './programme-input.ts'
import {
  latestJobRuns,
  PROGRAMME_JOBS,
  type ProgrammeJob,
  runProgrammeJobs,
  summariseJobRun,
} from './programme-jobs.ts'
import { readProgrammeSettings, saveProgrammeSettings } from './programme-settings-store.ts'

/** How long "Run jobs now" waits for the result before answering that the run goes on. */
export const RUN_NOW_WAIT_MS = 10_000

/** The promise's value, or 'waiting' once `ms` have passed first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'waiting'> {
  let timer: NodeJS.Timeout | undefined
  const waiting = new Promise<'waiting'>((resolve) => {
    timer = setTimeout(resolve, ms, 'waiting')
  })
  try {
    return await Promise.race([promise, waiting])
  } finally {
    clearTimeout(timer)
  }
}

const JOB_TITLES: Record<ProgrammeJob, string> = {
  tags: 'Automatic tags and member activity',
  birthday: 'Birthday bonus',
  churn: 'Churn warnings',
}

/**
 * The member programme in the console (/admin/programme): analysts and owners read the settings,
 * the recent job runs, the churn warning list and how the automatic tags are computed; owners
 * change the settings (audited) and run the jobs now (audited, with the result).
 */
export function createLifecycleRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  const pii = memberPii(deps.masterKey)
  const pause = () => new Promise<void>((resolve) => setImmediate(resolve))

  const churnList = (c: Context<AppEnv>) => {
    const s = c.get('staff')
    const page = ChurnPageQuery.parse({ page: c.req.query('page') }).page
    const list = listChurnWarnings(s.bdb, page)
    const unmasked = can(s.role, 'members.contact')
    return {
      page,
      hasMore: list.hasMore,
      total: list.total,
      rows: list.rows.map((r) => ({
        memberId: r.memberId,
        name: r.name,
        ...contactOf(pii, r, unmasked),
        lastScanAt: r.lastScanAt,
        daysSinceLastScan: r.daysSinceLastScan,
        usualIntervalDays: r.usualIntervalDays,
      })),
    }
  }

  const recentRuns = (c: Context<AppEnv>): JobRunsView =>
    PROGRAMME_JOBS.map((job) => ({
      job,
      title: JOB_TITLES[job],
      runs: latestJobRuns(deps.db, c.get('staff').brandId, job).map((r) => {
        const detail = r.detail ?? {}
        return {
          day: r.period,
          at: r.at,
          trigger: typeof detail.trigger === 'string' ? detail.trigger : 'schedule',
          by: typeof detail.by === 'string' ? detail.by : undefined,
          summary: summariseJobRun(job, detail),
          detail: JSON.stringify(detail, null, 2),
        }
      }),
    }))

  const page = (
    c: Context<AppEnv>,
    extra: {
      values?: ProgrammeSettingsValues
      errors?: { form: 'settings' | 'run'; messages: string[] }
    } = {},
    status: 200 | 409 | 422 = 200,
  ) => {
    const s = c.get('staff')
    const settings = readProgrammeSettings(s.bdb.db, s.brandId)
    c.header('Vary', 'HX-Request')
    return c.html(
      <ProgrammePage
        staff={staffView(s)}
        canConfigure={can(s.role, 'programme.configure')}
        settings={settings}
        values={extra.values ?? programmeSettingsValues(settings)}
        errors={extra.errors}
        notice={notices.read(c)}
        runs={recentRuns(c)}
        churn={churnList(c)}
      />,
      status,
    )
  }

  return new Hono<AppEnv>()
    .get('/programme', requireRole('members.read'), (c) => page(c))
    .get('/programme/churn', requireRole('members.read'), (c) => {
      if (!wantsFragment(c)) return page(c)
      c.header('Vary', 'HX-Request')
      return c.html(<ChurnWarningList {...churnList(c)} />)
    })
    .post('/programme/settings', requireRole('programme.configure'), async (c) => {
      const body = (await c.req.parseBody()) as Record<string, unknown>
      const parsed = ProgrammeSettingsForm.safeParse(body)
      if (!parsed.success) {
        const values = Object.fromEntries(
          ['newDays', 'activeDays', 'churnDays', 'birthdayPoints', 'churnFactor'].map((k) => [
            k,
            typeof body[k] === 'string' ? body[k] : '',
          ]),
        ) as ProgrammeSettingsValues
        return page(c, { values, errors: { form: 'settings', messages: issuesOf(parsed.error) } }, 422)
      }
      const s = c.get('staff')
      saveProgrammeSettings(s.bdb, { staffId: s.staffId, label: s.email }, parsed.data, deps.clock.now())
      return c.redirect(
        notices.href(
          c,
          '/admin/programme',
          'Programme settings saved. They apply from the next run of the jobs.',
        ),
        303,
      )
    })
    .post('/programme/run', requireRole('programme.configure'), async (c) => {
      const parsed = RunJobsForm.safeParse(await c.req.parseBody())
      if (!parsed.success) {
        return page(c, { errors: { form: 'run', messages: issuesOf(parsed.error) } }, 422)
      }
      const s = c.get('staff')
      const actor = { staffId: s.staffId, label: s.email }
      const jobs = parsed.data.job === 'all' ? PROGRAMME_JOBS : [parsed.data.job]
      const now = deps.clock.now()
      // One chunk of the tags job per event-loop turn: the console keeps answering during the run.
      const run = runProgrammeJobs(deps.db, s.brandId, { jobs, now, trigger: 'admin', by: s.email, pause })
      const outcome = await within(run, RUN_NOW_WAIT_MS)
      const audit = (results: string[] | 'still running') =>
        deps.db.transaction((tx) =>
          recordAudit(tx, s.brandId, actor, now, {
            action: 'programme.jobs.run',
            subjectType: 'brand',
            subjectId: s.brandId,
            detail: { jobs: [...jobs], results },
          }),
        )
      if (outcome === 'waiting') {
        // A big brand's tags job takes longer than a page should wait: it goes on, and what it
        // did appears under "Recent runs" (job_runs) when it ends.
        audit('still running')
        run.catch((err) =>
          deps.logger.error({ err, brandId: s.brandId }, 'programme jobs from the console failed'),
        )
        return c.redirect(
          notices.href(
            c,
            '/admin/programme',
            'The jobs are still running. Reload this page in a minute: what they did appears under Recent runs.',
          ),
          303,
        )
      }
      if (outcome.kind !== 'ran') {
        const message =
          outcome.kind === 'busy'
            ? 'The jobs are already running for your brand. Reload this page in a minute to see what they did.'
            : 'The server is stopping; the jobs will run after it starts again.'
        return page(c, { errors: { form: 'run', messages: [message] } }, 409)
      }
      const summaries = outcome.reports.map((r) => `${JOB_TITLES[r.job]}: ${r.summary}`)
      audit(summaries)
      return c.redirect(notices.href(c, '/admin/programme', `Ran now. ${summaries.join('. ')}.`), 303)
    })
}
