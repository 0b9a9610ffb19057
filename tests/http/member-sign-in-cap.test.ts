import { eq } from 'drizzle-orm'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.tsx'
import type { AppDeps } from '../../src/app-deps.ts'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { ConfigError, DEFAULT_CODE_SENDS_PER_BRAND_PER_HOUR, loadConfig } from '../../src/config.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { otpChallenges, outbox } from '../../src/members/member-schema.ts'
import { consumerBrowser } from '../support/member-session.ts'
import {
  buildTestApp,
  csrfTokenIn,
  insertBatch,
  insertBrand,
  insertProduct,
  postForm,
} from '../support/test-app.ts'

const CAP = 3
const HOUR_S = 3600

/**
 * The app as it runs behind nginx (TRUST_PROXY=1), so each request can come from its own address
 * the way a botnet's do, with a small cap and a logger whose warnings the test reads.
 */
async function setup() {
  const t = buildTestApp()
  const warnings: { msg: string; [k: string]: unknown }[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) })
  const deps: AppDeps = {
    ...t.deps,
    logger,
    config: { ...t.deps.config, trustProxy: 'one-hop', codeSendsPerBrandPerHour: CAP },
  }
  const app = createApp(deps)
  const tea = await insertBrand(t, { slug: 'tea' })
  const coffee = await insertBrand(t, { slug: 'coffee' })
  return { t, app, tea, coffee, warnings }
}

type Setup = Awaited<ReturnType<typeof setup>>

let asked = 0

/**
 * One consumer asking for a code on a brand's account page: a fresh phone (device cookie), a
 * mobile number nobody used yet and an address of its own, so no per-IP or per-number limit is
 * what stops it.
 */
async function askForCode(s: Setup, slug: string, opts: { lang?: 'en' | 'zh-CN'; htmx?: boolean } = {}) {
  const n = ++asked
  const lang = opts.lang ?? 'en'
  const browser = consumerBrowser(s.app)
  const csrf = csrfTokenIn(await (await browser.get(`/me/${slug}?lang=${lang}`)).text())!
  const identifier = `139${String(n).padStart(8, '0')}`
  const res = await postForm(
    s.app,
    `/me/${slug}/sign-in?lang=${lang}`,
    { _csrf: csrf, identifier },
    {
      cookie: browser.cookie(),
      'x-forwarded-for': `203.0.${Math.floor(n / 250)}.${(n % 250) + 1}`,
      ...(opts.htmx ? { 'hx-request': 'true' } : {}),
    },
  )
  return { res, html: await res.text(), identifier }
}

