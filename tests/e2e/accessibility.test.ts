import { createRequire } from 'node:module'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshotOnFailure } from './support/browser.ts'
import { codeFromOutbox } from './support/member-phone.ts'
import { demoCodeUrls, type RunningServer, startServer } from './support/server.ts'

// axe-core runs inside the page from our node_modules: no network, the same rules as the browser extension.
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
// Our CSP (script-src 'self') refuses the injected axe script. It allows inline styles, so lifting it
// for the check changes nothing the pages draw.
const AXE_NEEDS_CSP_BYPASS = true
/** What fails the check; 'moderate' and 'minor' findings are listed at the end of the run instead. */
const BLOCKING = new Set(['serious', 'critical'])
// A scan in Shanghai of a code shipped to 华南总代 (Guangdong, Guangxi): a diverted item, so the
// console's members, dashboard and diversion pages have rows to draw.
const SHANGHAI = { latitude: 31.23, longitude: 121.47 }

type AxeViolation = {
  id: string
  impact: string | null
  help: string
  helpUrl: string
  nodes: { target: unknown[] }[]
}
type AxeWindow = { axe?: { run(): Promise<{ violations: unknown }> } }

/** The page's axe violations, one line per rule and element: `[impact] rule at selector: help`. */
async function axeFindings(page: Page): Promise<{ impact: string; line: string }[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: AXE_SCRIPT })
  const violations = (await page.evaluate(
    async () => (await (globalThis as AxeWindow).axe!.run()).violations,
  )) as AxeViolation[]
  return violations.flatMap((v) =>
    v.nodes.map((n) => ({
      impact: v.impact ?? 'unknown',
      line: `[${v.impact}] ${v.id} at ${n.target.map(String).join(' ')}: ${v.help} (${v.helpUrl})`,
    })),
  )
}

