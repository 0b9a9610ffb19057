import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { codes } from '../../src/batches/batch-schema.ts'
import { runDailyStatsJob } from '../../src/dashboard/daily-stats-job.ts'
import { dashboardFixture, XSS_NAME } from '../support/dashboard-fixture.ts'
import { insertCase, insertDistributor } from '../support/diversion-fixture.ts'
import { buildTestApp, insertBrand, insertStaff, signInAs } from '../support/test-app.ts'

const RANGE = '/admin/dashboard?from=2026-10-30&to=2026-11-01'

/** The day → value rows of one chart's table fallback. */
function chartTable(html: string, name: string): Record<string, number> {
  const start = html.indexOf(`data-chart="${name}"`)
  if (start < 0) throw new Error(`no chart ${name}`)
  const figure = html.slice(start, html.indexOf('</figure>', start))
  const rows: Record<string, number> = {}
  for (const m of figure.matchAll(/<tr><td>(\d{4}-\d{2}-\d{2})<\/td><td class="num">([\d,]+)<\/td><\/tr>/g))
    rows[m[1]!] = Number(m[2]!.replaceAll(',', ''))
  return rows
}

function figure(html: string, name: string): string | undefined {
  const m = new RegExp(`data-figure="${name}"><b>(?:<a [^>]*>)?([^<]+)`).exec(html)
  return m?.[1]
}

/** The Number cell of each funnel step (0..3). */
function funnel(html: string): string[] {
  return [
    ...html.matchAll(
      /<tr data-step="\d"><td>[^<]*<\/td><td class="muted">[^<]*<\/td><td class="num">([^<]+)<\/td>/g,
    ),
  ].map((m) => m[1]!)
}

function tableCounts(html: string, table: string, attr: string): Record<string, number> {
  const start = html.indexOf(`data-table="${table}"`)
  if (start < 0) return {}
  const body = html.slice(start, html.indexOf('</table>', start))
  const out: Record<string, number> = {}
  for (const m of body.matchAll(new RegExp(`<tr ${attr}="(\\d+)">.*?<td class="num">([\\d,]+)</td>`, 'gs')))
    out[m[1]!] = Number(m[2]!.replaceAll(',', ''))
  return out
}

function regionCounts(html: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of html.matchAll(/<tr data-region="([A-Z-]+)"><td>[^<]*<\/td><td class="num">(\d+)<\/td>/g))
    out[m[1]!] = Number(m[2])
  return out
}

async function ownerOf(f: Awaited<ReturnType<typeof dashboardFixture>>) {
  return signInAs(f.t, f.brand.ownerId)
}

