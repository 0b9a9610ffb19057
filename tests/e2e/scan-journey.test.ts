import path from 'node:path'
import Database from 'better-sqlite3'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshotOnFailure } from './support/browser.ts'
import { demoCodeUrls, type RunningServer, startServer } from './support/server.ts'

const GUANGZHOU = { latitude: 23.13, longitude: 113.26 }

describe('a consumer scanning a printed code in a real browser', () => {
  let server: RunningServer
  let browser: Browser
  let urls: string[]
  const pages: Page[] = []
  const contexts: BrowserContext[] = []

  beforeAll(async () => {
    server = await startServer()
    browser = await launchBrowser()
    urls = await demoCodeUrls(server)
  })

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await screenshotOnFailure(pages, ctx.task.name)
    await Promise.all(contexts.splice(0).map((c) => c.close()))
    pages.length = 0
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  async function phone(opts: { geolocation?: boolean; locale?: string } = {}) {
    const context = await browser.newContext({
      locale: opts.locale ?? 'zh-CN',
      geolocation: GUANGZHOU,
      permissions: opts.geolocation === false ? [] : ['geolocation'],
      viewport: { width: 390, height: 844 },
    })
    contexts.push(context)
    const page = await context.newPage()
    pages.push(page)
    return page
  }

  function scanRow(scanId: number) {
    const db = new Database(path.join(server.dataDir, 'onecode.db'), { readonly: true })
    try {
      return db
        .prepare('select lat, lon, accuracy_m, location_source, consent, region_code from scans where id = ?')
        .get(scanId) as Record<string, unknown> | undefined
    } finally {
      db.close()
    }
  }

  it('shows genuine, asks consent, and stores the location on the scan; a second phone sees where it was first verified', async () => {
    const first = await phone()
    const res = await first.goto(urls[0]!)
    expect(res?.status()).toBe(200)
    await expect.poll(() => first.textContent('h1')).toContain('正品 · 首次查询')
    const action = await first.getAttribute('#location form', 'action')
    const scanId = Number(/\/scans\/(\d+)\//.exec(action ?? '')?.[1])
    expect(scanRow(scanId)?.lat).toBeNull()
    await first.getByRole('button', { name: '分享位置' }).click()
    await first.waitForSelector('[data-location="located"]')
    expect(await first.textContent('#location')).toContain('已记录位置：广东省')
    expect(scanRow(scanId)).toMatchObject({
      lat: GUANGZHOU.latitude,
      lon: GUANGZHOU.longitude,
      location_source: 'gps',
      consent: 'granted',
      region_code: 'CN-GD',
    })

    const second = await phone()
    await second.goto(urls[0]!)
    const verdict = await second.textContent('[data-verdict]')
    expect(verdict).toContain('正品 · 已被查询过')
    expect(verdict).toMatch(/首次验证于 \d{4}年\d{1,2}月\d{1,2}日，地点：广东省/)
  })

  it('shows "not a genuine code" for a forged code', async () => {
    const page = await phone()
    const forged = urls[1]!.replace(/.{4}$/, (s) => (s === 'AAAA' ? 'BBBB' : 'AAAA'))
    const res = await page.goto(forged)
    expect(res?.status()).toBe(404)
    expect(await page.textContent('h1')).toContain('不是正品码')
  })

  it('keeps working when the consumer declines to share a location', async () => {
    const page = await phone({ geolocation: false, locale: 'en-US' })
    await page.goto(urls[2]!)
    expect(await page.textContent('h1')).toContain('Genuine')
    await page.getByRole('button', { name: 'No thanks' }).click()
    await page.waitForSelector('[data-location="declined"]')
    expect(await page.textContent('#location')).toContain('no location recorded')
  })
})
