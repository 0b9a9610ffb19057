import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadOrCreateMasterKey } from '../../src/codes/key-crypto.ts'
import { openDatabase } from '../../src/db/index.ts'
import { chinaDateKey } from '../../src/points/points-calendar.ts'
import { createBrand } from '../../src/staff/brand-setup.ts'
import { hashPassword } from '../../src/staff/password.ts'
import { staff } from '../../src/staff/staff-schema.ts'
import { DAY, insertListMember, insertTiers } from '../support/member-list-fixture.ts'
import { launchBrowser, screenshotOnFailure } from './support/browser.ts'
import { type RunningServer, startServer } from './support/server.ts'

const ANALYST = { email: 'analyst@leaf.test', password: 'analyst password 2026' }
const MEMBERS = 30
/** Members joined 5, 15, …, 295 days ago; the filter keeps those who joined in the last 100 days. */
const JOINED_WITHIN_DAYS = 100

type Seeded = { id: number; name: string; phone: string; joinedDaysAgo: number; vip: boolean }

/**
 * Seeds the database file before the server opens it: a brand with tiers, an analyst, and 30
 * members who differ in join date, tier, tags and last scan. Every third member lacks the 'vip'
 * tag. The filter the analyst uses (a manual tag and the join date) reads rows the server's own
 * start-up jobs do not rewrite.
 */
async function seed(dataDir: string, now: number): Promise<Seeded[]> {
  const masterKey = loadOrCreateMasterKey({ keyFile: path.join(dataDir, 'master.key') })
  const db = openDatabase(path.join(dataDir, 'onecode.db'))
  try {
    const brand = createBrand(
      db,
      masterKey,
      {
        slug: 'leaf',
        name: 'Leaf Tea',
        ownerEmail: 'owner@leaf.test',
        ownerName: 'Leaf Owner',
        passwordHash: await hashPassword('owner password 2026'),
      },
      now,
    )
    if (brand.kind !== 'created') throw new Error(`seed: ${brand.kind}`)
    db.insert(staff)
      .values({
        brandId: brand.brandId,
        email: ANALYST.email,
        name: 'Ana Lyst',
        role: 'analyst',
        passwordHash: await hashPassword(ANALYST.password),
        createdAt: now,
      })
      .run()
    const tiers = Object.values(insertTiers(db, brand.brandId, ['Silver', 'Gold', 'Platinum']))
    const lifecycles = ['new', 'active', 'dormant', 'churned']
    return Array.from({ length: MEMBERS }, (_, i) => {
      const joinedDaysAgo = 5 + 10 * i
      const vip = i % 3 !== 1
      const name = i === 4 ? '王小明' : `Member ${String(i).padStart(2, '0')}`
      const phone = `+86138000000${String(i).padStart(2, '0')}`
      const row = insertListMember(db, masterKey, brand.brandId, {
        name,
        phone,
        createdAt: now - joinedDaysAgo * DAY,
        tierId: i % 4 === 3 ? null : tiers[i % 4],
        activity: {
          lastScanAt: now - (i % 7) * 20 * DAY,
          balance: i * 10,
          pointsEarned: i * 25,
          lifecycle: lifecycles[i % 4],
          preferredRegion: i % 2 === 0 ? 'CN-GD' : 'CN-SH',
        },
        autoTags: { [`lifecycle:${lifecycles[i % 4]}`]: 'seeded' },
        manualTags: vip ? ['vip'] : ['newsletter'],
      })
      return { id: row.id, name, phone, joinedDaysAgo, vip }
    })
  } finally {
    db.$client.close()
  }
}

