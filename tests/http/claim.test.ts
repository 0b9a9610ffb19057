import { randomBytes } from 'node:crypto'
import { desc, eq } from 'drizzle-orm'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import type { MemberExport } from '../../src/members/account-store.ts'
import { memberPii } from '../../src/members/member-pii.ts'
import { OTP_VERIFIES_PER_IP_PER_HOUR } from '../../src/members/member-routes.tsx'
import { memberConsents, members, outbox } from '../../src/members/member-schema.ts'
import { OTP_RESEND_AFTER_MS } from '../../src/members/member-store.ts'
import { balanceOf, checkLedger } from '../../src/points/ledger-store.ts'
import { scans } from '../../src/scans/scan-schema.ts'
import { deriveKey } from '../../src/staff/staff-session.ts'
import { consumerBrowser, lastOneTimeCode } from '../support/member-session.ts'
import {
  buildTestApp,
  cookieFrom,
  insertBatch,
  insertBrand,
  insertProduct,
  postForm,
  request,
} from '../support/test-app.ts'

const PHONE = '138 0013 8000'
const E164 = '+8613800138000'

async function setup() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1', points: 25 })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: 3 })
  activateCodes(brandDb(t.db, brand.brandId), { staffId: null, label: 'test' }, batch.id, null, t.clock.now())
  const tokens = t.db
    .select()
    .from(codes)
    .where(eq(codes.batchId, batch.id))
    .orderBy(codes.seq)
    .all()
    .map((r) => assembleToken(r.kid, r.serial, r.tag))
  return { t, brand, tokens }
}