describe('the dashboard’s figures', () => {
  it('shows scans, unique scanners, sign-ins, claims and redemptions per China-time day', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), () => Promise.resolve())
    const res = await (await ownerOf(f)).get(RANGE)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(chartTable(html, 'scans')).toEqual({ '2026-10-30': 3, '2026-10-31': 3, '2026-11-01': 1 })
    expect(chartTable(html, 'unique-scanners')).toEqual({ '2026-10-30': 3, '2026-10-31': 2, '2026-11-01': 1 })
    expect(chartTable(html, 'sign-ins')).toEqual({ '2026-10-30': 2, '2026-10-31': 2, '2026-11-01': 0 })
    expect(chartTable(html, 'claims')).toEqual({ '2026-10-30': 2, '2026-10-31': 1, '2026-11-01': 0 })
    expect(chartTable(html, 'redemptions')).toEqual({ '2026-10-30': 0, '2026-10-31': 1, '2026-11-01': 0 })
    expect(figure(html, 'scans')).toBe('7')
    expect(figure(html, 'unique-scanners')).toBe('5')
    expect(figure(html, 'new-members')).toBe('2')
    // Distinct over the range, not the sum of the days (3 + 2 + 1).
    expect(html).toContain('· 5 distinct over the range')
    expect(html).toContain('2026-11-01 is read live')
  })

  it('counts the funnel scan → sign-in → claim → repeat claim with each step’s conversion', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), () => Promise.resolve())
    const html = await (await (await ownerOf(f)).get(RANGE)).text()
    expect(funnel(html)).toEqual(['5', '3', '2', '1'])
    // Signed in ÷ scanned = 60.0 %, claimed ÷ signed in = 66.7 %, claimed again ÷ claimed = 50 %.
    expect(html).toMatch(/<tr data-step="1">.*?<td class="num">60\.0%<\/td>/s)
    expect(html).toMatch(/<tr data-step="2">.*?<td class="num">66\.7%<\/td>/s)
    expect(html).toMatch(/<tr data-step="3">.*?<td class="num">50\.0%<\/td>/s)
    expect(html).toContain('Members who made a claim in the range that was not their first')
  })

  it('gives the same figures whether finished days were rolled up or are read live', async () => {
    const f = await dashboardFixture()
    const owner = await ownerOf(f)
    const live = await (await owner.get(RANGE)).text()
    expect(live).toContain('3 days (2026-10-30 to 2026-11-01) are read live')
    await runDailyStatsJob(f.t.db, f.t.clock.now(), () => Promise.resolve())
    const rolled = await (await owner.get(RANGE)).text()
    for (const chart of ['scans', 'unique-scanners', 'sign-ins', 'claims', 'redemptions'])
      expect(chartTable(rolled, chart)).toEqual(chartTable(live, chart))
    expect(funnel(rolled)).toEqual(funnel(live))
    expect(regionCounts(rolled)).toEqual(regionCounts(live))
  })

  it('shows the scan rate of the most scanned batches with product and lot', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), () => Promise.resolve())
    const html = await (await (await ownerOf(f)).get(RANGE)).text()
    expect(tableCounts(html, 'batch-rates', 'data-batch')).toEqual({ [f.batchA.id]: 5, [f.batchB.id]: 2 })
    const rowA = new RegExp(`<tr data-batch="${f.batchA.id}">.*?</tr>`, 's').exec(html)![0]
    expect(rowA).toContain('Green tea')
    expect(rowA).toContain('L-A')
    expect(rowA).toContain('4 / 10')
    expect(rowA).toContain('<span data-rate="">40.0%</span>')
    const rowB = new RegExp(`<tr data-batch="${f.batchB.id}">.*?</tr>`, 's').exec(html)![0]
    expect(rowB).toContain('2 / 3')
    expect(rowB).toContain('66.7%')
    // Batches A and B come first and second: ordered by scans in the range.
    expect(html.indexOf(`data-batch="${f.batchA.id}"`)).toBeLessThan(
      html.indexOf(`data-batch="${f.batchB.id}"`),
    )
  })

  it('counts small batches on request before the job has taken a snapshot', async () => {
    const f = await dashboardFixture()
    const html = await (await (await ownerOf(f)).get(RANGE)).text()
    expect(html).toContain('not counted yet')
    expect(html).toContain('<span data-rate="">40.0%</span>')
  })

  it('ranks products by scans and by claims', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), () => Promise.resolve())
    const html = await (await (await ownerOf(f)).get(RANGE)).text()
    expect(tableCounts(html, 'top-scans', 'data-product')).toEqual({ [f.green.id]: 5, [f.oolong.id]: 2 })
    expect(tableCounts(html, 'top-claims', 'data-product')).toEqual({ [f.green.id]: 2, [f.oolong.id]: 1 })
  })

  it('maps located scans by province when most are in China', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), () => Promise.resolve())
    const html = await (await (await ownerOf(f)).get(RANGE)).text()
    expect(html).toContain('data-scope="china"')
    expect(regionCounts(html)).toEqual({ 'CN-GD': 4, 'CN-SH': 1 })
  })

  it('maps by country when most located scans are abroad', async () => {
    const f = await dashboardFixture()
    // Only 2026-10-31 has a scan abroad (US 1, CN-GD 2); move a Guangdong scan to Japan.
    f.t.db.$client
      .prepare("UPDATE scans SET region_code = 'JP' WHERE region_code = 'CN-GD' AND device_id = 'device-A'")
      .run()
    const html = await (await (await ownerOf(f)).get('/admin/dashboard?from=2026-10-31&to=2026-10-31')).text()
    expect(html).toContain('data-scope="world"')
    expect(regionCounts(html)).toEqual({ JP: 2, US: 1 })
  })

  it('never counts another brand’s scans or members', async () => {
    const f = await dashboardFixture()
    const html = await (await (await ownerOf(f)).get(RANGE)).text()
    expect(figure(html, 'scans')).toBe('7')
    expect(regionCounts(html)).toEqual({ 'CN-GD': 4, 'CN-SH': 1 })
    expect(html).not.toContain('Other product')
    const other = await signInAs(f.t, f.other.ownerId)
    const theirs = await (await other.get(RANGE)).text()
    expect(figure(theirs, 'scans')).toBe('1')
    expect(figure(theirs, 'new-members')).toBe('1')
  })

  it('escapes product names in every table', async () => {
    const f = await dashboardFixture()
    await runDailyStatsJob(f.t.db, f.t.clock.now(), () => Promise.resolve())
    const html = await (await (await ownerOf(f)).get(RANGE)).text()
    expect(html).not.toContain(XSS_NAME)
    expect(html).not.toContain('<script>alert')
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Oolong')
  })
})

