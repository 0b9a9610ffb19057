import { SignJWT, UnsecuredJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { products } from '../../src/db/schema.ts'
import { deriveKey, STAFF_SESSION_TTL_S } from '../../src/staff/staff-session.ts'
import { LOCKOUT_MS } from '../../src/staff/staff-store.ts'
import {
  buildTestApp,
  clientWithCookie,
  cookieFrom,
  insertBrand,
  locationOf,
  postForm,
  request,
  signIn,
  type TestApp,
} from '../support/test-app.ts'

const SIGN_IN_PAGE = /^\/admin\/sign-in\?next=/

async function brandWithOwner() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  return { t, brand }
}

function signInForm(t: TestApp, email: string, password: string, next?: string) {
  return postForm(t.app, '/admin/sign-in', { email, password, ...(next === undefined ? {} : { next }) })
}

/** A session JWT made outside the app, with the app's own key unless told otherwise. */
function forgeSession(
  t: TestApp,
  claims: { staffId: number; brandId: number },
  opts: { audience?: string; key?: Uint8Array; typ?: string } = {},
) {
  const now = Math.floor(t.clock.now() / 1000)
  return new SignJWT({ brand: claims.brandId, role: 'owner', sv: 1 })
    .setProtectedHeader({ alg: 'HS256', typ: opts.typ ?? 'oc-staff+jwt' })
    .setSubject(String(claims.staffId))
    .setIssuer('onecode')
    .setAudience(opts.audience ?? 'onecode-admin')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(opts.key ?? deriveKey(t.masterKey, 'staff session'))
}

async function pageWith(t: TestApp, cookieValue: string, path = '/admin/batches') {
  return clientWithCookie(t.app, `oc_staff=${cookieValue}`).get(path)
}

