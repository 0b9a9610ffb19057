import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { auditLog, staff } from '../../src/db/schema.ts'
import { STAFF_COOKIE } from '../../src/staff/staff-session.ts'
import { LOCKOUT_MS, MAX_FAILED_SIGN_INS } from '../../src/staff/staff-store.ts'
import {
  buildTestApp,
  type Client,
  cookieFrom,
  csrfTokenIn,
  insertBrand,
  insertStaff,
  locationOf,
  postForm,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

const NEW_PASSWORD = 'a brand new passphrase'

async function teaWithAnalyst() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const analyst = await insertStaff(t, brand.brandId, { role: 'analyst', email: 'analyst@tea.test' })
  const client = await signInAs(t, analyst.id)
  return { t, brand, analyst, client }
}

function passwordHashOf(t: TestApp, id: number) {
  return t.db.select().from(staff).where(eq(staff.id, id)).get()!.passwordHash
}

function change(client: Client, form: { current: string; password: string; confirm: string }) {
  return client.post('/admin/account/password', form)
}

function signInForm(t: TestApp, email: string, password: string) {
  return postForm(t.app, '/admin/sign-in', { email, password })
}

describe('a staff member’s own account page', () => {
  it('is linked from the header of every admin page, for every role', async () => {
    const { client } = await teaWithAnalyst()
    expect(await (await client.get('/admin/products')).text()).toContain('href="/admin/account"')
    const page = await client.get('/admin/account')
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('analyst@tea.test')
    expect(html).toContain('action="/admin/account/password"')
    expect(html).toContain('name="current"')
    expect(html).toContain('name="confirm"')
  })

  it('shows only its own notice keys, never text from the address', async () => {
    const { client } = await teaWithAnalyst()
    const crafted = await (await client.get('/admin/account?notice=Call%20IT%20now')).text()
    expect(crafted).not.toContain('Call IT')
    expect(crafted).not.toContain('class="notice"')
  })
})