describe('an analyst turning a filtered members list into a segment in a real browser', () => {
  let server: RunningServer
  let browser: Browser
  let context: BrowserContext
  let seeded: Seeded[] = []
  const pages: Page[] = []
  const now = Date.now()

  beforeAll(async () => {
    server = await startServer(
      { SEED_DEMO: '0' },
      {
        beforeStart: async (dataDir) => {
          seeded = await seed(dataDir, now)
        },
      },
    )
    browser = await launchBrowser()
  })

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(pages, ctx.task.name)
    await context?.close()
    pages.length = 0
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('filters by tag and join date, saves the segment, opens it and exports its members as CSV', async () => {
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } })
    const page = await context.newPage()
    pages.push(page)
    page.setDefaultTimeout(15_000)
    const expected = seeded.filter((m) => m.vip && m.joinedDaysAgo < JOINED_WITHIN_DAYS)
    expect(expected.length).toBeGreaterThan(3)

    await page.goto(`${server.baseUrl}/admin/sign-in`)
    await page.locator('input[name="email"]').fill(ANALYST.email)
    await page.locator('input[name="password"]').fill(ANALYST.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL((u) => u.pathname.startsWith('/admin') && u.pathname !== '/admin/sign-in')

    await page.goto(`${server.baseUrl}/admin/members`)
    await page.locator(`#member-results [data-total="${MEMBERS}"]`).waitFor()
    // An analyst sees phone numbers masked.
    const listText = await page.locator('#member-results').innerText()
    expect(listText).toContain('+86138****0000')
    expect(listText).not.toContain(seeded[0]!.phone)

    const filter = page.getByRole('form', { name: 'Filter members' })
    await filter.locator('input[name="tag"]').fill('vip')
    await filter.locator('input[name="joinedFrom"]').fill(chinaDateKey(now - JOINED_WITHIN_DAYS * DAY))
    await filter.getByRole('button', { name: 'Apply' }).click()
    // htmx swaps the results in place and pushes the filtered URL.
    await page.locator(`#member-results [data-total="${expected.length}"]`).waitFor()
    await page.waitForURL((u) => u.searchParams.get('tag') === 'vip' && u.searchParams.has('joinedFrom'))
    // The server's canonical URL (HX-Push-Url), not the form's empty fields: htmx did the swap.
    expect(new URL(page.url()).search).toBe(
      `?tag=vip&joinedFrom=${chinaDateKey(now - JOINED_WITHIN_DAYS * DAY)}&sort=joined`,
    )
    const shown = await page
      .locator('#member-results tr[data-member]')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-member'))))
    // Newest members first.
    expect(shown).toEqual(expected.map((m) => m.id))

    await page.getByText('Save these filters as a segment').click()
    const save = page.locator('form[action="/admin/segments"]')
    await save.locator('input[name="name"]').fill('Recent VIPs')
    await save
      .locator('textarea[name="description"]')
      .fill(`VIPs who joined in the last ${JOINED_WITHIN_DAYS} days`)
    await save.getByRole('button', { name: 'Save as segment' }).click()
    await page.waitForURL((u) => /^\/admin\/segments\/\d+$/.test(u.pathname))
    const segmentId = Number(/\/admin\/segments\/(\d+)/.exec(page.url())![1])
    expect(await page.locator('h1').innerText()).toBe('Recent VIPs')
    expect(await page.locator('.notice').innerText()).toContain('Segment saved.')
    expect(await page.locator('b[data-size]').getAttribute('data-size')).toBe(String(expected.length))
    expect(await page.locator('main').innerText()).toContain('tagged “vip”')

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ])
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^segment-${segmentId}-\\d{4}-\\d{2}-\\d{2}\\.csv$`),
    )
    const saved = path.join(server.dataDir, 'segment.csv')
    await download.saveAs(saved)
    const [header, ...lines] = fs
      .readFileSync(saved, 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
    expect(header).toBe('member_id,phone,email,name,tier,balance,points_earned,last_scan_utc,tags')
    const rows = lines.map((l) => l.split(','))
    const byId = [...expected].sort((a, b) => a.id - b.id)
    expect(rows.map((r) => Number(r[0]))).toEqual(byId.map((m) => m.id))
    rows.forEach((r, i) => {
      const m = byId[i]!
      expect(r[1]).toBe(`'+86138****00${m.phone.slice(-2)}`)
      expect(r[3]).toBe(m.name)
      expect(r[8]).toContain('vip')
    })

    const db = new Database(path.join(server.dataDir, 'onecode.db'), { readonly: true, fileMustExist: true })
    try {
      const audit = db
        .prepare(
          "SELECT actor_label AS actor, subject_id AS subject, detail FROM audit_log WHERE action = 'segments.export'",
        )
        .all() as { actor: string; subject: string; detail: string }[]
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({ actor: ANALYST.email, subject: String(segmentId) })
      expect(JSON.parse(audit[0]!.detail)).toMatchObject({ count: expected.length, contacts: 'masked' })
    } finally {
      db.close()
    }

    await page.goto(`${server.baseUrl}/admin/segments`)
    const listed = page.locator(`tr[data-segment="${segmentId}"]`)
    expect(await listed.locator('[data-size]').getAttribute('data-size')).toBe(String(expected.length))
  })
})