describe('signing in', () => {
  it('lets an owner in with the right password and sets an httpOnly, SameSite session cookie', async () => {
    const { t, brand } = await brandWithOwner()
    const res = await signInForm(t, brand.ownerEmail, brand.ownerPassword)
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/admin')
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('oc_staff='))!
    expect(setCookie).toMatch(/; HttpOnly/i)
    expect(setCookie).toMatch(/; SameSite=Lax/i)
    expect(setCookie).toMatch(/; Path=\//)
    const page = await pageWith(t, cookieFrom(res, 'oc_staff')!)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(brand.ownerEmail)
  })

  it('accepts the email in any case and with spaces around it', async () => {
    const { t, brand } = await brandWithOwner()
    const res = await signInForm(t, `  ${brand.ownerEmail.toUpperCase()} `, brand.ownerPassword)
    expect(res.status).toBe(303)
  })

  it('answers a wrong password with a 401 page that says so, without a cookie', async () => {
    const { t, brand } = await brandWithOwner()
    const res = await signInForm(t, brand.ownerEmail, 'not the password')
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(cookieFrom(res, 'oc_staff')).toBeUndefined()
    const html = await res.text()
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toContain('Wrong email or password.')
    expect(html).toContain(`value="${brand.ownerEmail}"`)
  })

  it('answers an unknown email exactly like a wrong password', async () => {
    const { t } = await brandWithOwner()
    const res = await signInForm(t, 'nobody@tea.test', 'whatever it is')
    expect(res.status).toBe(401)
    expect(await res.text()).toContain('Wrong email or password.')
  })

  it('answers an empty form with 422', async () => {
    const { t } = await brandWithOwner()
    const res = await postForm(t.app, '/admin/sign-in', { email: '', password: '' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Enter your email and password.')
  })
})

describe('locking an account after wrong passwords', () => {
  it('locks the account at the fifth wrong password, even against the right one, for 15 minutes', async () => {
    const { t, brand } = await brandWithOwner()
    for (let i = 1; i <= 4; i++) {
      expect((await signInForm(t, brand.ownerEmail, `wrong ${i}`)).status).toBe(401)
    }
    const fifth = await signInForm(t, brand.ownerEmail, 'wrong 5')
    expect(fifth.status).toBe(429)
    expect(await fifth.text()).toContain('locked for 15 more minutes')

    const right = await signInForm(t, brand.ownerEmail, brand.ownerPassword)
    expect(right.status).toBe(429)
    expect(cookieFrom(right, 'oc_staff')).toBeUndefined()

    t.clock.advance(LOCKOUT_MS - 1)
    expect((await signInForm(t, brand.ownerEmail, brand.ownerPassword)).status).toBe(429)

    t.clock.advance(1)
    const after = await signInForm(t, brand.ownerEmail, brand.ownerPassword)
    expect(after.status).toBe(303)
    expect(cookieFrom(after, 'oc_staff')).toBeTruthy()
  })

  it('forgets earlier wrong passwords after a successful sign-in', async () => {
    const { t, brand } = await brandWithOwner()
    for (let i = 1; i <= 4; i++) await signInForm(t, brand.ownerEmail, `wrong ${i}`)
    expect((await signInForm(t, brand.ownerEmail, brand.ownerPassword)).status).toBe(303)
    expect((await signInForm(t, brand.ownerEmail, 'wrong again')).status).toBe(401)
  })
})

describe('signing out', () => {
  it('ends the session: the old cookie is sent back to the sign-in page', async () => {
    const { t, brand } = await brandWithOwner()
    const owner = await signIn(t.app, brand.ownerEmail, brand.ownerPassword)
    expect((await owner.get('/admin/batches')).status).toBe(200)

    const out = await owner.post('/admin/sign-out')
    expect(out.status).toBe(303)
    expect(locationOf(out)).toBe('/admin/sign-in')
    expect(cookieFrom(out, 'oc_staff')).toBe('')

    const again = await owner.get('/admin/batches')
    expect(again.status).toBe(303)
    expect(locationOf(again)).toBe('/admin/sign-in?next=%2Fadmin%2Fbatches')
  })
})

describe('session cookies the app did not issue', () => {
  it('accepts a cookie signed with its own key (so the forgeries below are refused for their flaw)', async () => {
    const { t, brand } = await brandWithOwner()
    const jwt = await forgeSession(t, { staffId: brand.ownerId, brandId: brand.brandId })
    expect((await pageWith(t, jwt)).status).toBe(200)
  })

  it('sends a cookie with a tampered payload to the sign-in page', async () => {
    const { t, brand } = await brandWithOwner()
    const owner = await signIn(t.app, brand.ownerEmail, brand.ownerPassword)
    const [header, payload, signature] = owner.cookie.replace('oc_staff=', '').split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    const tampered = Buffer.from(JSON.stringify({ ...claims, sub: String(brand.ownerId + 1) })).toString(
      'base64url',
    )
    const res = await pageWith(t, `${header}.${tampered}.${signature}`)
    expect(res.status).toBe(303)
    expect(locationOf(res)).toMatch(SIGN_IN_PAGE)
  })

  it('sends an expired session to the sign-in page', async () => {
    const { t, brand } = await brandWithOwner()
    const owner = await signIn(t.app, brand.ownerEmail, brand.ownerPassword)
    t.clock.advance(STAFF_SESSION_TTL_S * 1000 - 1000)
    expect((await owner.get('/admin/batches')).status).toBe(200)
    t.clock.advance(2000)
    const res = await owner.get('/admin/batches')
    expect(res.status).toBe(303)
    expect(locationOf(res)).toMatch(SIGN_IN_PAGE)
  })

  it('refuses an unsigned token (alg: none)', async () => {
    const { t, brand } = await brandWithOwner()
    const now = Math.floor(t.clock.now() / 1000)
    const unsigned = new UnsecuredJWT({ brand: brand.brandId, role: 'owner', sv: 1 })
      .setSubject(String(brand.ownerId))
      .setIssuer('onecode')
      .setAudience('onecode-admin')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .encode()
    const res = await pageWith(t, unsigned)
    expect(res.status).toBe(303)
    expect(locationOf(res)).toMatch(SIGN_IN_PAGE)
  })

  it('refuses a token for another audience, even signed with the right key', async () => {
    const { t, brand } = await brandWithOwner()
    const jwt = await forgeSession(
      t,
      { staffId: brand.ownerId, brandId: brand.brandId },
      { audience: 'onecode-member' },
    )
    const res = await pageWith(t, jwt)
    expect(res.status).toBe(303)
    expect(locationOf(res)).toMatch(SIGN_IN_PAGE)
  })

  it('refuses a token signed with another key', async () => {
    const { t, brand } = await brandWithOwner()
    const jwt = await forgeSession(
      t,
      { staffId: brand.ownerId, brandId: brand.brandId },
      { key: deriveKey(new Uint8Array(32), 'staff session') },
    )
    expect(locationOf(await pageWith(t, jwt))).toMatch(SIGN_IN_PAGE)
  })

  it('answers an htmx request without a session with 401 and HX-Redirect to the sign-in page', async () => {
    const { t } = await brandWithOwner()
    const res = await request(t.app, '/admin/batches', { headers: { 'hx-request': 'true' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('hx-redirect')).toBe('/admin/sign-in?next=%2Fadmin%2Fbatches')
  })
})

describe('the way back after a session ends', () => {
  it('sends an htmx request back to the page it was made from, with its query, not to the fragment', async () => {
    const { t } = await brandWithOwner()
    const res = await request(t.app, '/admin/batches/3/progress', {
      headers: { 'hx-request': 'true', 'hx-current-url': 'http://localhost/admin/batches/3/codes?after=50' },
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('hx-redirect')).toBe(
      `/admin/sign-in?next=${encodeURIComponent('/admin/batches/3/codes?after=50')}`,
    )
  })

  it('takes the page behind a TLS proxy (https in the browser, http here) and only its path', async () => {
    const { t } = await brandWithOwner()
    for (const current of [
      'https://oc.example.com/admin/batches/3?x=1',
      'https://evil.example/admin/batches/3?x=1',
    ]) {
      const res = await request(t.app, '/admin/batches/3/progress', {
        headers: { 'hx-request': 'true', 'hx-current-url': current },
      })
      expect(res.headers.get('hx-redirect')).toBe(
        `/admin/sign-in?next=${encodeURIComponent('/admin/batches/3?x=1')}`,
      )
    }
  })

  it('ignores a current URL outside the console and falls back to the request path', async () => {
    const { t } = await brandWithOwner()
    for (const current of ['http://localhost/me/demo', 'https://evil.example/adminx', 'not a url']) {
      const res = await request(t.app, '/admin/batches', {
        headers: { 'hx-request': 'true', 'hx-current-url': current },
      })
      expect(res.headers.get('hx-redirect')).toBe('/admin/sign-in?next=%2Fadmin%2Fbatches')
    }
  })

  it('keeps the query of a plain GET', async () => {
    const { t } = await brandWithOwner()
    const res = await request(t.app, '/admin/batches/3/codes?after=50')
    expect(locationOf(res)).toBe(
      `/admin/sign-in?next=${encodeURIComponent('/admin/batches/3/codes?after=50')}`,
    )
  })
})

describe('where sign-in leads', () => {
  it('follows a next path inside the console', async () => {
    const { t, brand } = await brandWithOwner()
    const res = await signInForm(t, brand.ownerEmail, brand.ownerPassword, '/admin/products')
    expect(locationOf(res)).toBe('/admin/products')
  })

  it.each(['//evil.com', 'https://evil.com/admin', '/\\evil.com', '//evil.com/admin'])(
    'ignores next=%s and goes to /admin (no open redirect)',
    async (next) => {
      const { t, brand } = await brandWithOwner()
      const res = await signInForm(t, brand.ownerEmail, brand.ownerPassword, next)
      expect(res.status).toBe(303)
      expect(locationOf(res)).toBe('/admin')
    },
  )
})

describe('cross-site request forgery', () => {
  async function ownerClient() {
    const { t, brand } = await brandWithOwner()
    const owner = await signIn(t.app, brand.ownerEmail, brand.ownerPassword)
    return { t, owner }
  }
  const product = { sku: 'TEA-1', name: 'Oolong', points: '10' }
  const productCount = (t: TestApp) => t.db.select().from(products).all().length

  it('accepts a form with the token from the page', async () => {
    const { t, owner } = await ownerClient()
    expect((await owner.post('/admin/products', product)).status).toBe(303)
    expect(productCount(t)).toBe(1)
  })

  it('accepts the token in the X-CSRF-Token header, as htmx sends it', async () => {
    const { t, owner } = await ownerClient()
    const res = await owner.post(
      '/admin/products',
      { ...product, _csrf: '' },
      {
        'x-csrf-token': owner.csrfToken!,
      },
    )
    expect(res.status).toBe(303)
    expect(productCount(t)).toBe(1)
  })

  it('refuses a signed-in POST without the token with 403', async () => {
    const { t, owner } = await ownerClient()
    const res = await owner.post('/admin/products', { ...product, _csrf: '' })
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('This form has expired')
    expect(productCount(t)).toBe(0)
  })

  it('refuses the token of another session of the same person after sign-out', async () => {
    const { t, owner } = await ownerClient()
    const staleToken = owner.csrfToken!
    await owner.post('/admin/sign-out')
    const fresh = await signIn(t.app, 'owner@tea.test', 'correct horse battery staple')
    expect(fresh.csrfToken).not.toBe(staleToken)
    const res = await fresh.post('/admin/products', { ...product, _csrf: staleToken })
    expect(res.status).toBe(403)
    expect(productCount(t)).toBe(0)
  })

  it('refuses a POST from a foreign Origin with 403, token or not', async () => {
    const { t, owner } = await ownerClient()
    const res = await owner.post('/admin/products', product, { origin: 'https://evil.example' })
    expect(res.status).toBe(403)
    expect(productCount(t)).toBe(0)
  })

  it('refuses a cross-site sign-in form (login CSRF) with 403', async () => {
    const { t } = await brandWithOwner()
    const res = await postForm(
      t.app,
      '/admin/sign-in',
      { email: 'owner@tea.test', password: 'correct horse battery staple' },
      { origin: 'https://evil.example' },
    )
    expect(res.status).toBe(403)
    expect(cookieFrom(res, 'oc_staff')).toBeUndefined()
  })
})