describe('the dashboard’s range', () => {
  it('shows the last 30 days by default and 7, 30 or 90 days from the presets', async () => {
    const f = await dashboardFixture()
    const owner = await ownerOf(f)
    expect(await (await owner.get('/admin/dashboard')).text()).toContain('2026-10-03 to 2026-11-01')
    const week = await (await owner.get('/admin/dashboard?days=7')).text()
    expect(week).toContain('2026-10-26 to 2026-11-01')
    expect(Object.keys(chartTable(week, 'scans'))).toHaveLength(7)
    expect(week).toMatch(/<a class="button" href="\/admin\/dashboard\?days=7"[^>]*aria-current="true"/)
    expect(await (await owner.get('/admin/dashboard?days=90')).text()).toContain('2026-08-04 to 2026-11-01')
  })

  it.each([
    ['?from=2026-10-31&to=2026-10-30', 'The start date is after the end date.'],
    ['?from=2025-10-01&to=2026-11-01', 'A range can be at most 366 days; this one has 397.'],
    ['?from=2026-10-01&to=2026-11-02', 'The end date is after today (2026-11-01, China time).'],
    ['?from=2026-02-30&to=2026-03-01', 'The start date is not a date (YYYY-MM-DD)'],
    ['?from=yesterday&to=2026-11-01', 'The start date is not a date (YYYY-MM-DD)'],
    ['?from=2026-10-01', 'Give both a start and an end date.'],
    ['?days=45', 'Choose 7, 30 or 90 days, or a custom range.'],
    ['?from=1999-12-31&to=2000-01-02', 'The start date must be 2000-01-01 or later.'],
  ])('refuses %s with a reason (422)', async (query, reason) => {
    const f = await dashboardFixture()
    const res = await (await ownerOf(f)).get(`/admin/dashboard${query}`)
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain(reason)
    expect(html).not.toContain('data-chart=')
  })

  it('accepts a custom range of exactly 366 days', async () => {
    const f = await dashboardFixture()
    const res = await (await ownerOf(f)).get('/admin/dashboard?from=2025-11-01&to=2026-11-01')
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('366 days, China time')
  })

  it('answers htmx with the charts and the range form out of band, and a plain GET with the page', async () => {
    const f = await dashboardFixture()
    const owner = await ownerOf(f)
    const res = await owner.get('/admin/dashboard?days=7', { 'HX-Request': 'true' })
    expect(res.status).toBe(200)
    expect(res.headers.get('vary')).toMatch(/HX-Request/i)
    const html = await res.text()
    expect(html).not.toMatch(/<!doctype/i)
    expect(html).toMatch(/^<div id="dashboard-charts">/)
    expect(html).toContain('<div id="dashboard-range" class="card"')
    expect(html).toContain('hx-swap-oob="true"')
    const page = await owner.get('/admin/dashboard?days=7')
    const full = await page.text()
    expect(full).toMatch(/^<!doctype html>/)
    expect(full).toContain('hx-get="/admin/dashboard"')
    expect(full).toContain('hx-push-url="true"')
    expect(full).toContain('method="get" action="/admin/dashboard"')
    // A history restore gets the whole page.
    const restore = await owner.get('/admin/dashboard?days=7', {
      'HX-Request': 'true',
      'HX-History-Restore-Request': 'true',
    })
    expect(await restore.text()).toMatch(/^<!doctype html>/)
  })

  it('answers an htmx request with a bad range with the reasons in the charts region (422)', async () => {
    const f = await dashboardFixture()
    const res = await (await ownerOf(f)).get('/admin/dashboard?from=2026-10-31&to=2026-10-01', {
      'HX-Request': 'true',
    })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toMatch(/^<div id="dashboard-charts">/)
    expect(html).toContain('The start date is after the end date.')
    expect(html).toContain('value="2026-10-31"')
  })
})

