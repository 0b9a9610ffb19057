import os from 'node:os'
import { parseArgs } from 'node:util'
import { asc, eq } from 'drizzle-orm'
import { loadConfig } from '../src/config.ts'
import { PROGRAMME_JOBS, type ProgrammeJob, runProgrammeJobs } from '../src/members/programme-jobs.ts'
import { brands } from '../src/staff/staff-schema.ts'
import type { CliIo } from './cli.ts'
import { openInstallation } from './installation.ts'

export const JOBS_HELP = `Usage: onecode-codegen jobs run [--brand SLUG] [--job tags|birthday|churn|all]

Runs the member-programme jobs now, for one brand or every brand, and prints what each did:
  tags      rolls up members' activity and recomputes their automatic tags
  birthday  credits today's birthday bonus (China time), once per member and year
  churn     rebuilds the churn warning list
'all' (the default) runs the three in that order. Every job is safe to run again: the server
runs them once a day as well, and a run here counts as that day's run.`

const JOB_CHOICES = ['all', ...PROGRAMME_JOBS] as const

const usage = (io: CliIo, message: string) => {
  io.stderr.write(`onecode-codegen: ${message}\n`)
  return 2
}

/**
 * `onecode-codegen jobs run [--brand SLUG] [--job …]`: 0 ran, 1 failed, 2 bad arguments. One line
 * per brand and job on stdout: `tea  birthday  3 birthday bonuses of 100 points credited`.
 *
 * @example
 * await jobsCommand(['run', '--brand', 'demo', '--job', 'churn'], io)
 */
export async function jobsCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub !== 'run') return usage(io, 'use "jobs run [--brand SLUG] [--job tags|birthday|churn|all]"')
  const o = parseArgs({
    args: rest,
    options: { brand: { type: 'string' }, job: { type: 'string' } },
    allowPositionals: false,
    strict: true,
  }).values
  const choice = o.job ?? 'all'
  if (!(JOB_CHOICES as readonly string[]).includes(choice)) {
    return usage(io, `--job must be one of ${JOB_CHOICES.join(', ')}, got "${choice}"`)
  }
  const jobs: readonly ProgrammeJob[] = choice === 'all' ? PROGRAMME_JOBS : [choice as ProgrammeJob]
  const config = loadConfig({ ...io.env, LOG_LEVEL: io.env.LOG_LEVEL ?? 'warn' })
  const opened = openInstallation(config)
  if (opened.kind === 'missing') return usage(io, opened.problem)
  const rt = opened.rt
  try {
    const targets = rt.db
      .select({ id: brands.id, slug: brands.slug })
      .from(brands)
      .where(o.brand === undefined ? undefined : eq(brands.slug, o.brand))
      .orderBy(asc(brands.id))
      .all()
    if (o.brand !== undefined && targets.length === 0) return usage(io, `no brand "${o.brand}"`)
    const width = Math.max(0, ...targets.map((b) => b.slug.length))
    for (const brand of targets) {
      const outcome = await runProgrammeJobs(rt.db, brand.id, {
        jobs,
        now: Date.now(),
        trigger: 'cli',
        by: `cli:${os.userInfo().username}`,
      })
      if (outcome.kind !== 'ran') {
        io.stderr.write(`onecode-codegen: ${brand.slug}: jobs are already running\n`)
        return 1
      }
      for (const r of outcome.reports) {
        io.stdout.write(`${brand.slug.padEnd(width)}  ${r.job.padEnd(8)}  ${r.summary}\n`)
      }
    }
    return 0
  } finally {
    rt.db.$client.close()
  }
}
