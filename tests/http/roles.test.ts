import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { batches, printExports, products, staff } from '../../src/db/schema.ts'
import { csrfTokenFor, deriveKey } from '../../src/staff/staff-session.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  insertStaff,
  locationOf,
  postForm,
  request,
  signIn,
  signInAs,
} from '../support/test-app.ts'

const ROLE_REFUSAL = 'Your role does not allow this'

async function brandWith(role: 'operator' | 'analyst' | 'channel_manager') {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1' })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: 3 })
  const member = await insertStaff(t, brand.brandId, { role, email: `${role}@tea.test` })
  const client = await signInAs(t, member.id)
  return { t, brand, product, batch, member, client }
}

async function expectRoleRefusal(res: Response) {
  expect(res.status).toBe(403)
  // The role check, not the CSRF check, refused it.
  expect(await res.text()).toContain(ROLE_REFUSAL)
}

describe('an analyst', () => {
  it('reads products, batches and a batch page, without the forms that change them', async () => {
    const { client, batch } = await brandWith('analyst')
    expect((await client.get('/admin/products')).status).toBe(200)
    expect((await client.get('/admin/batches')).status).toBe(200)
    const page = await client.get(`/admin/batches/${batch.id}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(`Batch #${batch.id}`)
    expect(html).not.toContain(`action="/admin/batches/${batch.id}/export"`)
    expect(html).not.toContain('href="/admin/batches/new"')
  })

  it('gets 403 creating a product', async () => {
    const { t, client } = await brandWith('analyst')
    await expectRoleRefusal(await client.post('/admin/products', { sku: 'NEW-1', name: 'New', points: '1' }))
    expect(t.db.select().from(products).all()).toHaveLength(1)
  })

  it('gets 403 creating a batch', async () => {
    const { t, client, product } = await brandWith('analyst')
    await expectRoleRefusal(
      await client.post('/admin/batches', { productId: String(product.id), quantity: '5', urlMode: 'short' }),
    )
    expect(t.db.select().from(batches).all()).toHaveLength(1)
  })

  it('gets 403 downloading a print file, and no export is recorded', async () => {
    const { t, client, batch } = await brandWith('analyst')
    await expectRoleRefusal(await client.post(`/admin/batches/${batch.id}/export`, { format: 'csv' }))
    expect(t.db.select().from(printExports).all()).toHaveLength(0)
  })

  it('gets 403 activating codes', async () => {
    const { client, batch } = await brandWith('analyst')
    await expectRoleRefusal(await client.post(`/admin/batches/${batch.id}/activate`, { from: '1', to: '3' }))
  })
})

describe('an operator', () => {
  it('downloads print files', async () => {
    const { client, batch } = await brandWith('operator')
    const res = await client.post(`/admin/batches/${batch.id}/export`, { format: 'csv' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
  })

  it('cannot see the staff page nor the audit log', async () => {
    const { client } = await brandWith('operator')
    await expectRoleRefusal(await client.get('/admin/staff'))
    await expectRoleRefusal(await client.get('/admin/audit'))
    expect(await (await client.get('/admin/batches')).text()).not.toContain('href="/admin/staff"')
  })

  it('cannot invite staff', async () => {
    const { t, client } = await brandWith('operator')
    await expectRoleRefusal(
      await client.post('/admin/staff', { email: 'x@tea.test', name: 'X', role: 'owner' }),
    )
    expect(t.db.select().from(staff).where(eq(staff.email, 'x@tea.test')).get()).toBeUndefined()
  })

  it('cannot make a link for a printing house', async () => {
    const { client, batch } = await brandWith('operator')
    await expectRoleRefusal(
      await client.post(`/admin/batches/${batch.id}/links`, {
        recipient: 'Print Co',
        format: 'csv',
        ttlHours: '48',
      }),
    )
    const html = await (await client.get(`/admin/batches/${batch.id}`)).text()
    expect(html).not.toContain(`/admin/batches/${batch.id}/links`)
  })
})

describe('a channel manager', () => {
  it('gets 403 on the products page and cannot create a product', async () => {
    const { t, client, member } = await brandWith('channel_manager')
    await expectRoleRefusal(await client.get('/admin/products'))
    await expectRoleRefusal(await client.get('/admin/batches'))
    // No console page offers this role a form yet, so the token is made as the app makes it.
    const token = csrfTokenFor(deriveKey(t.masterKey, 'staff csrf'), {
      staffId: member.id,
      sessionVersion: member.sessionVersion,
    })
    await expectRoleRefusal(
      await client.post('/admin/products', { _csrf: token, sku: 'NEW-1', name: 'New', points: '1' }),
    )
    expect(t.db.select().from(products).all()).toHaveLength(1)
  })
})

describe('an owner managing staff', () => {
  async function ownerOfTea() {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    const owner = await signInAs(t, brand.ownerId)
    return { t, brand, owner }
  }

  it('invites a colleague whose one-time link sets a password that signs in', async () => {
    const { t, owner } = await ownerOfTea()
    const invited = await owner.post('/admin/staff', {
      email: 'New.Operator@Tea.test',
      name: 'New Operator',
      role: 'operator',
    })
    expect(invited.status).toBe(200)
    const html = await invited.text()
    const link = /http:\/\/localhost:3000(\/admin\/invite\/[A-Za-z0-9_-]+)/.exec(html)
    expect(link).not.toBeNull()
    const invitePath = link![1]!

    const page = await request(t.app, invitePath)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('new.operator@tea.test')

    const password = 'a long new password'
    const set = await postForm(t.app, invitePath, { password, confirm: password })
    expect(set.status).toBe(303)
    expect(locationOf(set)).toBe('/admin/sign-in')

    const colleague = await signIn(t.app, 'new.operator@tea.test', password)
    expect(await (await colleague.get('/admin/batches')).text()).toContain('Operator')

    const reused = await postForm(t.app, invitePath, {
      password: 'another password!',
      confirm: 'another password!',
    })
    expect(reused.status).toBe(404)
    expect(await reused.text()).toContain('Invitation not valid')
    expect((await request(t.app, invitePath)).status).toBe(404)
  })

  it('refuses a password shorter than 10 characters or two that differ, and keeps the link usable', async () => {
    const { t, owner } = await ownerOfTea()
    const html = await (
      await owner.post('/admin/staff', { email: 'a@tea.test', name: 'A', role: 'analyst' })
    ).text()
    const invitePath = /http:\/\/localhost:3000(\/admin\/invite\/[A-Za-z0-9_-]+)/.exec(html)![1]!
    const short = await postForm(t.app, invitePath, { password: 'short', confirm: 'short' })
    expect(short.status).toBe(422)
    expect(await short.text()).toContain('at least 10 characters')
    const differ = await postForm(t.app, invitePath, { password: 'long enough 1', confirm: 'long enough 2' })
    expect(differ.status).toBe(422)
    expect(await differ.text()).toContain('the two passwords differ')
    expect((await request(t.app, invitePath)).status).toBe(200)
  })

  it('cannot invite an email that already has an account', async () => {
    const { owner } = await ownerOfTea()
    const res = await owner.post('/admin/staff', { email: 'owner@tea.test', name: 'Again', role: 'analyst' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('already has an onecode account')
  })

  it('cannot demote the last owner of the brand', async () => {
    const { t, brand, owner } = await ownerOfTea()
    const res = await owner.post(`/admin/staff/${brand.ownerId}/role`, { role: 'operator' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('A brand needs at least one owner')
    expect(t.db.select().from(staff).where(eq(staff.id, brand.ownerId)).get()!.role).toBe('owner')
  })

  it('can demote an owner once another owner exists, which ends that person’s sessions', async () => {
    const { t, brand, owner } = await ownerOfTea()
    const second = await insertStaff(t, brand.brandId, { role: 'owner', email: 'second@tea.test' })
    const secondClient = await signInAs(t, second.id)
    const res = await owner.post(`/admin/staff/${second.id}/role`, { role: 'analyst' })
    expect(res.status).toBe(303)
    expect(t.db.select().from(staff).where(eq(staff.id, second.id)).get()!.role).toBe('analyst')
    expect((await secondClient.get('/admin/staff')).status).toBe(303)
  })

  it('cannot change the role of another brand’s staff member', async () => {
    const { t, owner } = await ownerOfTea()
    const other = await insertBrand(t, { slug: 'coffee' })
    const res = await owner.post(`/admin/staff/${other.ownerId}/role`, { role: 'analyst' })
    expect(res.status).toBe(404)
    expect(t.db.select().from(staff).where(eq(staff.id, other.ownerId)).get()!.role).toBe('owner')
  })
})

describe('the console landing page', () => {
  it('sends an owner to the batches', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    const owner = await signInAs(t, brand.ownerId)
    const res = await owner.get('/admin')
    expect(locationOf(res)).toBe('/admin/batches')
  })
})
