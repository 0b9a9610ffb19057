import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../../codegen/cli.ts'
import { loadConfig } from '../../../src/config.ts'
import { members } from '../../../src/members/member-schema.ts'
import { JOB_RUN_NAMES } from '../../../src/members/programme-jobs.ts'
import { programmeSettings } from '../../../src/members/programme-schema.ts'
import { balanceOf } from '../../../src/points/ledger-store.ts'
import { chinaDateKey } from '../../../src/points/points-calendar.ts'
import { jobRuns } from '../../../src/points/points-schema.ts'
import { openRuntime } from '../../../src/runtime.ts'
import { seedDemo } from '../../../src/seed-demo.ts'
import { brands } from '../../../src/staff/staff-schema.ts'
import { capture } from '../../support/cli-io.ts'

describe('onecode-codegen jobs run', () => {
  let dataDir: string
  let env: Record<string, string>
  let birthdayMember: number
  let brandId: number

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-jobs-'))
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', PUBLIC_BASE_URL: 'https://oc.example.com' }
    const rt = openRuntime(loadConfig(env))
    await seedDemo(rt.db, rt.masterKey, rt.keyring, Date.now())
    brandId = rt.db.select().from(brands).where(eq(brands.slug, 'demo')).get()!.id
    // The CLI runs at the real time: a member whose birthday is today (China time).
    const today = chinaDateKey(Date.now())
    rt.db
      .insert(programmeSettings)
      .values({ brandId, birthdayPoints: 25, updatedAt: Date.now() })
      .onConflictDoUpdate({ target: programmeSettings.brandId, set: { birthdayPoints: 25 } })
      .run()
    birthdayMember = rt.db
      .insert(members)
      .values({
        brandId,
        email: 'cli-birthday@example.com',
        birthday: `1990${today.slice(4)}`,
        createdAt: Date.now(),
      })
      .returning()
      .get().id
    rt.db.$client.close()
  })
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }))

  it('runs every job of a brand, prints what each did and records it', async () => {
    const run = capture(env)
    expect(await main(['jobs', 'run', '--brand', 'demo'], run.io)).toBe(0)
    const lines = run.stdout().trim().split('\n')
    expect(lines.map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual([
      ['demo', 'tags'],
      ['demo', 'birthday'],
      ['demo', 'churn'],
    ])
    expect(lines[1]).toContain('1 birthday bonus of 25 points credited')
    const again = capture(env)
    expect(await main(['jobs', 'run', '--job', 'birthday'], again.io)).toBe(0)
    expect(again.stdout()).toContain('0 birthday bonuses of 25 points credited; 1 already had this year')

    const rt = openRuntime(loadConfig(env))
    try {
      expect(balanceOf(rt.db, brandId, birthdayMember)).toBe(25)
      const runs = rt.db.select().from(jobRuns).where(eq(jobRuns.brandId, brandId)).all()
      expect(runs.map((r) => r.job).sort()).toEqual(Object.values(JOB_RUN_NAMES).sort())
      expect(runs.find((r) => r.job === JOB_RUN_NAMES.birthday)?.detail).toMatchObject({ trigger: 'cli' })
    } finally {
      rt.db.$client.close()
    }
  })

  it.each([
    [['jobs', 'run', '--job', 'everything'], '--job must be one of all, tags, birthday, churn'],
    [['jobs', 'run', '--brand', 'nope'], 'no brand "nope"'],
    [['jobs', 'go'], 'use "jobs run'],
    [['jobs', 'run', '--colour', 'red'], 'colour'],
  ])('refuses %j with exit status 2 and a one-line reason', async (argv, reason) => {
    const run = capture(env)
    expect(await main(argv, run.io)).toBe(2)
    expect(run.stderr()).toContain(reason)
    expect(run.stderr().trim().split('\n')).toHaveLength(1)
  })

  it('answers --help', async () => {
    const run = capture(env)
    expect(await main(['jobs', '--help'], run.io)).toBe(0)
    expect(run.stdout()).toContain('onecode-codegen jobs run [--brand SLUG]')
    const overview = capture(env)
    await main(['--help'], overview.io)
    expect(overview.stdout()).toContain('jobs      run the member-programme jobs now')
  })
})
