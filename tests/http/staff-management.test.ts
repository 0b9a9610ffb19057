import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { auditLog, staff, staffInvites } from '../../src/db/schema.ts'
import {
  buildTestApp,
  type Client,
  insertBrand,
  insertStaff,
  locationOf,
  postForm,
  request,
  signIn,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

const ROLE_REFUSAL = 'Your role does not allow this'
const INVITE_LINK = /http:\/\/localhost:3000(\/admin\/invite\/[A-Za-z0-9_-]+)/

async function teaWithOperator() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const operator = await insertStaff(t, brand.brandId, { role: 'operator', email: 'operator@tea.test' })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, operator, owner }
}

function staffRow(t: TestApp, id: number) {
  return t.db.select().from(staff).where(eq(staff.id, id)).get()!
}

function auditActions(t: TestApp, subjectId: number) {
  return t.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.subjectType, 'staff'), eq(auditLog.subjectId, String(subjectId))))
    .all()
    .map((r) => r.action)
}

async function invite(owner: Client, email: string) {
  const res = await owner.post('/admin/staff', { email, name: 'New colleague', role: 'analyst' })
  expect(res.status).toBe(200)
  return INVITE_LINK.exec(await res.text())![1]!
}

function signInForm(t: TestApp, email: string, password: string) {
  return postForm(t.app, '/admin/sign-in', { email, password })
}

describe('an owner disabling a colleague', () => {
  it('asks for confirmation on a page of its own before anything changes', async () => {
    const { t, operator, owner } = await teaWithOperator()
    const list = await (await owner.get('/admin/staff')).text()
    expect(list).toContain(`href="/admin/staff/${operator.id}/disable"`)
    const page = await owner.get(`/admin/staff/${operator.id}/disable`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Disable operator@tea.test?')
    expect(html).toContain(`action="/admin/staff/${operator.id}/disable"`)
    expect(html).toContain('name="confirm" value="yes"')

    const unconfirmed = await owner.post(`/admin/staff/${operator.id}/disable`, {})
    expect(unconfirmed.status).toBe(422)
    expect(staffRow(t, operator.id).disabledAt).toBeNull()
  })

  it('ends their active session at once and marks them disabled in the list', async () => {
    const { t, operator, owner } = await teaWithOperator()
    const colleague = await signInAs(t, operator.id)
    expect((await colleague.get('/admin/batches')).status).toBe(200)

    const res = await owner.post(`/admin/staff/${operator.id}/disable`, { confirm: 'yes' })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/admin/staff?notice=disabled')

    const after = await colleague.get('/admin/batches')
    expect(after.status).toBe(303)
    expect(locationOf(after)).toMatch(/^\/admin\/sign-in\?next=/)
    expect(staffRow(t, operator.id).disabledAt).toBe(t.clock.now())

    const list = await (await owner.get(locationOf(res)!)).text()
    expect(list).toContain('Staff member disabled and signed out everywhere.')
    expect(list).toMatch(/operator@tea\.test<\/td>[\s\S]*?<b class="error">disabled<\/b>/)
    expect(list).toContain(`action="/admin/staff/${operator.id}/enable"`)
  })

  it('refuses their right password at sign-in with the answer a wrong password or an unknown email gets', async () => {
    const { t, operator, owner } = await teaWithOperator()
    await owner.post(`/admin/staff/${operator.id}/disable`, { confirm: 'yes' })

    const disabled = await signInForm(t, operator.email, operator.password)
    const unknown = await signInForm(t, 'nobody@tea.test', operator.password)
    expect(disabled.status).toBe(401)
    expect(unknown.status).toBe(401)
    const disabledHtml = (await disabled.text()).replaceAll(operator.email, 'EMAIL')
    const unknownHtml = (await unknown.text()).replaceAll('nobody@tea.test', 'EMAIL')
    expect(disabledHtml).toContain('Wrong email or password.')
    expect(disabledHtml).toBe(unknownHtml)
    expect(disabled.headers.getSetCookie()).toEqual([])
  })

  it('writes staff.disable and staff.enable to the audit log, with who did it', async () => {
    const { t, brand, operator, owner } = await teaWithOperator()
    await owner.post(`/admin/staff/${operator.id}/disable`, { confirm: 'yes' })
    await owner.post(`/admin/staff/${operator.id}/enable`)
    expect(auditActions(t, operator.id)).toEqual(['staff.disable', 'staff.enable'])
    const rows = t.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.subjectId, String(operator.id)))
      .all()
    expect(rows.every((r) => r.actorStaffId === brand.ownerId && r.brandId === brand.brandId)).toBe(true)
  })

  it('lets a re-enabled colleague sign in again with their password', async () => {
    const { t, operator, owner } = await teaWithOperator()
    await owner.post(`/admin/staff/${operator.id}/disable`, { confirm: 'yes' })
    const res = await owner.post(`/admin/staff/${operator.id}/enable`)
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/admin/staff?notice=enabled')
    expect(staffRow(t, operator.id).disabledAt).toBeNull()
    const colleague = await signIn(t.app, operator.email, operator.password)
    expect((await colleague.get('/admin/batches')).status).toBe(200)
  })

  it('refuses to disable oneself with a 409 that says why', async () => {
    const { t, brand, owner } = await teaWithOperator()
    const res = await owner.post(`/admin/staff/${brand.ownerId}/disable`, { confirm: 'yes' })
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('You cannot disable yourself')
    expect(staffRow(t, brand.ownerId).disabledAt).toBeNull()
    expect(auditActions(t, brand.ownerId)).not.toContain('staff.disable')
  })

  it('disables another owner while one owner who can sign in remains', async () => {
    const { t, brand, owner } = await teaWithOperator()
    const second = await insertStaff(t, brand.brandId, { role: 'owner', email: 'second@tea.test' })
    const res = await owner.post(`/admin/staff/${second.id}/disable`, { confirm: 'yes' })
    expect(res.status).toBe(303)
    expect(staffRow(t, second.id).disabledAt).not.toBeNull()
  })
})

