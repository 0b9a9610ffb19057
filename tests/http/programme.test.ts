import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { members } from '../../src/members/member-schema.ts'
import { JOB_RUN_NAMES } from '../../src/members/programme-jobs.ts'
import { birthdayBonuses, churnWarnings } from '../../src/members/programme-schema.ts'
import {
  DEFAULT_PROGRAMME_SETTINGS,
  readProgrammeSettings,
  saveProgrammeSettings,
} from '../../src/members/programme-settings-store.ts'
import { balanceOf, checkLedger } from '../../src/points/ledger-store.ts'
import { jobRuns } from '../../src/points/points-schema.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import { DAY, programmeFixture } from '../support/programme-fixture.ts'
import { insertStaff, locationOf, signInAs } from '../support/test-app.ts'

const VALID = { newDays: '14', activeDays: '60', churnDays: '200', birthdayPoints: '88', churnFactor: '2.5' }

async function setup() {
  const f = await programmeFixture()
  const owner = await signInAs(f.t, f.brand.ownerId)
  const analyst = await signInAs(
    f.t,
    (await insertStaff(f.t, f.brand.brandId, { role: 'analyst', email: 'ann@tea.test' })).id,
  )
  return { ...f, owner, analyst }
}

/** A churn warning row for a new member of the fixture's brand. */
function warn(
  f: Awaited<ReturnType<typeof programmeFixture>>,
  input: { name?: string; phone?: string; days: number },
) {
  const id = f.member({ joinedAt: f.daysAgo(400) })
  f.t.db
    .update(members)
    .set({ name: input.name ?? null, phone: input.phone ?? null })
    .where(eq(members.id, id))
    .run()
  f.t.db
    .insert(churnWarnings)
    .values({
      memberId: id,
      brandId: f.brand.brandId,
      usualIntervalDays: 10,
      daysSinceLastScan: input.days,
      lastScanAt: f.daysAgo(input.days),
      computedAt: f.t.clock.now(),
    })
    .run()
  return id
}

describe('the programme page', () => {
  it('shows owners the settings, the run form, the recent runs and how each tag is computed', async () => {
    const { owner } = await setup()
    const res = await owner.get('/admin/programme')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('Member programme')
    expect(html).toContain('name="newDays" inputmode="numeric" required="" value="30"')
    expect(html).toContain('action="/admin/programme/run"')
    expect(html).toContain('Not run yet.')
    expect(html).toContain('No churn warnings')
    for (const tag of ['lifecycle:new', 'lifecycle:dormant', 'rfm:r1', 'product:SKU', 'region:code'])
      expect(html).toContain(tag)
    expect(html).toContain('Joined at most 30 days ago')
  })

  it('lets analysts read it without the means to change or run anything', async () => {
    const { analyst } = await setup()
    const html = await (await analyst.get('/admin/programme')).text()
    expect(html).toContain('<fieldset disabled="">')
    expect(html).not.toContain('Save settings')
    expect(html).not.toContain('action="/admin/programme/run"')
  })

  it('is closed to operators and channel managers', async () => {
    const f = await programmeFixture()
    for (const role of ['operator', 'channel_manager'] as const) {
      const s = await insertStaff(f.t, f.brand.brandId, { role, email: `${role}@tea.test` })
      const client = await signInAs(f.t, s.id)
      expect((await client.get('/admin/programme')).status).toBe(403)
      expect((await client.post('/admin/programme/settings', VALID)).status).toBe(403)
    }
  })
})