describe('changing one’s own password', () => {
  it('with the right current password: keeps this session, ends the others, and the new password signs in', async () => {
    const { t, analyst, client } = await teaWithAnalyst()
    const otherDevice = await signInAs(t, analyst.id)
    expect((await otherDevice.get('/admin/products')).status).toBe(200)

    const res = await change(client, {
      current: analyst.password,
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/admin/account?notice=password')
    const session = cookieFrom(res, STAFF_COOKIE)
    expect(session).toBeTruthy()
    expect(res.headers.getSetCookie().find((c) => c.startsWith(`${STAFF_COOKIE}=`))).toMatch(/HttpOnly/i)

    // The old cookie of this browser is replaced; the new one works at once.
    client.cookie = `${STAFF_COOKIE}=${session}`
    const page = await client.get(locationOf(res)!)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Your password was changed.')

    const other = await otherDevice.get('/admin/products')
    expect(other.status).toBe(303)
    expect(locationOf(other)).toMatch(/^\/admin\/sign-in\?next=/)

    expect((await signInForm(t, analyst.email, analyst.password)).status).toBe(401)
    expect((await signInForm(t, analyst.email, NEW_PASSWORD)).status).toBe(303)
  })

  it('gives the re-issued session a working CSRF token for its next form', async () => {
    const { analyst, client } = await teaWithAnalyst()
    const res = await change(client, {
      current: analyst.password,
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    })
    client.cookie = `${STAFF_COOKIE}=${cookieFrom(res, STAFF_COOKIE)}`
    client.csrfToken = csrfTokenIn(await (await client.get('/admin/account')).text())
    const again = await change(client, {
      current: NEW_PASSWORD,
      password: 'yet another passphrase',
      confirm: 'yet another passphrase',
    })
    expect(again.status).toBe(303)
  })

  it('writes staff.password to the audit log, without the password', async () => {
    const { t, brand, analyst, client } = await teaWithAnalyst()
    await change(client, { current: analyst.password, password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    const rows = t.db.select().from(auditLog).where(eq(auditLog.action, 'staff.password')).all()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      brandId: brand.brandId,
      actorStaffId: analyst.id,
      subjectId: String(analyst.id),
    })
    expect(JSON.stringify(rows[0])).not.toContain(NEW_PASSWORD)
  })

  it('refuses a wrong current password with 422 next to that field, and changes nothing', async () => {
    const { t, analyst, client } = await teaWithAnalyst()
    const before = passwordHashOf(t, analyst.id)
    const res = await change(client, {
      current: 'not my password',
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('id="current-error"')
    expect(html).toContain('this is not your current password')
    expect(passwordHashOf(t, analyst.id)).toBe(before)
    expect(cookieFrom(res, STAFF_COOKIE)).toBeUndefined()
    expect((await client.get('/admin/products')).status).toBe(200)
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'staff.password')).all()).toHaveLength(0)
  })

  it('refuses a new password shorter than the invitation’s rule with 422 next to that field', async () => {
    const { t, analyst, client } = await teaWithAnalyst()
    const before = passwordHashOf(t, analyst.id)
    const res = await change(client, { current: analyst.password, password: 'short', confirm: 'short' })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('id="password-error"')
    expect(html).toContain('the password needs at least 10 characters')
    expect(passwordHashOf(t, analyst.id)).toBe(before)
  })

  it('refuses two new passwords that differ with 422 next to the confirmation', async () => {
    const { t, analyst, client } = await teaWithAnalyst()
    const before = passwordHashOf(t, analyst.id)
    const res = await change(client, {
      current: analyst.password,
      password: NEW_PASSWORD,
      confirm: `${NEW_PASSWORD}!`,
    })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('id="confirm-error"')
    expect(html).toContain('the two passwords differ')
    expect(passwordHashOf(t, analyst.id)).toBe(before)
  })

  it('refuses a new password equal to the current one', async () => {
    const { analyst, client } = await teaWithAnalyst()
    const res = await change(client, {
      current: analyst.password,
      password: analyst.password,
      confirm: analyst.password,
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('must differ from the current one')
  })

  it('requires the CSRF token', async () => {
    const { t, analyst, client } = await teaWithAnalyst()
    const before = passwordHashOf(t, analyst.id)
    const res = await client.post('/admin/account/password', {
      current: analyst.password,
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
      _csrf: '',
    })
    expect(res.status).toBe(403)
    expect(passwordHashOf(t, analyst.id)).toBe(before)
  })

  it('stops guessing the current password after five wrong tries, even with the right one, for 15 minutes', async () => {
    const { t, analyst, client } = await teaWithAnalyst()
    const before = passwordHashOf(t, analyst.id)
    for (let i = 1; i <= MAX_FAILED_SIGN_INS; i++) {
      const res = await change(client, {
        current: `guess ${i}`,
        password: NEW_PASSWORD,
        confirm: NEW_PASSWORD,
      })
      expect(res.status).toBe(422)
    }
    const right = await change(client, {
      current: analyst.password,
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    })
    expect(right.status).toBe(429)
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await right.text()).toContain('Too many wrong current passwords')
    expect(passwordHashOf(t, analyst.id)).toBe(before)

    t.clock.advance(LOCKOUT_MS)
    const later = await change(client, {
      current: analyst.password,
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    })
    expect(later.status).toBe(303)
  })
})

describe('guessing passwords with many requests at once', () => {
  const GUESSES = 20

  it('checks at most five current-password guesses sent together; the rest get 429 with Retry-After', async () => {
    const { t, analyst, client } = await teaWithAnalyst()
    const before = passwordHashOf(t, analyst.id)
    const answers = await Promise.all(
      Array.from({ length: GUESSES }, (_, i) =>
        change(client, { current: `guess ${i}`, password: NEW_PASSWORD, confirm: NEW_PASSWORD }),
      ),
    )
    const checked = answers.filter((r) => r.status === 422)
    const refused = answers.filter((r) => r.status === 429)
    expect(checked.length).toBeLessThanOrEqual(MAX_FAILED_SIGN_INS)
    expect(checked.length + refused.length).toBe(GUESSES)
    for (const r of refused) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)

    const right = await change(client, {
      current: analyst.password,
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    })
    expect(right.status).toBe(429)
    expect(passwordHashOf(t, analyst.id)).toBe(before)
  })

  it('checks at most five sign-in passwords sent together for one email, and then locks the account', async () => {
    const { t, analyst } = await teaWithAnalyst()
    const answers = await Promise.all(
      Array.from({ length: GUESSES }, (_, i) => signInForm(t, analyst.email, `wrong ${i}`)),
    )
    const wrong = answers.filter((r) => r.status === 401)
    const locked = answers.filter((r) => r.status === 429)
    expect(wrong.length).toBeLessThan(MAX_FAILED_SIGN_INS)
    expect(wrong.length + locked.length).toBe(GUESSES)
    for (const r of locked) {
      expect(await r.text()).toContain('This account is locked')
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
    }

    const right = await signInForm(t, analyst.email, analyst.password)
    expect(right.status).toBe(429)
    expect(cookieFrom(right, STAFF_COOKIE)).toBeUndefined()
  })

  it('answers an unknown email the same way: five wrong passwords at most, then locked', async () => {
    const { t } = await teaWithAnalyst()
    const answers = await Promise.all(
      Array.from({ length: GUESSES }, (_, i) => signInForm(t, 'nobody@tea.test', `wrong ${i}`)),
    )
    expect(answers.filter((r) => r.status === 401).length).toBeLessThanOrEqual(MAX_FAILED_SIGN_INS)
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(
      GUESSES - MAX_FAILED_SIGN_INS,
    )
  })
})