describe('who sees what on the dashboard', () => {
  it('shows an analyst the member figures and the funnel', async () => {
    const f = await dashboardFixture()
    const analyst = await insertStaff(f.t, f.brand.brandId, { role: 'analyst', email: 'ana@tea.test' })
    const html = await (await (await signInAs(f.t, analyst.id)).get(RANGE)).text()
    expect(funnel(html)).toEqual(['5', '3', '2', '1'])
    expect(figure(html, 'sign-ins')).toBe('4')
  })

  it('shows an operator scans, batches and products but no member figures', async () => {
    const f = await dashboardFixture()
    const operator = await insertStaff(f.t, f.brand.brandId, { role: 'operator', email: 'op@tea.test' })
    const res = await (await signInAs(f.t, operator.id)).get(RANGE)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(figure(html, 'scans')).toBe('7')
    expect(html).toContain('data-table="batch-rates"')
    expect(html).toContain('data-table="top-scans"')
    for (const hidden of [
      'data-figure="sign-ins"',
      'data-figure="claims"',
      'data-step=',
      'data-chart="claims"',
      'top-claims',
    ])
      expect(html).not.toContain(hidden)
  })

  it('shows a channel manager only the scans, places and open cases of their distributors', async () => {
    const f = await dashboardFixture()
    const manager = await insertStaff(f.t, f.brand.brandId, { role: 'channel_manager', email: 'cm@tea.test' })
    const mine = insertDistributor(f.t, f.brand.brandId, {
      code: 'SH-1',
      regions: ['CN-SH'],
      managerIds: [manager.id],
    })
    const theirs = insertDistributor(f.t, f.brand.brandId, { code: 'GD-1', regions: ['CN-GD'] })
    f.t.db.update(codes).set({ distributorId: mine.id }).where(eq(codes.batchId, f.batchB.id)).run()
    f.t.db.update(codes).set({ distributorId: theirs.id }).where(eq(codes.batchId, f.batchA.id)).run()
    insertCase(f.t, { brandId: f.brand.brandId, distributorId: mine.id, productId: f.oolong.id })
    insertCase(f.t, {
      brandId: f.brand.brandId,
      distributorId: mine.id,
      productId: f.green.id,
      status: 'dismissed',
    })
    insertCase(f.t, { brandId: f.brand.brandId, distributorId: theirs.id, productId: f.green.id })
    await runDailyStatsJob(f.t.db, f.t.clock.now(), () => Promise.resolve())

    const html = await (await (await signInAs(f.t, manager.id)).get(RANGE)).text()
    expect(chartTable(html, 'scans')).toEqual({ '2026-10-30': 1, '2026-10-31': 0, '2026-11-01': 1 })
    expect(regionCounts(html)).toEqual({ 'CN-SH': 1 })
    expect(figure(html, 'open-cases')).toBe('1')
    for (const hidden of [
      'unique-scanners',
      'batch-rates',
      'top-scans',
      'top-claims',
      'data-step=',
      'sign-ins',
    ])
      expect(html).not.toContain(hidden)
    const owner = await (await (await ownerOf(f)).get(RANGE)).text()
    expect(figure(owner, 'open-cases')).toBe('2')
  })

  it('sends a signed-out visitor to the sign-in page', async () => {
    const f = await dashboardFixture()
    const res = await f.t.app.request('http://localhost/admin/dashboard')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toMatch(/^\/admin\/sign-in/)
  })
})

describe('a brand with no data yet', () => {
  it('says that nothing happened instead of drawing empty charts', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'new' })
    const res = await (await signInAs(t, brand.ownerId)).get('/admin/dashboard')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('Nothing was scanned, signed in or claimed from 2026-10-03 to 2026-11-01.')
    expect(html).toContain('No batch was scanned in this range.')
    expect(html).toContain('No scans in this range.')
    expect(html).not.toContain('data-chart=')
    expect(figure(html, 'scans')).toBe('0')
  })
})