describe('the programme settings', () => {
  it('are saved by an owner with an audit record of before and after', async () => {
    const { t, brand, owner } = await setup()
    const res = await owner.post('/admin/programme/settings', VALID)
    expect(res.status).toBe(303)
    expect(locationOf(res)).toMatch(/^\/admin\/programme\?notice=/)
    expect(readProgrammeSettings(t.db, brand.brandId)).toEqual({
      newDays: 14,
      activeDays: 60,
      churnDays: 200,
      birthdayPoints: 88,
      churnFactor: 2.5,
    })
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'programme.settings.update')).all()
    expect(audit).toHaveLength(1)
    expect(audit[0]?.detail).toMatchObject({
      before: DEFAULT_PROGRAMME_SETTINGS,
      after: { newDays: 14, churnFactor: 2.5 },
    })
    expect(await (await owner.get('/admin/programme')).text()).toContain('Joined at most 14 days ago')
  })

  it.each([
    [{ newDays: '60', activeDays: '60' }, 'new days must be fewer than active days'],
    [{ activeDays: '200', churnDays: '200' }, 'active days must be fewer than churned days'],
    [{ birthdayPoints: '100001' }, 'birthday points must be at most 100000'],
    [{ birthdayPoints: '-1' }, 'birthday points must be at least 0'],
    [{ birthdayPoints: '2.5' }, 'birthday points must be a whole number'],
    [{ churnFactor: '1.4' }, 'churn factor must be at least 1.5'],
    [{ churnFactor: '21' }, 'churn factor must be at most 20'],
    [{ churnFactor: 'lots' }, 'churn factor must be a number'],
    [{ newDays: '0' }, 'new must be at least 1 day'],
    [{ churnDays: '' }, 'churned must be'],
  ])(
    'refuses %j with 422 and the reason, keeping what was typed and saving nothing',
    async (change, reason) => {
      const { t, brand, owner } = await setup()
      const res = await owner.post('/admin/programme/settings', { ...VALID, ...change })
      expect(res.status).toBe(422)
      const html = await res.text()
      expect(html).toContain(reason)
      expect(html).toContain(
        `name="churnFactor" inputmode="decimal" required="" value="${(change as Record<string, string>).churnFactor ?? '2.5'}"`,
      )
      expect(readProgrammeSettings(t.db, brand.brandId)).toEqual(DEFAULT_PROGRAMME_SETTINGS)
    },
  )

  it('are refused to analysts, without a CSRF token, and from another site', async () => {
    const { t, brand, owner, analyst } = await setup()
    expect((await analyst.post('/admin/programme/settings', VALID)).status).toBe(403)
    expect((await owner.post('/admin/programme/settings', { ...VALID, _csrf: '' })).status).toBe(403)
    expect(
      (await owner.post('/admin/programme/settings', VALID, { origin: 'https://evil.example' })).status,
    ).toBe(403)
    expect(
      (await owner.post('/admin/programme/run', { job: 'all', confirm: 'yes', _csrf: 'forged' })).status,
    ).toBe(403)
    expect(readProgrammeSettings(t.db, brand.brandId)).toEqual(DEFAULT_PROGRAMME_SETTINGS)
    expect(t.db.select().from(jobRuns).all()).toEqual([])
  })
})

