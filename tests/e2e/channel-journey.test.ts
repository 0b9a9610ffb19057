import path from 'node:path'
import Database from 'better-sqlite3'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../src/staff/password.ts'
import { launchBrowser, screenshotOnFailure } from './support/browser.ts'
import { type RunningServer, startServer } from './support/server.ts'

const MANAGER_EMAIL = 'li.wei@demo.onecode.local'
const MANAGER_PASSWORD = 'guangdong channel 2026'
const DISTRIBUTOR = 'Pearl River Trading'
const NOTE = 'Found on a Shanghai market stall; photos in ticket 4711.'

const PLACES = {
  shanghai: { lon: 121.47, lat: 31.23, region: 'CN-SH', en: 'Shanghai', zh: '上海市' },
  beijing: { lon: 116.4, lat: 39.9, region: 'CN-BJ', en: 'Beijing', zh: '北京市' },
}

type Seeded = { shanghaiCase: number; beijingCase: number }

/**
 * What the warehouse and the signal engine would have left in the demo brand's database: a
 * distributor bound to Guangdong with a channel manager, a shipment of the demo batch, and
 * off-region GPS scans of its codes (3 in Shanghai, 1 in Beijing), each with a signal, in two
 * open cases. Written while the server runs, as another process would (WAL).
 */
