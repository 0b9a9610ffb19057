import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { memberConsents, members } from '../../src/members/member-schema.ts'
import { memberCookieName } from '../../src/members/member-session.ts'
import { OTP_RESEND_AFTER_MS, PRIVACY_VERSION, TERMS_VERSION } from '../../src/members/member-store.ts'
import { consumerBrowser, insertMember, lastOneTimeCode } from '../support/member-session.ts'
import {
  buildTestApp,
  csrfTokenIn,
  insertBrand,
  locationOf,
  postForm,
  request,
  type TestApp,
} from '../support/test-app.ts'

const PHONE = '138 0013 8000'
const E164 = '+8613800138000'

async function setup() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  return { t, brand }
}

/** A phone that opens a signed-out page and reads the sign-in box's device token off it. */
async function signedOutPhone(t: TestApp, path = '/me/tea?lang=en') {
  const browser = consumerBrowser(t.app)
  const page = await browser.get(path)
  const html = await page.text()
  return { browser, page, html, csrf: csrfTokenIn(html)! }
}

describe('signing in on my account pages', () => {
  it('offers a signed-out member the one-time-code box and, without JavaScript, lands them on their points', async () => {
    const { t, brand } = await setup()
    insertMember(t, brand.brandId, { phone: E164 })
    const { browser, page, html, csrf } = await signedOutPhone(t)
    expect(page.status).toBe(401)
    expect(html).toMatch(/<form[^>]*method="post"[^>]*action="\/me\/tea\/sign-in\?lang=en"/)
    expect(browser.jar.get('oc_dev')).toMatch(/^[A-Za-z0-9_-]{21}$/)

    const sent = await browser.post('/me/tea/sign-in?lang=en', { _csrf: csrf, identifier: PHONE })
    const step = await sent.text()
    expect(sent.status).toBe(200)
    expect(step.toLowerCase()).toContain('<!doctype html>')
    expect(step).toContain('+86138****8000')
    expect(step).toMatch(/<form[^>]*action="\/me\/tea\/verify\?lang=en"/)
    // A member already: no terms box.
    expect(step).not.toContain('name="acceptTerms"')

    const done = await browser.post('/me/tea/verify?lang=en', {
      _csrf: csrf,
      identifier: E164,
      code: lastOneTimeCode(t),
    })
    expect(done.status).toBe(303)
    expect(locationOf(done)).toBe('/me/tea?lang=en')
    expect(browser.jar.get(memberCookieName(brand.brandId))).toBeTruthy()
    const account = await browser.get('/me/tea?lang=en')
    expect(account.status).toBe(200)
    expect(await account.text()).toContain('data-balance="0"')
  })

  it('signs a new member up from the rewards page with htmx, with the terms box, and sends them to their points', async () => {
    const { t, brand } = await setup()
    const { browser, page, html, csrf } = await signedOutPhone(t, '/me/tea/rewards?lang=en')
    expect(page.status).toBe(200)
    expect(html).toContain('hx-post="/me/tea/sign-in?lang=en"')

    const sent = await browser.post(
      '/me/tea/sign-in?lang=en',
      { _csrf: csrf, identifier: PHONE },
      { htmx: true },
    )
    const step = await sent.text()
    expect(step).toMatch(/^<section id="sign-in"/)
    expect(step).toContain('name="acceptTerms"')
    expect(step).toContain('href="/me/tea/terms?lang=en" target="_blank" rel="noopener"')

    const code = lastOneTimeCode(t)
    const refused = await browser.post(
      '/me/tea/verify?lang=en',
      { _csrf: csrf, identifier: E164, code },
      { htmx: true },
    )
    expect(refused.status).toBe(422)
    expect(await refused.text()).toContain('please accept the member terms')

    const done = await browser.post(
      '/me/tea/verify?lang=en',
      { _csrf: csrf, identifier: E164, code, acceptTerms: 'yes' },
      { htmx: true },
    )
    expect(done.status).toBe(204)
    expect(done.headers.get('hx-redirect')).toBe('/me/tea?lang=en')
    expect((await browser.get('/me/tea?lang=en')).status).toBe(200)
    const member = t.db.select().from(members).where(eq(members.brandId, brand.brandId)).get()!
    const consents = t.db.select().from(memberConsents).where(eq(memberConsents.memberId, member.id)).all()
    expect(consents.map((e) => [e.kind, e.version])).toEqual([
      ['terms', TERMS_VERSION],
      ['privacy', PRIVACY_VERSION],
    ])
  })

  it('has the claim box’s limits: a second code within a minute waits, with Retry-After and the number kept', async () => {
    const { t } = await setup()
    const { browser, csrf } = await signedOutPhone(t)
    expect((await browser.post('/me/tea/sign-in?lang=en', { _csrf: csrf, identifier: PHONE })).status).toBe(
      200,
    )
    const tooSoon = await browser.post('/me/tea/sign-in?lang=en', { _csrf: csrf, identifier: PHONE })
    expect(tooSoon.status).toBe(429)
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await tooSoon.text()).toContain(`value="${PHONE}"`)
    t.clock.advance(OTP_RESEND_AFTER_MS)
    expect((await browser.post('/me/tea/sign-in?lang=en', { _csrf: csrf, identifier: PHONE })).status).toBe(
      200,
    )
  })

  it('refuses a sign-in without this phone’s device token, from another phone, or from another site', async () => {
    const { t } = await setup()
    const { browser, csrf } = await signedOutPhone(t)
    const forged = await browser.post('/me/tea/sign-in?lang=en', { _csrf: 'forged', identifier: PHONE })
    expect(forged.status).toBe(403)
    expect(await forged.text()).toContain('This page has expired')
    const otherPhone = consumerBrowser(t.app)
    await otherPhone.get('/me/tea')
    expect((await otherPhone.post('/me/tea/sign-in', { _csrf: csrf, identifier: PHONE })).status).toBe(403)
    const noCookie = await postForm(t.app, '/me/tea/sign-in', { _csrf: csrf, identifier: PHONE })
    expect(noCookie.status).toBe(403)
    const crossSite = await postForm(
      t.app,
      '/me/tea/verify',
      { _csrf: csrf, identifier: E164, code: '123456', acceptTerms: 'yes' },
      { cookie: browser.cookie(), origin: 'https://evil.example' },
    )
    expect(crossSite.status).toBe(403)
    expect(t.db.select().from(members).all()).toHaveLength(0)
  })

  it('answers 404 for the sign-in of an unknown brand, whose page offers no box', async () => {
    const { t } = await setup()
    const page = await request(t.app, '/me/nobody?lang=en')
    expect(page.status).toBe(401)
    expect(await page.text()).not.toContain('name="identifier"')
    const { browser, csrf } = await signedOutPhone(t)
    expect((await browser.post('/me/nobody/sign-in', { _csrf: csrf, identifier: PHONE })).status).toBe(404)
  })
})

describe('the member terms and the privacy notice', () => {
  it('show the brand’s texts in Chinese and in English, in the version a new member’s consent records', async () => {
    const { t } = await setup()
    const terms = await request(t.app, '/me/tea/terms')
    expect(terms.status).toBe(200)
    const zh = await terms.text()
    expect(zh).toContain('Brand tea会员条款')
    expect(zh).toContain(`data-version="${TERMS_VERSION}"`)
    expect(zh).toContain('href="/me/tea/terms?lang=en"')

    const privacy = await (await request(t.app, '/me/tea/privacy?lang=en')).text()
    expect(privacy).toContain('Brand tea privacy notice')
    expect(privacy).toContain(`data-version="${PRIVACY_VERSION}"`)
    for (const topic of [
      'mobile number or email',
      'Share location',
      'points',
      'download your data',
      'delete your account',
    ])
      expect(privacy).toContain(topic)
    expect(await (await request(t.app, '/me/tea/privacy')).text()).toContain('隐私政策')
    expect((await request(t.app, '/me/nobody/terms')).status).toBe(404)
  })
})