/** A phone in a browser: keeps its cookies, scans, and posts the scan page's forms. */
function phone(t: ReturnType<typeof buildTestApp>, lang = 'en') {
  const browser = consumerBrowser(t.app)
  let csrf = ''
  let scanId = 0
  return {
    jar: browser.jar,
    async scan(token: string) {
      const res = await browser.get(new URL(shortCodeUrl('http://localhost', token)).pathname, {
        'accept-language': lang,
      })
      const html = await res.text()
      csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!
      scanId = Number(/\/scans\/(\d+)\//.exec(html)![1])
      return html
    },
    async post(step: 'claim' | 'sign-in' | 'verify' | 'location', form: Record<string, string>) {
      const res = await browser.post(
        `/scans/${scanId}/${step}?lang=${lang}`,
        { _csrf: csrf, ...form },
        { htmx: true },
      )
      return { res, html: await res.text() }
    },
    get: (path: string) => browser.get(path),
  }
}

const lastCode = lastOneTimeCode

describe('claiming points on the scan page', () => {
  it('signs a new member in with a one-time code and completes the claim without a rescan', async () => {
    const { t, brand, tokens } = await setup()
    const p = phone(t)
    await p.scan(tokens[0]!)
    const key = randomBytes(16).toString('base64url')
    const start = await p.post('claim', { key })
    expect(start.html).toContain('data-step="identifier"')
    const sent = await p.post('sign-in', { key, identifier: PHONE })
    expect(sent.res.status).toBe(200)
    expect(sent.html).toContain('+86138****8000')
    expect(sent.html).toContain('name="acceptTerms"')
    expect(sent.html).toContain('href="/me/tea/terms?lang=en" target="_blank" rel="noopener"')
    expect(sent.html).toContain('href="/me/tea/privacy?lang=en" target="_blank" rel="noopener"')
    const outboxRow = t.db.select().from(outbox).get()!
    expect(outboxRow).toMatchObject({ brandId: brand.brandId, channel: 'sms', recipient: E164 })
    const done = await p.post('verify', { key, identifier: E164, code: lastCode(t), acceptTerms: 'yes' })
    expect(done.res.status).toBe(200)
    expect(done.html).toContain('You claimed 25 points! Your balance: 25')
    const member = t.db
      .select()
      .from(members)
      .where(eq(members.phoneHash, memberPii(t.masterKey).lookupHash(brand.brandId, E164)))
      .get()!
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(25)
    expect(
      t.db
        .select()
        .from(memberConsents)
        .where(eq(memberConsents.memberId, member.id))
        .all()
        .map((c) => c.kind)
        .sort(),
    ).toEqual(['privacy', 'terms'])
    const account = await p.get('/me/tea?lang=en')
    expect(await account.text()).toContain('data-balance="25"')
    // A signed-in member's next scan is recorded with the member.
    await p.scan(tokens[1]!)
    const lastScan = t.db.select().from(scans).orderBy(desc(scans.id)).get()!
    expect(lastScan.memberId).toBe(member.id)
    expect(checkLedger(t.db.$client)).toEqual([])
  })

  it('makes the scan a new member signed in from theirs, with the location they shared on it', async () => {
    const { t, brand, tokens } = await setup()
    const p = phone(t)
    await p.scan(tokens[0]!)
    const scanId = t.db.select().from(scans).orderBy(desc(scans.id)).get()!.id
    await p.post('location', { geo: 'ok', lat: '31.23', lon: '121.47', accuracy: '15' })
    const key = randomBytes(16).toString('base64url')
    await p.post('sign-in', { key, identifier: PHONE })
    const done = await p.post('verify', { key, identifier: E164, code: lastCode(t), acceptTerms: 'yes' })
    expect(done.html).toContain('You claimed 25 points')
    const member = t.db.select().from(members).get()!
    expect(t.db.select().from(scans).where(eq(scans.id, scanId)).get()!.memberId).toBe(member.id)
    const data = (await (await p.get(`/me/${brand.slug}/data.json`)).json()) as MemberExport
    expect(data.scans).toEqual([expect.objectContaining({ lat: 31.23, lon: 121.47, accuracyM: 15 })])
  })

  it('leaves a scan made by another member on the phone theirs when I claim from it', async () => {
    const { t, tokens } = await setup()
    const p = phone(t)
    await p.scan(tokens[0]!)
    const key = randomBytes(16).toString('base64url')
    await p.post('sign-in', { key, identifier: PHONE })
    await p.post('verify', { key, identifier: E164, code: lastCode(t), acceptTerms: 'yes' })
    const first = t.db.select().from(members).get()!
    // Their session still on the phone, the next scan is theirs; then I sign in on it and claim.
    await p.scan(tokens[1]!)
    const scanId = t.db.select().from(scans).orderBy(desc(scans.id)).get()!.id
    const mine = randomBytes(16).toString('base64url')
    await p.post('sign-in', { key: mine, identifier: 'me@example.com' })
    const done = await p.post('verify', {
      key: mine,
      identifier: 'me@example.com',
      code: lastCode(t),
      acceptTerms: 'yes',
    })
    expect(done.html).toContain('You claimed 25 points')
    expect(t.db.select().from(members).all()).toHaveLength(2)
    expect(t.db.select().from(scans).where(eq(scans.id, scanId)).get()!.memberId).toBe(first.id)
  })

  it('awards once: a double tap answers the first outcome, a second member is told it was claimed', async () => {
    const { t, tokens } = await setup()
    const a = phone(t)
    await a.scan(tokens[0]!)
    const key = randomBytes(16).toString('base64url')
    await a.post('sign-in', { key, identifier: PHONE })
    await a.post('verify', { key, identifier: E164, code: lastCode(t), acceptTerms: 'yes' })
    const doubleTap = await a.post('claim', { key })
    expect(doubleTap.html).toContain('You claimed 25 points')
    const again = await a.post('claim', { key: randomBytes(16).toString('base64url') })
    expect(again.res.status).toBe(409)
    expect(again.html).toContain('You have already claimed')
    const b = phone(t)
    await b.scan(tokens[0]!)
    const bKey = randomBytes(16).toString('base64url')
    await b.post('sign-in', { key: bKey, identifier: 'bob@example.com' })
    const other = await b.post('verify', {
      key: bKey,
      identifier: 'bob@example.com',
      code: lastCode(t),
      acceptTerms: 'yes',
    })
    expect(other.res.status).toBe(409)
    expect(other.html).toContain('already been claimed')
    expect(checkLedger(t.db.$client)).toEqual([])
  })

  it('asks an erased member whose session is still on the phone to sign in, and awards nothing', async () => {
    const { t, brand, tokens } = await setup()
    const p = phone(t)
    await p.scan(tokens[0]!)
    const key = randomBytes(16).toString('base64url')
    await p.post('sign-in', { key, identifier: PHONE })
    await p.post('verify', { key, identifier: E164, code: lastCode(t), acceptTerms: 'yes' })
    const member = t.db.select().from(members).get()!
    t.db.update(members).set({ deletedAt: t.clock.now() }).where(eq(members.id, member.id)).run()
    await p.scan(tokens[1]!)
    const claim = await p.post('claim', { key: randomBytes(16).toString('base64url') })
    expect(claim.res.status).toBe(200)
    expect(claim.html).toContain('data-step="identifier"')
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(25)
    expect(t.db.select().from(codes).where(eq(codes.state, 'claimed')).all()).toHaveLength(1)
  })

  it('needs a new code after five wrong tries, and throttles resending', async () => {
    const { t, tokens } = await setup()
    const p = phone(t)
    await p.scan(tokens[1]!)
    const key = randomBytes(16).toString('base64url')
    await p.post('sign-in', { key, identifier: PHONE })
    const right = lastCode(t)
    const wrong = right === '000000' ? '111111' : '000000'
    for (let i = 4; i >= 1; i--)
      expect(
        (await p.post('verify', { key, identifier: E164, code: wrong, acceptTerms: 'yes' })).html,
      ).toContain(`${i} tries left`)
    expect(
      (await p.post('verify', { key, identifier: E164, code: wrong, acceptTerms: 'yes' })).html,
    ).toContain('expired')
    expect(
      (await p.post('verify', { key, identifier: E164, code: right, acceptTerms: 'yes' })).html,
    ).toContain('expired')
    const tooSoon = await p.post('sign-in', { key, identifier: PHONE })
    expect(tooSoon.res.status).toBe(429)
    t.clock.advance(OTP_RESEND_AFTER_MS)
    await p.post('sign-in', { key, identifier: PHONE })
    expect(
      (await p.post('verify', { key, identifier: E164, code: lastCode(t), acceptTerms: 'yes' })).html,
    ).toContain('You claimed')
  })

  it('keeps the terms box for a new member after a wrong code, so the right code signs them up at once', async () => {
    const { t, tokens } = await setup()
    const p = phone(t)
    await p.scan(tokens[0]!)
    const key = randomBytes(16).toString('base64url')
    await p.post('sign-in', { key, identifier: PHONE })
    const right = lastCode(t)
    const wrong = await p.post('verify', {
      key,
      identifier: E164,
      code: right === '000000' ? '111111' : '000000',
    })
    expect(wrong.res.status).toBe(422)
    expect(wrong.html).toContain('4 tries left')
    expect(wrong.html).toContain('name="acceptTerms"')
    const done = await p.post('verify', { key, identifier: E164, code: right, acceptTerms: 'yes' })
    expect(done.html).toContain('You claimed 25 points!')
  })

  it('answers a code try over the hourly limit of one address with 429, Retry-After and the number kept', async () => {
    const { t, tokens } = await setup()
    const p = phone(t)
    await p.scan(tokens[0]!)
    const key = randomBytes(16).toString('base64url')
    await p.post('sign-in', { key, identifier: PHONE })
    const wrong = lastCode(t) === '000000' ? '111111' : '000000'
    for (let i = 0; i < OTP_VERIFIES_PER_IP_PER_HOUR; i++)
      expect((await p.post('verify', { key, identifier: E164, code: wrong })).res.status).toBe(422)
    const over = await p.post('verify', { key, identifier: E164, code: wrong })
    expect(over.res.status).toBe(429)
    expect(Number(over.res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(over.html).toContain('Too many attempts')
    expect(over.html).toContain(`value="${E164}"`)
  })

  it('tells a Chinese reader in Chinese that a stale page has expired', async () => {
    const { t, tokens } = await setup()
    const p = phone(t, 'zh-CN')
    await p.scan(tokens[0]!)
    for (const step of ['claim', 'sign-in', 'verify'] as const) {
      const stale = await p.post(step, { key: randomBytes(16).toString('base64url'), _csrf: 'forged' })
      expect(stale.res.status).toBe(403)
      expect(stale.html).toContain('页面已过期')
    }
  })

  it('refuses a new member who does not accept the terms, and rejects what is not a phone or email', async () => {
    const { t, tokens } = await setup()
    const p = phone(t)
    await p.scan(tokens[2]!)
    const key = randomBytes(16).toString('base64url')
    expect((await p.post('sign-in', { key, identifier: 'not a phone' })).res.status).toBe(422)
    await p.post('sign-in', { key, identifier: PHONE })
    const refused = await p.post('verify', { key, identifier: E164, code: lastCode(t) })
    expect(refused.res.status).toBe(422)
    expect(refused.html).toContain('accept the member terms')
    expect(t.db.select().from(members).all()).toHaveLength(0)
  })

  it('does not let another phone claim from my scan, or a form without the page token', async () => {
    const { t, tokens } = await setup()
    const me = phone(t)
    await me.scan(tokens[0]!)
    const res = await postForm(
      t.app,
      '/scans/1/claim',
      { key: randomBytes(16).toString('base64url'), _csrf: 'x' },
      { cookie: 'oc_dev=AAAAAAAAAAAAAAAAAAAAA' },
    )
    expect(res.status).toBe(404)
    const noToken = await me.post('claim', { key: randomBytes(16).toString('base64url'), _csrf: 'forged' })
    expect(noToken.res.status).toBe(403)
  })
})

describe('claiming without JavaScript', () => {
  it('answers each step of a plain form post with a whole page whose form posts on', async () => {
    const { t, tokens } = await setup()
    const p = phone(t)
    const page = await p.scan(tokens[1]!)
    const res = await postForm(
      t.app,
      `/scans/${/\/scans\/(\d+)\//.exec(page)![1]}/claim?lang=en`,
      { _csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1]!, key: randomBytes(16).toString('base64url') },
      { cookie: [...p.jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    )
    const body = await res.text()
    expect(res.status).toBe(200)
    expect(body.toLowerCase()).toContain('<!doctype html>')
    expect(body).toContain('data-step="identifier"')
    expect(body).toMatch(/<form[^>]*method="post"[^>]*action="\/scans\/\d+\/sign-in/)
  })
})

describe('member sessions', () => {
  async function signedIn() {
    const s = await setup()
    const p = phone(s.t)
    await p.scan(s.tokens[0]!)
    const key = randomBytes(16).toString('base64url')
    await p.post('sign-in', { key, identifier: PHONE })
    await p.post('verify', { key, identifier: E164, code: lastCode(s.t), acceptTerms: 'yes' })
    const name = `oc_m${s.brand.brandId}`
    return { ...s, p, name, cookie: p.jar.get(name)! }
  }

  const accountWith = (t: ReturnType<typeof buildTestApp>, name: string, jwt: string) =>
    request(t.app, '/me/tea?lang=en', { headers: { cookie: `${name}=${jwt}` } })

  it('opens the account page with a valid session only', async () => {
    const { t, name, cookie } = await signedIn()
    expect((await accountWith(t, name, cookie)).status).toBe(200)
    expect((await request(t.app, '/me/tea')).status).toBe(401)
  })

  it.each([
    [
      'alg none',
      async () =>
        `${Buffer.from('{"alg":"none","typ":"oc-member+jwt"}').toString('base64url')}.${Buffer.from('{"sub":"1","brand":1,"iss":"onecode","aud":"onecode-member","exp":9999999999}').toString('base64url')}.`,
    ],
    [
      'a wrong key',
      async () =>
        new SignJWT({ brand: 1 })
          .setProtectedHeader({ alg: 'HS256', typ: 'oc-member+jwt' })
          .setSubject('1')
          .setIssuer('onecode')
          .setAudience('onecode-member')
          .setExpirationTime('1h')
          .sign(randomBytes(32)),
    ],
  ])('refuses a forged session with %s', async (_name, forge) => {
    const { t, name } = await signedIn()
    expect((await accountWith(t, name, await forge())).status).toBe(401)
  })

  it('refuses a session for the staff audience, an expired one and a tampered one, even signed with the right key', async () => {
    const { t, name, cookie } = await signedIn()
    const key = deriveKey(t.masterKey, 'member session')
    const base = () =>
      new SignJWT({ brand: 1 })
        .setProtectedHeader({ alg: 'HS256', typ: 'oc-member+jwt' })
        .setSubject('1')
        .setIssuer('onecode')
    const wrongAudience = await base().setAudience('onecode-admin').setExpirationTime('1h').sign(key)
    const expired = await base().setAudience('onecode-member').setIssuedAt(1).setExpirationTime(2).sign(key)
    const [h, payload, sig] = cookie.split('.')
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: '2' })).toString('base64url')}.${sig}`
    for (const jwt of [wrongAudience, expired, tampered])
      expect((await accountWith(t, name, jwt)).status).toBe(401)
    const good = await base().setAudience('onecode-member').setExpirationTime('1h').sign(key)
    expect((await accountWith(t, name, good)).status).toBe(200)
  })

  it('signs out', async () => {
    const { t, p } = await signedIn()
    const res = await p.get('/me/tea')
    expect(res.status).toBe(200)
    const out = await postForm(
      t.app,
      '/me/tea/sign-out',
      {},
      { cookie: [...p.jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    )
    expect(out.status).toBe(303)
    expect(cookieFrom(out, `oc_m1`)).toBe('')
  })
})