describe('the product pages, checked by axe-core in a real browser', () => {
  let server: RunningServer
  let browser: Browser
  let urls: string[]
  const pages: Page[] = []
  const contexts: BrowserContext[] = []
  const minor = new Map<string, string[]>()

  /** Fails (softly, so every page of a test is reported) on a serious or critical finding. */
  async function expectAccessible(page: Page, label: string) {
    const findings = await axeFindings(page)
    const rest = findings.filter((f) => !BLOCKING.has(f.impact)).map((f) => f.line)
    if (rest.length > 0) minor.set(label, rest)
    const blocking = findings.filter((f) => BLOCKING.has(f.impact)).map((f) => f.line)
    expect.soft(blocking, `axe: serious or critical violations on ${label}`).toEqual([])
  }

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
    if (minor.size > 0)
      console.info(
        `axe: moderate and minor findings (not failing)\n${[...minor].map(([label, lines]) => `  ${label}\n    ${lines.join('\n    ')}`).join('\n')}`,
      )
  })

  async function phone(locale = 'zh-CN') {
    const context = await browser.newContext({
      bypassCSP: AXE_NEEDS_CSP_BYPASS,
      locale,
      geolocation: SHANGHAI,
      permissions: ['geolocation'],
      viewport: { width: 390, height: 844 },
    })
    contexts.push(context)
    const page = await context.newPage()
    pages.push(page)
    return page
  }

  async function desk() {
    const context = await browser.newContext({
      bypassCSP: AXE_NEEDS_CSP_BYPASS,
      viewport: { width: 1280, height: 900 },
    })
    contexts.push(context)
    const page = await context.newPage()
    pages.push(page)
    page.setDefaultTimeout(15_000)
    return page
  }

  /**
   * On a scan page: shares the location, signs a new member in with the code from the outbox and
   * claims the points; `check` runs at each step the consumer sees.
   */
  async function claimOnPhone(page: Page, url: string, phoneNumber: string, check = async (_: string) => {}) {
    expect((await page.goto(url))?.status()).toBe(200)
    await check('scan page, genuine, with the location consent and claim boxes')
    await page.getByRole('button', { name: '分享位置' }).click()
    await page.waitForSelector('[data-location="located"]')
    await check('scan page, location recorded')
    await page.locator('#claim button[type="submit"]').click()
    await page.waitForSelector('#claim[data-step="identifier"]')
    await check('scan page, member sign-in box (identifier step)')
    await page.getByLabel('手机号或邮箱').fill(phoneNumber)
    await page.getByRole('button', { name: '获取验证码' }).click()
    await page.waitForSelector('#claim[data-step="code"]')
    await check('scan page, member sign-in box (code step with the terms)')
    await page.getByLabel('6 位验证码').fill(codeFromOutbox(server.dataDir, `+86${phoneNumber}`))
    await page.locator('#claim input[name="acceptTerms"]').check()
    await page.locator('#claim button[type="submit"]').click()
    await page.waitForSelector('#claim[data-claim="claimed"]')
    await check('scan page, points claimed')
  }

  describe('a consumer on a phone', () => {
    it('can use the scan page through location consent, sign-in and claim, then the account and rewards pages', async () => {
      const page = await phone()
      await claimOnPhone(page, urls[0]!, '13800138001', (label) => expectAccessible(page, label))

      expect((await page.goto(`${server.baseUrl}/me/demo`))?.status()).toBe(200)
      await expectAccessible(page, '/me/demo (signed in)')
      expect((await page.goto(`${server.baseUrl}/me/demo/rewards`))?.status()).toBe(200)
      await expectAccessible(page, '/me/demo/rewards (signed in)')
      expect((await page.goto(`${server.baseUrl}/me/demo/profile`))?.status()).toBe(200)
      await expectAccessible(page, '/me/demo/profile')
      // The scan page again, now for a code this member already claimed.
      await page.goto(urls[0]!)
      await expectAccessible(page, 'scan page, already yours')
    })

    it('can use the scan page in English and decline the location', async () => {
      const page = await phone('en-US')
      await page.goto(urls[1]!)
      await expectAccessible(page, 'scan page (en)')
      await page.getByRole('button', { name: 'No thanks' }).click()
      await page.waitForSelector('[data-location="declined"]')
      await expectAccessible(page, 'scan page (en), location declined')
    })

    it('can answer the location step where htmx never loads, on a page of its own', async () => {
      const page = await phone('en-US')
      await page.route('**/static/htmx*', (route) => route.abort())
      await page.goto(urls[4]!)
      await page.getByRole('button', { name: 'No thanks' }).click()
      await page.waitForSelector('[data-location="declined"] ~ p [data-back]')
      await expectAccessible(page, 'location step answered without htmx')
    })

    it('can read the "not a genuine code" page', async () => {
      const page = await phone()
      const forged = urls[2]!.replace(/.{4}$/, (s) => (s === 'AAAA' ? 'BBBB' : 'AAAA'))
      expect((await page.goto(forged))?.status()).toBe(404)
      await expectAccessible(page, 'scan page, not genuine')
    })

    it('can check a code by hand at /verify, and read its error', async () => {
      const page = await phone()
      await page.goto(`${server.baseUrl}/verify`)
      await expectAccessible(page, '/verify')
      await page.locator('input[name="code"]').fill('NOT-A-CODE')
      await page.locator('form[action^="/verify"] button[type="submit"]').click()
      await page.waitForSelector('.errors[role="alert"]')
      await expectAccessible(page, '/verify with an error')
    })

    it('can sign in on the account page and read the terms and the privacy notice', async () => {
      const page = await phone()
      expect((await page.goto(`${server.baseUrl}/me/demo`))?.status()).toBe(401)
      await expectAccessible(page, '/me/demo (signed out, sign-in box)')
      expect((await page.goto(`${server.baseUrl}/me/demo/rewards`))?.status()).toBeLessThan(500)
      await expectAccessible(page, '/me/demo/rewards (signed out)')
      await page.goto(`${server.baseUrl}/me/demo/terms`)
      await expectAccessible(page, '/me/demo/terms')
      await page.goto(`${server.baseUrl}/me/demo/privacy?lang=en`)
      await expectAccessible(page, '/me/demo/privacy (en)')
    })
  })

  describe('brand staff in the console on a desktop', () => {
    it('can use the sign-in page and the batches, members, dashboard and diversion pages', async () => {
      // A diverted claim first, so the members, dashboard and diversion pages have rows.
      await claimOnPhone(await phone(), urls[3]!, '13800138002')

      const page = await desk()
      await page.goto(`${server.baseUrl}/admin/sign-in`)
      await expectAccessible(page, '/admin/sign-in')
      const email = /^\s*email:\s+(owner@\S+)$/m.exec(server.output())?.[1]
      const password = new RegExp(`${email}\\n\\s+password:\\s+(\\S+)`).exec(server.output())?.[1]
      expect(email && password, "the demo owner's sign-in in the server's output").toBeTruthy()
      await page.locator('input[name="email"]').fill(email!)
      await page.locator('input[name="password"]').fill('wrong password')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForSelector('.errors')
      await expectAccessible(page, '/admin/sign-in with an error')
      await page.locator('input[name="email"]').fill(email!)
      await page.locator('input[name="password"]').fill(password!)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL((u) => u.pathname.startsWith('/admin') && u.pathname !== '/admin/sign-in')

      for (const [label, at] of [
        ['batches list', '/admin/batches'],
        ['a batch', '/admin/batches/1'],
        ['members list', '/admin/members'],
        ['dashboard', '/admin/dashboard'],
        ['diversion report', '/admin/diversion'],
      ] as const) {
        expect((await page.goto(`${server.baseUrl}${at}`))?.status(), at).toBe(200)
        await expectAccessible(page, `${at} (${label})`)
      }
    })
  })
})