async function seedChannel(dataDir: string): Promise<Seeded> {
  const passwordHash = await hashPassword(MANAGER_PASSWORD)
  const db = new Database(path.join(dataDir, 'onecode.db'), { fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  try {
    return db.transaction(() => {
      const now = Date.now()
      const brand = db.prepare("SELECT id FROM brands WHERE slug = 'demo'").get() as { id: number }
      const batch = db
        .prepare('SELECT id, product_id AS productId FROM batches WHERE brand_id = ? ORDER BY id LIMIT 1')
        .get(brand.id) as { id: number; productId: number }
      const manager = db
        .prepare(
          `INSERT INTO staff (brand_id, email, name, password_hash, role, created_at)
           VALUES (?, ?, 'Li Wei', ?, 'channel_manager', ?) RETURNING id`,
        )
        .get(brand.id, MANAGER_EMAIL, passwordHash, now) as { id: number }
      const distributor = db
        .prepare(
          `INSERT INTO distributors (brand_id, code, name, contact_name, status, created_at)
           VALUES (?, 'GD-001', ?, 'Ms Chen', 'active', ?) RETURNING id`,
        )
        .get(brand.id, DISTRIBUTOR, now) as { id: number }
      db.prepare(
        "INSERT INTO distributor_regions (distributor_id, brand_id, region_code) VALUES (?, ?, 'CN-GD')",
      ).run(distributor.id, brand.id)
      db.prepare('INSERT INTO staff_distributors (staff_id, distributor_id, brand_id) VALUES (?, ?, ?)').run(
        manager.id,
        distributor.id,
        brand.id,
      )
      const shipment = db
        .prepare(
          `INSERT INTO shipments (brand_id, distributor_id, kind, batch_id, seq_from, seq_to, code_count,
             reason, actor_label, created_at)
           VALUES (?, ?, 'batch', ?, 1, 20, 20, 'first shipment', 'warehouse@demo', ?) RETURNING id`,
        )
        .get(brand.id, distributor.id, batch.id, now - 86_400_000) as { id: number }
      db.prepare('UPDATE codes SET distributor_id = ?, shipment_id = ? WHERE batch_id = ?').run(
        distributor.id,
        shipment.id,
        batch.id,
      )
      const codes = db.prepare('SELECT id FROM codes WHERE batch_id = ? ORDER BY seq').all(batch.id) as {
        id: number
      }[]
      const openCase = db.prepare(
        `INSERT INTO diversion_cases (brand_id, distributor_id, product_id, region_code, status, signal_count,
           max_confidence, first_at, last_at) VALUES (?, ?, ?, ?, 'open', 0, 0, ?, ?) RETURNING id`,
      )
      const scan = db.prepare(
        `INSERT INTO scans (brand_id, code_id, device_id, ip_prefix, user_agent, verdict, counted, lat, lon,
           accuracy_m, location_source, located_at, region_code, place_zh, place_en, at)
         VALUES (?, ?, ?, '203.0.113.0/24', 'e2e', 'genuine-first', 1, ?, ?, 20, 'gps', ?, ?, ?, ?, ?) RETURNING id`,
      )
      const signal = db.prepare(
        `INSERT INTO diversion_signals (brand_id, case_id, kind, scan_id, code_id, distributor_id, product_id,
           batch_id, shipment_id, region_code, confidence, distance_km, reasons, at)
         VALUES (?, ?, 'off-region', ?, ?, ?, ?, ?, ?, ?, 0.9, ?, ?, ?)`,
      )
      const count = db.prepare(
        `UPDATE diversion_cases SET signal_count = signal_count + 1, max_confidence = 0.9,
           first_at = min(first_at, ?), last_at = max(last_at, ?) WHERE id = ?`,
      )
      const makeCase = (place: (typeof PLACES)[keyof typeof PLACES], codeIndexes: number[], km: number) => {
        const at0 = now - 3_600_000
        const c = openCase.get(brand.id, distributor.id, batch.productId, place.region, at0, at0) as {
          id: number
        }
        for (const [i, k] of codeIndexes.entries()) {
          const at = at0 + i * 60_000
          const s = scan.get(
            brand.id,
            codes[k]!.id,
            `e2e-device-${k}`,
            place.lat,
            place.lon,
            at,
            place.region,
            place.zh,
            place.en,
            at,
          ) as { id: number }
          signal.run(
            brand.id,
            c.id,
            s.id,
            codes[k]!.id,
            distributor.id,
            batch.productId,
            batch.id,
            shipment.id,
            place.region,
            km,
            JSON.stringify({ rule: 'outside sales regions', allowed: 'CN-GD' }),
            at,
          )
          count.run(at, at, c.id)
        }
        return c.id
      }
      return {
        shanghaiCase: makeCase(PLACES.shanghai, [0, 1, 2], 1210),
        beijingCase: makeCase(PLACES.beijing, [3], 1890),
      }
    })()
  } finally {
    db.close()
  }
}

describe('a channel manager acting on a diversion case in a real browser', () => {
  let server: RunningServer
  let browser: Browser
  let context: BrowserContext
  let seeded: Seeded
  const pages: Page[] = []

  beforeAll(async () => {
    server = await startServer()
    seeded = await seedChannel(server.dataDir)
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

  it('signs in, opens the report, filters it, opens the case and confirms it with a note', async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    pages.push(page)
    page.setDefaultTimeout(15_000)
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.accept()
    })

    await page.goto(`${server.baseUrl}/admin/sign-in`)
    await page.locator('input[name="email"]').fill(MANAGER_EMAIL)
    await page.locator('input[name="password"]').fill(MANAGER_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    // A channel manager's console opens on the diversion report.
    await page.waitForURL((u) => u.pathname === '/admin/diversion')
    await page.getByRole('heading', { name: 'Diversion report' }).waitFor()
    const matrix = page.locator('table.matrix')
    expect(await matrix.getAttribute('data-total')).toBe('4')
    expect(await matrix.locator('tbody tr').first().innerText()).toContain(DISTRIBUTOR)
    expect(await page.locator('svg[role="img"]').count()).toBeGreaterThan(0)
    expect(await page.locator('table.cases tbody tr').count()).toBe(2)

    // Filter to Shanghai: htmx swaps the report in place (no reload) and puts the filter in the URL.
    await page.evaluate(() => {
      ;(globalThis as unknown as { stillHere: boolean }).stillHere = true
    })
    await page.locator('form.report-filters select[name="region"]').selectOption('CN-SH')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.waitForURL((u) => u.searchParams.get('region') === 'CN-SH')
    await expect.poll(() => page.locator('table.matrix').getAttribute('data-total')).toBe('3')
    expect(await page.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere)).toBe(true)
    const rows = page.locator('table.cases tbody tr')
    expect(await rows.count()).toBe(1)
    expect(await rows.first().getAttribute('data-case')).toBe(String(seeded.shanghaiCase))

    // The case and its evidence.
    await rows
      .first()
      .getByRole('link', { name: `#${seeded.shanghaiCase}` })
      .click()
    await page.waitForURL((u) => u.pathname === `/admin/diversion/cases/${seeded.shanghaiCase}`)
    const body = await page.locator('main').innerText()
    expect(body).toContain(DISTRIBUTOR)
    expect(body).toContain('Guangdong')
    expect(body).toContain('Shanghai (上海市)')
    expect(body).toContain('warehouse@demo')
    expect(await page.locator('table.scans tbody tr').count()).toBe(3)
    expect(await page.locator('svg[role="img"] circle[data-point]').count()).toBe(3)

    // Confirming without a note is stopped by the form's own check, before the final question.
    const dialogsBefore = dialogs.length
    await page.getByRole('button', { name: 'Confirm diversion' }).click()
    expect(await page.locator('#decide textarea[name="note"]:invalid').count()).toBe(1)
    await page.waitForTimeout(300)
    expect(dialogs.length).toBe(dialogsBefore)
    expect(await page.getByRole('button', { name: 'Confirm diversion' }).count()).toBe(1)
    // Then with a note, after the confirmation dialog.
    await page.locator('#decide textarea[name="note"]').fill(NOTE)
    await page.getByRole('button', { name: 'Confirm diversion' }).click()
    await page.waitForURL((u) => u.searchParams.get('decided') === 'confirm')
    expect(await page.locator('.notice').innerText()).toContain('Case confirmed as diversion.')
    expect(await page.locator('#decide [data-status]').innerText()).toBe('confirmed')
    expect(await page.locator('#decide').innerText()).toContain(NOTE)
    expect(dialogs.length).toBeGreaterThanOrEqual(1)
    expect(dialogs.at(-1)).toContain(`Confirm case #${seeded.shanghaiCase} as diversion?`)

    const db = new Database(path.join(server.dataDir, 'onecode.db'), { readonly: true, fileMustExist: true })
    try {
      const decided = db
        .prepare(
          `SELECT c.status, c.note, s.email FROM diversion_cases c JOIN staff s ON s.id = c.decided_by_staff_id
            WHERE c.id = ?`,
        )
        .get(seeded.shanghaiCase)
      expect(decided).toEqual({ status: 'confirmed', note: NOTE, email: MANAGER_EMAIL })
      const audit = db
        .prepare(
          "SELECT actor_label AS actor FROM audit_log WHERE action = 'diversion.case.confirm' AND subject_id = ?",
        )
        .all(String(seeded.shanghaiCase))
      expect(audit).toEqual([{ actor: MANAGER_EMAIL }])
      const other = db.prepare('SELECT status FROM diversion_cases WHERE id = ?').get(seeded.beijingCase)
      expect(other).toEqual({ status: 'open' })
    } finally {
      db.close()
    }
  })
})
