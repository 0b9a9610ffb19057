import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshotOnFailure } from './support/browser.ts'
import { type RunningServer, startServer } from './support/server.ts'

const SKU = 'OOLONG-30'
const PRODUCT_NAME = 'Wuyi Oolong 250 g'
const GTIN = '4006381333931'
const POINTS = 25
const QUANTITY = 30

/** The demo owner's sign-in, printed once on the first start (src/server.ts). */
function demoOwner(output: string): { email: string; password: string } {
  const email = /^\s*email:\s+(\S+)$/m.exec(output)?.[1]
  const password = /^\s*password:\s+(\S+)$/m.exec(output)?.[1]
  if (!email || !password) throw new Error(`no demo sign-in in the server's output:\n${output}`)
  return { email, password }
}

describe('a brand owner preparing a print run in a real browser', () => {
  let server: RunningServer
  let browser: Browser
  let context: BrowserContext
  const pages: Page[] = []

  beforeAll(async () => {
    server = await startServer()
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

  /** Chooses a format in the batch page's Download form and saves what the browser downloads. */
  async function download(page: Page, format: 'csv' | 'pdf'): Promise<{ name: string; bytes: Buffer }> {
    const form = page.locator('form[action$="/export"]')
    await form.locator('select[name="format"]').selectOption(format)
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      form.getByRole('button', { name: 'Download' }).click(),
    ])
    const saved = path.join(server.dataDir, `download-${format}`)
    await file.saveAs(saved)
    return { name: file.suggestedFilename(), bytes: fs.readFileSync(saved) }
  }

  it('signs in, creates a product and a batch of 30, activates it and downloads its CSV and PDF print files', async () => {
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    pages.push(page)
    page.setDefaultTimeout(15_000)

    const owner = demoOwner(server.output())
    await page.goto(`${server.baseUrl}/admin/sign-in`)
    await page.locator('input[name="email"]').fill(owner.email)
    await page.locator('input[name="password"]').fill(owner.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL((u) => u.pathname.startsWith('/admin') && u.pathname !== '/admin/sign-in')

    await page.goto(`${server.baseUrl}/admin/products/new`)
    await page.locator('input[name="sku"]').fill(SKU)
    await page.locator('input[name="name"]').fill(PRODUCT_NAME)
    await page.locator('input[name="gtin"]').fill(GTIN)
    await page.locator('input[name="points"]').fill(String(POINTS))
    await page.getByRole('button', { name: 'Save product' }).click()
    await page.waitForURL((u) => u.pathname === '/admin/products')
    await expect.poll(() => page.locator('body').innerText()).toContain(`Product ${SKU} saved`)
    expect(await page.locator('body').innerText()).toContain(PRODUCT_NAME)

    await page.goto(`${server.baseUrl}/admin/batches/new`)
    const productSelect = page.locator('select[name="productId"]')
    const option = productSelect.locator('option', { hasText: SKU })
    await productSelect.selectOption(await option.getAttribute('value'))
    await page.locator('input[name="quantity"]').fill(String(QUANTITY))
    await page.getByRole('button', { name: 'Create batch' }).click()
    await page.waitForURL((u) => /^\/admin\/batches\/\d+$/.test(u.pathname))
    const batchId = Number(/\/admin\/batches\/(\d+)/.exec(page.url())?.[1])
    expect(await page.locator('h1').innerText()).toContain(PRODUCT_NAME)

    // The progress panel polls while minting and reloads the page when the batch is ready; the
    // print and activation forms exist only on the ready page.
    await page.locator('#batch-progress .pill.ready').waitFor()
    await page.getByRole('heading', { name: 'Print files' }).waitFor()
    expect(await page.locator('#batch-progress').innerText()).toContain(
      `${QUANTITY} of ${QUANTITY} codes minted`,
    )

    const activate = page.locator('form[action$="/activate"]')
    expect(await activate.locator('input[name="from"]').inputValue()).toBe('1')
    expect(await activate.locator('input[name="to"]').inputValue()).toBe(String(QUANTITY))
    await activate.getByRole('button', { name: 'Activate codes' }).click()
    // Activation asks first: it names the count and that these codes are bound to no distributor.
    await page.getByRole('heading', { name: `Activate ${QUANTITY} codes (#1–#${QUANTITY})` }).waitFor()
    expect(await page.locator('.warn').innerText()).toContain('not bound to any distributor')
    await page.getByRole('button', { name: `Activate ${QUANTITY} codes` }).click()
    await page.waitForURL((u) => u.searchParams.has('notice'))
    expect(await page.locator('.notice').innerText()).toContain(`${QUANTITY} codes activated`)

    const csv = await download(page, 'csv')
    expect(csv.name).toMatch(/\.csv$/)
    const [header, ...rows] = csv.bytes.toString('utf8').trim().split(/\r?\n/)
    expect(header).toBe('seq,serial,url')
    expect(rows).toHaveLength(QUANTITY)
    const parsed = rows.map((r) => {
      const [seq, serial, url] = r.split(',')
      return { seq: Number(seq), serial: serial!, url: url! }
    })
    expect(parsed.map((r) => r.seq)).toEqual(Array.from({ length: QUANTITY }, (_, i) => i + 1))
    // Short URLs come upper-cased (QR alphanumeric mode packs them densest): compare without case.
    for (const r of parsed)
      expect(r.url.toLowerCase().startsWith(`${server.baseUrl}/c/`.toLowerCase()), r.url).toBe(true)
    expect(new Set(parsed.map((r) => r.url)).size).toBe(QUANTITY)

    const pdf = await download(page, 'pdf')
    expect(pdf.name).toMatch(/\.pdf$/)
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')

    // The serials are this batch's codes, all activated, of the product just made.
    const db = new Database(path.join(server.dataDir, 'onecode.db'), { readonly: true, fileMustExist: true })
    try {
      const codes = db
        .prepare(
          `SELECT c.seq, c.serial, c.state, p.sku FROM codes c
             JOIN batches b ON b.id = c.batch_id JOIN products p ON p.id = b.product_id
            WHERE c.batch_id = ? ORDER BY c.seq`,
        )
        .all(batchId) as { seq: number; serial: string; state: string; sku: string }[]
      expect(codes.map((c) => ({ seq: c.seq, state: c.state, sku: c.sku }))).toEqual(
        parsed.map((r) => ({ seq: r.seq, state: 'activated', sku: SKU })),
      )
      // The printed serial is the human form of the code (key id, serial, tag, check, grouped by 4).
      codes.forEach((c, i) => {
        expect(parsed[i]!.serial.replaceAll('-', '')).toContain(c.serial)
      })
    } finally {
      db.close()
    }
    // A printed URL opens that product's scan page.
    const scan = await context.newPage()
    pages.push(scan)
    await scan.goto(parsed[0]!.url)
    expect(await scan.locator('body').innerText()).toContain(PRODUCT_NAME)
    await scan.close()
    pages.pop()

    await page.goto(`${server.baseUrl}/admin/batches/${batchId}`)
    const history = page.locator('h2:text-is("Print file history") + table tbody tr')
    await expect.poll(() => history.count()).toBe(2)
    const formats = (await history.locator('td:nth-child(2)').allInnerTexts()).sort()
    expect(formats).toEqual(['csv', 'pdf'])
    for (const codesCell of await history.locator('td:nth-child(3)').allInnerTexts())
      expect(codesCell).toBe(`#1–#${QUANTITY}`)
  })
})