/** A consumer's phone that scanned a genuine, activated code of the brand `tea`: the claim box's form. */
async function scannedCode(s: Setup) {
  const product = insertProduct(s.t, s.tea.brandId, { sku: 'TEA-1' })
  const batch = insertBatch(s.t, s.tea.brandId, product.id, { quantity: 1 })
  const by = { staffId: null, label: 'test' }
  activateCodes(brandDb(s.t.db, s.tea.brandId), by, batch.id, null, s.t.clock.now())
  const row = s.t.db.select().from(codes).where(eq(codes.batchId, batch.id)).get()!
  const token = assembleToken(row.kid, row.serial, row.tag)
  const browser = consumerBrowser(s.app)
  const page = await (await browser.get(new URL(shortCodeUrl('http://localhost', token)).pathname)).text()
  return { browser, csrf: csrfTokenIn(page)!, scanId: Number(/\/scans\/(\d+)\//.exec(page)![1]) }
}

async function useUpTheCap(s: Setup, slug = 'tea') {
  for (let i = 0; i < CAP; i++) expect((await askForCode(s, slug)).res.status).toBe(200)
}

const sentFor = (s: Setup, brandId: number) => ({
  messages: s.t.db.select().from(outbox).where(eq(outbox.brandId, brandId)).all().length,
  challenges: s.t.db.select().from(otpChallenges).where(eq(otpChallenges.brandId, brandId)).all().length,
})

describe('the hourly cap on the sign-in codes a brand sends', () => {
  it('sends no more codes in an hour than the cap, whichever addresses and numbers ask, and leaves nothing behind', async () => {
    const s = await setup()
    await useUpTheCap(s)
    const refused = await askForCode(s, 'tea')
    expect(refused.res.status).toBe(429)
    const retryAfter = Number(refused.res.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(HOUR_S)
    // The same sign-in box, with the number kept and why, in the consumer's language.
    expect(refused.html).toContain('data-step="identifier"')
    expect(refused.html).toContain(`value="${refused.identifier}"`)
    expect(refused.html).toContain('Too many people are asking for codes right now. Please try again later.')
    // No message to the provider and no challenge row: nothing that a later request could use.
    expect(sentFor(s, s.tea.brandId)).toEqual({ messages: CAP, challenges: CAP })
  })

  it('answers the refusal in Chinese in the htmx box as well', async () => {
    const s = await setup()
    await useUpTheCap(s)
    const refused = await askForCode(s, 'tea', { lang: 'zh-CN', htmx: true })
    expect(refused.res.status).toBe(429)
    expect(refused.res.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(refused.res.headers.get('vary')).toContain('HX-Request')
    expect(refused.html).toMatch(/^<section id="sign-in"/)
    expect(refused.html).toContain('当前获取验证码的人数过多，请稍后再试。')
  })

  it('is per brand: another brand’s consumers still get their codes', async () => {
    const s = await setup()
    await useUpTheCap(s, 'tea')
    expect((await askForCode(s, 'tea')).res.status).toBe(429)
    expect((await askForCode(s, 'coffee')).res.status).toBe(200)
    expect(sentFor(s, s.coffee.brandId)).toEqual({ messages: 1, challenges: 1 })
  })

  it('sends codes again once Retry-After has passed', async () => {
    const s = await setup()
    await useUpTheCap(s)
    const refused = await askForCode(s, 'tea')
    expect(refused.res.status).toBe(429)
    const retryAfterS = Number(refused.res.headers.get('retry-after'))
    s.t.clock.advance((retryAfterS - 1) * 1000)
    expect((await askForCode(s, 'tea')).res.status).toBe(429)
    s.t.clock.advance(1000)
    expect((await askForCode(s, 'tea')).res.status).toBe(200)
  })

  it('does not count the requests it refuses for other reasons', async () => {
    const s = await setup()
    const browser = consumerBrowser(s.app)
    const csrf = csrfTokenIn(await (await browser.get('/me/tea?lang=en')).text())!
    const ask = () =>
      postForm(
        s.app,
        '/me/tea/sign-in?lang=en',
        { _csrf: csrf, identifier: '138 0013 8000' },
        { cookie: browser.cookie(), 'x-forwarded-for': '198.51.100.1' },
      )
    expect((await ask()).status).toBe(200)
    // The same number again within the minute: refused by the per-number wait, nothing sent.
    for (let i = 0; i < CAP; i++) expect((await ask()).status).toBe(429)
    for (let i = 1; i < CAP; i++) expect((await askForCode(s, 'tea')).res.status).toBe(200)
  })

  it('warns the operator once per hour that a brand reached its cap, naming the brand', async () => {
    const s = await setup()
    await useUpTheCap(s)
    for (let i = 0; i < 3; i++) expect((await askForCode(s, 'tea')).res.status).toBe(429)
    const alerts = () => s.warnings.filter((w) => /code send alert/.test(w.msg))
    expect(alerts()).toHaveLength(1)
    expect(alerts()[0]).toMatchObject({ brandId: s.tea.brandId, brandSlug: 'tea', perHour: CAP })

    s.t.clock.advance(HOUR_S * 1000)
    await useUpTheCap(s)
    expect((await askForCode(s, 'tea')).res.status).toBe(429)
    expect(alerts()).toHaveLength(2)
  })

  it('counts the claim box on the scan page against the same cap', async () => {
    const s = await setup()
    const { browser, csrf, scanId } = await scannedCode(s)
    await useUpTheCap(s)
    const refused = await postForm(
      s.app,
      `/scans/${scanId}/sign-in?lang=en`,
      { _csrf: csrf, key: 'k'.repeat(22), identifier: '138 0013 8000' },
      { cookie: browser.cookie(), 'x-forwarded-for': '198.51.100.2', 'hx-request': 'true' },
    )
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
    const html = await refused.text()
    expect(html).toContain('data-step="identifier"')
    expect(html).toContain('Too many people are asking for codes right now. Please try again later.')
    expect(sentFor(s, s.tea.brandId)).toEqual({ messages: CAP, challenges: CAP })
  })
})

describe('CODE_SENDS_PER_BRAND_PER_HOUR', () => {
  const env = (value?: string) => ({ DATA_DIR: '/tmp/oc', CODE_SENDS_PER_BRAND_PER_HOUR: value })

  it('defaults to the documented cap and reads a whole number of codes', () => {
    expect(loadConfig(env()).codeSendsPerBrandPerHour).toBe(DEFAULT_CODE_SENDS_PER_BRAND_PER_HOUR)
    expect(loadConfig(env('250')).codeSendsPerBrandPerHour).toBe(250)
  })

  it('stops the start on a cap that would refuse every sign-in or is not a number, naming the variable', () => {
    for (const bad of ['0', '-5', '2.5', 'lots']) {
      expect(() => loadConfig(env(bad)), bad).toThrow(ConfigError)
      expect(() => loadConfig(env(bad)), bad).toThrow(/CODE_SENDS_PER_BRAND_PER_HOUR/)
    }
  })
})
