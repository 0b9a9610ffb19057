import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshotOnFailure } from './support/browser.ts'
import { codeFromOutbox } from './support/member-phone.ts'
import { demoCodeUrls, type RunningServer, startServer } from './support/server.ts'

const PHONE = '13800138000'
// The demo batch's first codes are shipped to 华南总代 (Guangdong, Guangxi): a scan in Shanghai is
// a diverted item, which still earns under the demo brand's default policy (award).
const SHANGHAI = { latitude: 31.23, longitude: 121.47 }
const PHONE_E164 = '+8613800138000'

describe('a consumer claiming points in a real browser', () => {
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

  async function phone() {
    const context = await browser.newContext({
      locale: 'zh-CN',
      geolocation: SHANGHAI,
      permissions: ['geolocation'],
      viewport: { width: 390, height: 844 },
    })
    contexts.push(context)
    const page = await context.newPage()
    pages.push(page)
    return page
  }

  it('scans a printed code in Shanghai, shares its location, signs in with the code from the outbox, claims 10 points and sees them in the account; the channel manager opens the resulting case', async () => {
    const page = await phone()
    expect((await page.goto(urls[0]!))?.status()).toBe(200)
    await page.getByRole('button', { name: '分享位置' }).click()
    await page.waitForSelector('[data-location="located"]')
    expect(await page.textContent('#location')).toContain('已记录位置：上海市')
    await page.getByRole('button', { name: '领取 10 积分' }).click()

    await page.waitForSelector('#claim[data-step="identifier"]')
    await page.getByLabel('手机号或邮箱').fill(PHONE)
    await page.getByRole('button', { name: '获取验证码' }).click()

    await page.waitForSelector('#claim[data-step="code"]')
    expect(await page.textContent('#claim')).toContain('+86138****8000')
    await page.getByLabel('6 位验证码').fill(codeFromOutbox(server.dataDir, PHONE_E164))
    await page.getByLabel('我已阅读并同意《会员条款》和《隐私政策》').check()
    await page.getByRole('button', { name: '登录并领取' }).click()

    await page.waitForSelector('#claim[data-claim="claimed"]')
    expect(await page.textContent('#claim')).toContain('已领取 10 积分！当前积分：10')

    expect((await page.goto(`${server.baseUrl}/me/demo`))?.status()).toBe(200)
    expect(await page.getAttribute('[data-balance]', 'data-balance')).toBe('10')
    expect(await page.textContent('[data-balance]')).toContain('10')

    // The demo channel manager (printed once at first start) finds the off-region case this scan made.
    const email = /email:\s+(manager@\S+)/.exec(server.output())?.[1]
    const password = new RegExp(`${email}\\n\\s+password:\\s+(\\S+)`).exec(server.output())?.[1]
    expect(email && password).toBeTruthy()
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    contexts.push(desk)
    const manager = await desk.newPage()
    pages.push(manager)
    await manager.goto(`${server.baseUrl}/admin/sign-in`)
    await manager.locator('input[name="email"]').fill(email!)
    await manager.locator('input[name="password"]').fill(password!)
    await manager.getByRole('button', { name: 'Sign in' }).click()
    await manager.getByRole('heading', { name: 'Diversion report' }).waitFor()
    const cases = manager.locator('table.cases tbody tr[data-case]')
    expect(await cases.count()).toBe(1)
    await cases.first().getByRole('link').first().click()
    await manager.waitForURL((u) => u.pathname.startsWith('/admin/diversion/cases/'))
    const evidence = await manager.locator('main').innerText()
    expect(evidence).toContain('华南总代')
    expect(evidence).toContain('Shanghai')
    expect(await manager.locator('table.scans tbody tr').count()).toBe(1)
  })
})
