import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshotOnFailure } from './support/browser.ts'
import { type RunningServer, startServer } from './support/server.ts'

/** The demo owner's sign-in, printed once on the first start (src/server.ts). */
function demoOwner(output: string): { email: string; password: string } {
  const email = /^\s*email:\s+(\S+)$/m.exec(output)?.[1]
  const password = /^\s*password:\s+(\S+)$/m.exec(output)?.[1]
  if (!email || !password) throw new Error(`no demo sign-in in the server's output:\n${output}`)
  return { email, password }
}

describe('the dashboard in a real browser', () => {
  let server: RunningServer
  let browser: Browser
  let context: BrowserContext | undefined
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

  async function signedIn(javaScriptEnabled: boolean): Promise<Page> {
    context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    pages.push(page)
    page.setDefaultTimeout(15_000)
    const owner = demoOwner(server.output())
    await page.goto(`${server.baseUrl}/admin/sign-in`)
    await page.locator('input[name="email"]').fill(owner.email)
    await page.locator('input[name="password"]').fill(owner.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL((u) => u.pathname.startsWith('/admin') && u.pathname !== '/admin/sign-in')
    return page
  }

  it('swaps the charts for a preset and a custom range, keeps the URL, and goes back', async () => {
    const page = await signedIn(true)
    await page.goto(`${server.baseUrl}/admin/dashboard`)
    const heading = page.locator('#dashboard-charts h2').first()
    await expect.poll(() => heading.innerText()).toContain('30 days')
    // The page itself does not reload on an htmx swap: a marker set on window survives it.
    await page.evaluate(() => {
      ;(globalThis as unknown as { marker: number }).marker = 1
    })
    await page.getByRole('link', { name: 'Last 7 days' }).click()
    await expect.poll(() => heading.innerText()).toContain('7 days')
    expect(new URL(page.url()).search).toBe('?days=7')
    expect(await page.locator('a[aria-current="true"]').innerText()).toBe('Last 7 days')
    await page.locator('input[name="from"]').fill('2026-01-01')
    await page.locator('input[name="to"]').fill('2026-01-10')
    await page.getByRole('button', { name: 'Show' }).click()
    await expect.poll(() => heading.innerText()).toContain('2026-01-01 to 2026-01-10')
    expect(new URL(page.url()).search).toBe('?from=2026-01-01&to=2026-01-10')
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1)
    await page.goBack()
    await expect.poll(() => page.locator('#dashboard-charts h2').first().innerText()).toContain('7 days')
  })

  it('works without JavaScript: the form is a plain GET', async () => {
    const page = await signedIn(false)
    await page.goto(`${server.baseUrl}/admin/dashboard?days=90`)
    expect(await page.locator('#dashboard-charts h2').first().innerText()).toContain('90 days')
    await page.locator('input[name="from"]').fill('2026-02-01')
    await page.locator('input[name="to"]').fill('2026-02-28')
    await page.getByRole('button', { name: 'Show' }).click()
    await page.waitForURL((u) => u.search === '?from=2026-02-01&to=2026-02-28')
    expect(await page.locator('#dashboard-charts h2').first().innerText()).toContain('28 days')
  })
})