describe('an owner changing roles keeps an owner who can sign in', () => {
  it('refuses to demote the only owner with a password while the other owner is only invited', async () => {
    const { t, brand, owner } = await teaWithOperator()
    const invited = await owner.post('/admin/staff', { email: 'b@tea.test', name: 'B', role: 'owner' })
    expect(invited.status).toBe(200)
    expect(t.db.select().from(staff).where(eq(staff.email, 'b@tea.test')).get()!.passwordHash).toBeNull()

    const res = await owner.post(`/admin/staff/${brand.ownerId}/role`, { role: 'analyst' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('A brand needs at least one owner')
    expect(staffRow(t, brand.ownerId).role).toBe('owner')
    expect(auditActions(t, brand.ownerId)).not.toContain('staff.role')
  })

  it('lets an invited owner who never set a password be demoted', async () => {
    const { t, owner } = await teaWithOperator()
    await owner.post('/admin/staff', { email: 'b@tea.test', name: 'B', role: 'owner' })
    const b = t.db.select().from(staff).where(eq(staff.email, 'b@tea.test')).get()!
    const res = await owner.post(`/admin/staff/${b.id}/role`, { role: 'analyst' })
    expect(res.status).toBe(303)
    expect(staffRow(t, b.id).role).toBe('analyst')
  })
})

describe('an owner managing invitations', () => {
  it('revokes a pending invitation: the link answers the human 404 page', async () => {
    const { t, owner } = await teaWithOperator()
    const link = await invite(owner, 'new@tea.test')
    const invited = t.db.select().from(staff).where(eq(staff.email, 'new@tea.test')).get()!
    expect((await request(t.app, link)).status).toBe(200)
    expect(await (await owner.get('/admin/staff')).text()).toContain(
      `action="/admin/staff/${invited.id}/revoke-invite"`,
    )

    const res = await owner.post(`/admin/staff/${invited.id}/revoke-invite`)
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/admin/staff?notice=invite-revoked')

    const page = await request(t.app, link)
    expect(page.status).toBe(404)
    const html = await page.text()
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toContain('Invitation not valid')
    const accept = await postForm(t.app, link, { password: 'a long password', confirm: 'a long password' })
    expect(accept.status).toBe(404)
    expect(staffRow(t, invited.id).passwordHash).toBeNull()
    expect(auditActions(t, invited.id)).toEqual(['staff.invite', 'staff.invite.revoke'])
    expect(await (await owner.get('/admin/staff')).text()).toContain('invitation revoked or expired')
  })

  it('re-issues an invitation: the new link sets a password that signs in, the old one stops working', async () => {
    const { t, owner } = await teaWithOperator()
    const oldLink = await invite(owner, 'new@tea.test')
    const invited = t.db.select().from(staff).where(eq(staff.email, 'new@tea.test')).get()!

    const res = await owner.post(`/admin/staff/${invited.id}/invite`)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('New invitation link for new@tea.test')
    const newLink = INVITE_LINK.exec(html)![1]!
    expect(newLink).not.toBe(oldLink)

    expect((await request(t.app, oldLink)).status).toBe(404)
    expect((await request(t.app, newLink)).status).toBe(200)
    const set = await postForm(t.app, newLink, { password: 'a long password', confirm: 'a long password' })
    expect(set.status).toBe(303)
    expect((await signInForm(t, 'new@tea.test', 'a long password')).status).toBe(303)
    expect(auditActions(t, invited.id)).toEqual(['staff.invite', 'staff.invite.reissue'])
  })

  it('re-issues a revoked invitation', async () => {
    const { t, owner } = await teaWithOperator()
    await invite(owner, 'new@tea.test')
    const invited = t.db.select().from(staff).where(eq(staff.email, 'new@tea.test')).get()!
    await owner.post(`/admin/staff/${invited.id}/revoke-invite`)
    const res = await owner.post(`/admin/staff/${invited.id}/invite`)
    const newLink = INVITE_LINK.exec(await res.text())![1]!
    expect((await request(t.app, newLink)).status).toBe(200)
  })

  it('keeps invitation tokens hashed in the database', async () => {
    const { t, owner } = await teaWithOperator()
    await invite(owner, 'new@tea.test')
    const invited = t.db.select().from(staff).where(eq(staff.email, 'new@tea.test')).get()!
    const link = INVITE_LINK.exec(await (await owner.post(`/admin/staff/${invited.id}/invite`)).text())![1]!
    const token = link.split('/').at(-1)!
    const stored = t.db.select().from(staffInvites).all()
    expect(stored.some((r) => r.tokenHash.includes(token))).toBe(false)
  })

  it('cannot revoke the invitation of someone who already set a password', async () => {
    const { t, operator, owner } = await teaWithOperator()
    const res = await owner.post(`/admin/staff/${operator.id}/revoke-invite`)
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('already set a password')
    expect(staffRow(t, operator.id).passwordHash).not.toBeNull()
  })
})

describe('an owner resetting a colleague’s password', () => {
  it('after confirmation, ends their password and sessions and gives a one-time link to set a new one', async () => {
    const { t, operator, owner } = await teaWithOperator()
    const colleague = await signInAs(t, operator.id)

    const unconfirmed = await owner.post(`/admin/staff/${operator.id}/reset-password`, {})
    expect(unconfirmed.status).toBe(422)
    expect(staffRow(t, operator.id).passwordHash).not.toBeNull()
    expect((await owner.post(`/admin/staff/${operator.id}/invite`)).status).toBe(200)
    expect(staffRow(t, operator.id).passwordHash).not.toBeNull()

    const res = await owner.post(`/admin/staff/${operator.id}/reset-password`, { confirm: 'yes' })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('Password reset link for operator@tea.test')
    const link = INVITE_LINK.exec(html)![1]!

    expect((await colleague.get('/admin/batches')).status).toBe(303)
    expect((await signInForm(t, operator.email, operator.password)).status).toBe(401)
    await postForm(t.app, link, { password: 'a fresh password', confirm: 'a fresh password' })
    expect((await signInForm(t, operator.email, 'a fresh password')).status).toBe(303)
    expect(auditActions(t, operator.id)).toEqual(['staff.password.reset'])
  })
})

describe('the staff page notice', () => {
  it('shows only the notices the app wrote, never text from the address', async () => {
    const { owner } = await teaWithOperator()
    const phishing = 'Your account is locked. Call IT on +1 555 0100'
    const crafted = await (await owner.get(`/admin/staff?notice=${encodeURIComponent(phishing)}`)).text()
    expect(crafted).not.toContain('Call IT')
    expect(crafted).not.toContain('class="notice"')
    const proto = await (await owner.get('/admin/staff?notice=__proto__')).text()
    expect(proto).not.toContain('class="notice"')
    const known = await (await owner.get('/admin/staff?notice=role')).text()
    expect(known).toContain('Role changed.')
  })

  it('redirects after a role change with a notice key', async () => {
    const { operator, owner } = await teaWithOperator()
    const res = await owner.post(`/admin/staff/${operator.id}/role`, { role: 'analyst' })
    expect(locationOf(res)).toBe('/admin/staff?notice=role')
  })
})

describe('who may manage staff access', () => {
  const ownerActions = (id: number): [string, Record<string, string>][] => [
    [`/admin/staff/${id}/disable`, { confirm: 'yes' }],
    [`/admin/staff/${id}/enable`, {}],
    [`/admin/staff/${id}/revoke-invite`, {}],
    [`/admin/staff/${id}/invite`, {}],
    [`/admin/staff/${id}/reset-password`, { confirm: 'yes' }],
  ]

  it.each(['operator', 'analyst', 'channel_manager'] as const)(
    'gives a %s 403 on every owner action, and nothing changes',
    async (role) => {
      const { t, brand, operator } = await teaWithOperator()
      const member = await insertStaff(t, brand.brandId, { role, email: `${role}-2@tea.test` })
      const client = await signInAs(t, member.id)
      for (const page of [
        `/admin/staff/${operator.id}/disable`,
        `/admin/staff/${operator.id}/reset-password`,
      ]) {
        const res = await client.get(page)
        expect(res.status, page).toBe(403)
        expect(await res.text()).toContain(ROLE_REFUSAL)
      }
      const before = staffRow(t, operator.id)
      const auditBefore = t.db.select().from(auditLog).all().length
      for (const [path, form] of ownerActions(operator.id)) {
        const res = await client.post(path, form)
        expect(res.status, path).toBe(403)
        expect(await res.text(), path).toContain(ROLE_REFUSAL)
      }
      expect(t.db.select().from(auditLog).all()).toHaveLength(auditBefore)
      expect(staffRow(t, operator.id)).toEqual(before)
    },
  )

  it('requires the CSRF token on every owner action', async () => {
    const { t, operator, owner } = await teaWithOperator()
    await owner.post(`/admin/staff/${operator.id}/disable`, { confirm: 'yes' })
    const before = staffRow(t, operator.id)
    const auditBefore = t.db.select().from(auditLog).all().length
    for (const [path, form] of ownerActions(operator.id)) {
      const res = await owner.post(path, { ...form, _csrf: '' })
      expect(res.status, path).toBe(403)
      expect(await res.text(), path).toContain('This form has expired')
    }
    expect(staffRow(t, operator.id)).toEqual(before)
    expect(t.db.select().from(auditLog).all()).toHaveLength(auditBefore)
  })

  it('answers 404 to an owner of another brand for our staff, and changes nothing', async () => {
    const { t, operator } = await teaWithOperator()
    const other = await insertBrand(t, { slug: 'coffee' })
    const otherOwner = await signInAs(t, other.ownerId)
    const before = staffRow(t, operator.id)
    const auditBefore = t.db.select().from(auditLog).all().length
    for (const page of [
      `/admin/staff/${operator.id}/disable`,
      `/admin/staff/${operator.id}/reset-password`,
    ]) {
      expect((await otherOwner.get(page)).status, page).toBe(404)
    }
    for (const [path, form] of ownerActions(operator.id)) {
      const res = await otherOwner.post(path, form)
      expect(res.status, path).toBe(404)
      expect(await res.text(), path).not.toContain('operator@tea.test')
    }
    expect(staffRow(t, operator.id)).toEqual(before)
    expect(t.db.select().from(auditLog).all()).toHaveLength(auditBefore)
  })
})