describe('running the jobs now', () => {
  it('runs them for the owner’s brand, shows what they did, records it and audits it', async () => {
    const { t, brand, bdb, owner, member } = await setup()
    saveProgrammeSettings(
      bdb,
      { staffId: null, label: 'test' },
      { ...DEFAULT_PROGRAMME_SETTINGS, birthdayPoints: 100 },
      t.clock.now(),
    )
    // The test clock is 2026-11-01 08:00 in China.
    const born = member({ birthday: '1990-11-01', joinedAt: t.clock.now() - 3 * DAY })

    const res = await owner.post('/admin/programme/run', { job: 'all', confirm: 'yes' })
    expect(res.status).toBe(303)
    const notice = new URL(locationOf(res)!, 'http://localhost').searchParams.get('notice')!
    expect(notice).toContain('1 member tagged: 1 new')
    expect(notice).toContain('1 birthday bonus of 100 points credited')
    expect(notice).toContain('0 members on the churn warning list')
    expect(balanceOf(t.db, brand.brandId, born)).toBe(100)
    expect(
      t.db
        .select()
        .from(jobRuns)
        .where(eq(jobRuns.brandId, brand.brandId))
        .all()
        .map((r) => r.job)
        .sort(),
    ).toEqual(Object.values(JOB_RUN_NAMES).sort())
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'programme.jobs.run')).get()
    expect(audit?.detail).toMatchObject({ jobs: ['tags', 'birthday', 'churn'] })

    const page = await (await owner.get(locationOf(res)!)).text()
    expect(page).toContain('1 birthday bonus of 100 points credited')
    expect(page).toContain(`admin (${brand.ownerEmail})`)
    expect(page).toContain('2026-11-01')

    // Running again credits nobody twice.
    expect((await owner.post('/admin/programme/run', { job: 'birthday', confirm: 'yes' })).status).toBe(303)
    expect(balanceOf(t.db, brand.brandId, born)).toBe(100)
    expect(t.db.select().from(birthdayBonuses).all()).toHaveLength(1)
    expect(checkLedger(t.db.$client)).toEqual([])
  })

  it('asks for the confirmation and a known job, and runs nothing without them', async () => {
    const { t, owner, analyst } = await setup()
    const unconfirmed = await owner.post('/admin/programme/run', { job: 'all' })
    expect(unconfirmed.status).toBe(422)
    expect(await unconfirmed.text()).toContain('tick the box to confirm the run')
    const unknown = await owner.post('/admin/programme/run', { job: 'everything', confirm: 'yes' })
    expect(unknown.status).toBe(422)
    expect((await analyst.post('/admin/programme/run', { job: 'all', confirm: 'yes' })).status).toBe(403)
    expect(t.db.select().from(jobRuns).all()).toEqual([])
  })
})

describe('the churn warning list', () => {
  it('links each member and masks their phone for analysts, not for owners', async () => {
    const f = await setup()
    const id = warn(f, { name: 'Li Lei', phone: '+8613800138000', days: 45 })
    const analystHtml = await (await f.analyst.get('/admin/programme')).text()
    expect(analystHtml).toContain(`href="/admin/members/${id}"`)
    expect(analystHtml).toContain('Li Lei')
    expect(analystHtml).not.toContain('+8613800138000')
    expect(analystHtml).toMatch(/\*{4}8000/)
    const ownerHtml = await (await f.owner.get('/admin/programme')).text()
    expect(ownerHtml).toContain('+8613800138000')
  })

  it('escapes what members typed as their name', async () => {
    const f = await setup()
    warn(f, { name: '<script>alert(1)</script>', days: 40 })
    const html = await (await f.owner.get('/admin/programme')).text()
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).toContain('&lt;script&gt;')
  })

  it('pages 50 at a time, most recently lapsed first, and answers htmx with the list alone', async () => {
    const f = await setup()
    const ids = Array.from({ length: 51 }, (_, i) => warn(f, { days: 100 - i }))
    const first = await (await f.owner.get('/admin/programme')).text()
    expect(first).toContain('51 members on the list')
    expect(first).toContain(`href="/admin/members/${ids[50]}"`)
    expect(first).not.toContain(`href="/admin/members/${ids[0]}"`)
    expect(first).toContain('hx-get="/admin/programme/churn?page=2"')

    const fragment = await f.owner.get('/admin/programme/churn?page=2', { 'hx-request': 'true' })
    expect(fragment.status).toBe(200)
    expect(fragment.headers.get('vary')).toContain('HX-Request')
    const html = await fragment.text()
    expect(html).not.toContain('<html')
    expect(html).toMatch(/^<div id="churn-warnings">/)
    expect(html).toContain(`href="/admin/members/${ids[0]}"`)
    expect(html).toContain('← Previous')

    const whole = await f.owner.get('/admin/programme/churn?page=2')
    expect(await whole.text()).toMatch(/^<!doctype html>/)
  })

  it('shows only the brand’s own warnings', async () => {
    const f = await setup()
    const g = await programmeFixture({ t: f.t, slug: 'wine' })
    const theirs = warn(g, { name: 'Other brand member', days: 50 })
    const html = await (await f.owner.get('/admin/programme')).text()
    expect(html).not.toContain('Other brand member')
    expect(html).not.toContain(`/admin/members/${theirs}"`)
  })
})
