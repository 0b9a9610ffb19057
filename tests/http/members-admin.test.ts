import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { codes } from '../../src/db/schema.ts'
import { eraseMember } from '../../src/members/account-store.ts'
import { memberPii } from '../../src/members/member-pii.ts'
import { outbox } from '../../src/members/member-schema.ts'
import {
  BRAND_ACCOUNTS,
  balanceOf,
  checkLedger,
  MEMBER_ACCOUNT,
  postTransaction,
} from '../../src/points/ledger-store.ts'
import { ledgerEntries, ledgerTransactions, privacyRequests } from '../../src/points/points-schema.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import { insertMember } from '../support/member-session.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  insertStaff,
  locationOf,
  postForm,
  request,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

const PHONE = '+8613800138000'

async function setup() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const owner = await signInAs(t, brand.ownerId)
  const analyst = await signInAs(
    t,
    (await insertStaff(t, brand.brandId, { role: 'analyst', email: 'ana@tea.test' })).id,
  )
  const operator = await signInAs(
    t,
    (await insertStaff(t, brand.brandId, { role: 'operator', email: 'op@tea.test' })).id,
  )
  const member = insertMember(t, brand.brandId, { phone: PHONE, name: 'Li Hua' })
  return { t, brand, owner, analyst, operator, member }
}

function give(t: TestApp, brandId: number, memberId: number, amount: number) {
  postTransaction(
    t.db,
    brandId,
    {
      kind: 'adjustment',
      memo: 'opening balance',
      entries: [
        { account: MEMBER_ACCOUNT, memberId, amount },
        { account: BRAND_ACCOUNTS.adjusted, amount: -amount },
      ],
    },
    t.clock.now(),
  )
}

describe('looking members up', () => {
  it('finds a member by the phone as typed, and shows it in full to owners only', async () => {
    const { owner, analyst, member } = await setup()
    const own = await owner.get('/admin/members?q=138%200013%208000')
    expect(own.status).toBe(200)
    const ownHtml = await own.text()
    expect(ownHtml).toContain(`data-member="${member.id}"`)
    expect(ownHtml).toContain(PHONE)
    const theirs = await (await analyst.get('/admin/members?q=%2B86%20138-0013-8000')).text()
    expect(theirs).toContain(`data-member="${member.id}"`)
    expect(theirs).toContain('+86138****8000')
    expect(theirs).not.toContain(PHONE)
    const detail = await (await analyst.get(`/admin/members/${member.id}`)).text()
    expect(detail).toContain('+86138****8000')
    expect(detail).not.toContain(PHONE)
    expect(await (await owner.get(`/admin/members/${member.id}`)).text()).toContain(PHONE)
  })

  it('finds a member by email whatever its case, says so when nobody matches, and refuses what is neither', async () => {
    const { t, brand, owner } = await setup()
    const m = insertMember(t, brand.brandId, { email: 'li.hua@example.com' })
    expect(await (await owner.get('/admin/members?q=Li.Hua%40Example.COM')).text()).toContain(
      `data-member="${m.id}"`,
    )
    expect(await (await owner.get('/admin/members?q=nobody%40example.com')).text()).toContain(
      'No member with this phone or email.',
    )
    // A name is searched as a name; what is clearly meant as an email or a phone but is not one is refused.
    expect((await owner.get('/admin/members?q=hello')).status).toBe(200)
    expect((await owner.get('/admin/members?q=hello%40')).status).toBe(422)
    expect((await owner.get('/admin/members?q=12345')).status).toBe(422)
  })

  it('lists the newest members first, fifty to a page', async () => {
    const { t, brand, owner } = await setup()
    for (let i = 0; i < 55; i++) insertMember(t, brand.brandId, { email: `m${i}@example.com` })
    const html = await (await owner.get('/admin/members')).text()
    const ids = [...html.matchAll(/data-member="(\d+)"/g)].map((m) => Number(m[1]))
    expect(ids).toHaveLength(50)
    expect(ids).toEqual([...ids].sort((a, b) => b - a))
    expect(html).toContain('Page 1 of 2')
    const rest = await (await owner.get('/admin/members?page=2')).text()
    expect([...rest.matchAll(/data-member="(\d+)"/g)]).toHaveLength(6)
  })

  it('shows an erased member anonymised', async () => {
    const { t, brand, owner, member } = await setup()
    eraseMember(brandDb(t.db, brand.brandId), memberPii(t.masterKey), member.id, t.clock.now())
    const html = await (await owner.get(`/admin/members/${member.id}`)).text()
    expect(html).toContain('erased their account')
    expect(html).not.toContain('Li Hua')
    expect(html).not.toContain('action="/admin/members/')
  })

  it('shows Members to owners and analysts, and not to operators', async () => {
    const { operator, analyst } = await setup()
    expect((await operator.get('/admin/members')).status).toBe(403)
    expect(await (await analyst.get('/admin/members')).text()).toContain('href="/admin/members"')
    expect(await (await operator.get('/admin/batches')).text()).not.toContain('href="/admin/members"')
  })

  it('answers 404 for another brand’s member', async () => {
    const { t, owner } = await setup()
    const other = await insertBrand(t, { slug: 'coffee' })
    const stranger = insertMember(t, other.brandId, { phone: '+8613900139000' })
    give(t, other.brandId, stranger.id, 10)
    expect((await owner.get(`/admin/members/${stranger.id}`)).status).toBe(404)
    expect(
      (await owner.post(`/admin/members/${stranger.id}/adjust`, { amount: '-10', reason: 'take it all' }))
        .status,
    ).toBe(404)
    expect(
      (await owner.post(`/admin/members/${stranger.id}/adjust`, { amount: '', reason: '' })).status,
    ).toBe(404)
    expect(await (await owner.get('/admin/members?q=13900139000')).text()).not.toContain(
      `data-member="${stranger.id}"`,
    )
    expect(balanceOf(t.db, other.brandId, stranger.id)).toBe(10)
  })
})

describe('adjusting points by hand', () => {
  it('adds points with a reason, as one balanced transaction, audited', async () => {
    const { t, brand, owner, member } = await setup()
    const res = await owner.post(`/admin/members/${member.id}/adjust`, {
      amount: '50',
      reason: 'Parcel arrived damaged',
    })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe(`/admin/members/${member.id}?adjusted=1`)
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(50)
    const tx = t.db.select().from(ledgerTransactions).get()!
    expect(tx).toMatchObject({ kind: 'adjustment', memo: 'Parcel arrived damaged' })
    expect(
      t.db
        .select({ account: ledgerEntries.account, amount: ledgerEntries.amount })
        .from(ledgerEntries)
        .where(eq(ledgerEntries.txId, tx.id))
        .all(),
    ).toEqual([
      { account: 'member', amount: 50 },
      { account: BRAND_ACCOUNTS.adjusted, amount: -50 },
    ])
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'points.adjust')).get()!
    expect(audit).toMatchObject({
      actorStaffId: brand.ownerId,
      subjectType: 'member',
      subjectId: String(member.id),
    })
    expect(audit.detail).toMatchObject({ amount: 50, reason: 'Parcel arrived damaged', balanceAfter: 50 })
    const page = await (await owner.get(`/admin/members/${member.id}?adjusted=1`)).text()
    expect(page).toContain('Points adjusted.')
    expect(page).toContain('data-balance="50"')
    expect(page).toContain('Parcel arrived damaged')
    expect(checkLedger(t.db.$client)).toEqual([])
  })

  it('takes points away, but never below zero', async () => {
    const { t, brand, owner, member } = await setup()
    give(t, brand.brandId, member.id, 30)
    expect(
      (await owner.post(`/admin/members/${member.id}/adjust`, { amount: '-20', reason: 'Duplicate claim' }))
        .status,
    ).toBe(303)
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(10)
    const tooMuch = await owner.post(`/admin/members/${member.id}/adjust`, {
      amount: '-11',
      reason: 'Duplicate claim',
    })
    expect(tooMuch.status).toBe(422)
    const html = await tooMuch.text()
    expect(html).toContain('The balance is 10: a deduction of 11 would take it below zero.')
    expect(html).toContain('value="-11"')
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(10)
    expect(
      (await owner.post(`/admin/members/${member.id}/adjust`, { amount: '-10', reason: 'Duplicate claim' }))
        .status,
    ).toBe(303)
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(0)
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'points.adjust')).all()).toHaveLength(2)
    expect(checkLedger(t.db.$client)).toEqual([])
  })

  it.each([
    ['no reason', { amount: '10' }, 'reason: say why the points change'],
    ['a reason under five characters', { amount: '10', reason: ' ok  ' }, 'at least 5 characters'],
    ['a zero amount', { amount: '0', reason: 'Goodwill gesture' }, 'cannot be zero'],
    ['a fractional amount', { amount: '1.5', reason: 'Goodwill gesture' }, 'whole number'],
    ['an amount over a million', { amount: '1000001', reason: 'Goodwill gesture' }, 'at most 1,000,000'],
    ['a deduction over a million', { amount: '-1000001', reason: 'Goodwill gesture' }, 'at most 1,000,000'],
    ['words for an amount', { amount: 'ten', reason: 'Goodwill gesture' }, 'whole number'],
  ])('answers 422 for %s and posts nothing', async (_name, form, message) => {
    const { t, owner, member } = await setup()
    const res = await owner.post(`/admin/members/${member.id}/adjust`, form)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain(message)
    expect(t.db.select().from(ledgerTransactions).all()).toHaveLength(0)
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'points.adjust')).all()).toHaveLength(0)
  })

  it('accepts exactly a million either way', async () => {
    const { t, brand, owner, member } = await setup()
    expect(
      (
        await owner.post(`/admin/members/${member.id}/adjust`, {
          amount: '+1000000',
          reason: 'Campaign prize',
        })
      ).status,
    ).toBe(303)
    expect(
      (
        await owner.post(`/admin/members/${member.id}/adjust`, {
          amount: '-1000000',
          reason: 'Prize withdrawn',
        })
      ).status,
    ).toBe(303)
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(0)
    expect(checkLedger(t.db.$client)).toEqual([])
  })

  it('is for owners: an analyst sees no form and is refused, a POST without the token too', async () => {
    const { t, owner, analyst, member } = await setup()
    expect(await (await analyst.get(`/admin/members/${member.id}`)).text()).not.toContain('/adjust"')
    expect(
      (await analyst.post(`/admin/members/${member.id}/adjust`, { amount: '10', reason: 'I deserve it' }))
        .status,
    ).toBe(403)
    expect(
      (
        await owner.post(`/admin/members/${member.id}/adjust`, {
          _csrf: '',
          amount: '10',
          reason: 'Forged form',
        })
      ).status,
    ).toBe(403)
    const crossSite = await postForm(
      t.app,
      `/admin/members/${member.id}/adjust`,
      { _csrf: owner.csrfToken!, amount: '10', reason: 'Cross-site post' },
      { cookie: owner.cookie, origin: 'https://evil.example' },
    )
    expect(crossSite.status).toBe(403)
    expect(t.db.select().from(ledgerTransactions).all()).toHaveLength(0)
  })

  it('does not adjust an erased member', async () => {
    const { t, brand, owner, member } = await setup()
    eraseMember(brandDb(t.db, brand.brandId), memberPii(t.masterKey), member.id, t.clock.now())
    expect(
      (await owner.post(`/admin/members/${member.id}/adjust`, { amount: '10', reason: 'Goodwill gesture' }))
        .status,
    ).toBe(422)
    expect(t.db.select().from(ledgerTransactions).all()).toHaveLength(0)
  })
})

describe('privacy requests', () => {
  it('lists data exports and erasures for owners only', async () => {
    const { t, brand, owner, analyst, member } = await setup()
    t.db
      .insert(privacyRequests)
      .values({ brandId: brand.brandId, memberId: member.id, kind: 'export', at: 1 })
      .run()
    eraseMember(brandDb(t.db, brand.brandId), memberPii(t.masterKey), member.id, t.clock.now())
    const other = await insertBrand(t, { slug: 'coffee' })
    t.db
      .insert(privacyRequests)
      .values({ brandId: other.brandId, memberId: 999, kind: 'export', at: 2 })
      .run()
    const html = await (await owner.get('/admin/privacy')).text()
    expect([...html.matchAll(/data-request="(\w+)"/g)].map((m) => m[1])).toEqual(['erasure', 'export'])
    expect(html).not.toContain('#999')
    expect((await analyst.get('/admin/privacy')).status).toBe(403)
  })
})

describe('the development outbox', () => {
  it('lists the sign-in code just sent, newest first, to owners and operators', async () => {
    const { t, brand, owner, operator, analyst } = await setup()
    const product = insertProduct(t, brand.brandId, { sku: 'TEA-1' })
    const batch = insertBatch(t, brand.brandId, product.id, { quantity: 1 })
    activateCodes(
      brandDb(t.db, brand.brandId),
      { staffId: null, label: 'test' },
      batch.id,
      null,
      t.clock.now(),
    )
    const code = t.db.select().from(codes).where(eq(codes.batchId, batch.id)).get()!
    // A phone scans the code and asks for a sign-in code.
    const scan = await request(
      t.app,
      new URL(shortCodeUrl('http://localhost', assembleToken(code.kid, code.serial, code.tag))).pathname,
    )
    const device = scan.headers
      .getSetCookie()
      .map((l) => l.split(';')[0])
      .join('; ')
    const html = await scan.text()
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!
    const scanId = /\/scans\/(\d+)\//.exec(html)![1]
    const sent = await postForm(
      t.app,
      `/scans/${scanId}/sign-in`,
      { _csrf: csrf, key: 'k'.repeat(22), identifier: '139 0013 9000' },
      { cookie: device },
    )
    expect(sent.status).toBe(200)
    const message = t.db.select().from(outbox).get()!
    const sixDigits = /\d{6}/.exec(message.text)![0]
    // Another brand's messages never show.
    const other = await insertBrand(t, { slug: 'coffee' })
    t.db
      .insert(outbox)
      .values({
        brandId: other.brandId,
        channel: 'email',
        recipient: 'x@coffee.test',
        text: 'code 999999',
        createdAt: 0,
      })
      .run()

    const page = await owner.get('/admin/outbox')
    expect(page.status).toBe(200)
    const ownHtml = await page.text()
    expect(ownHtml).toContain(sixDigits)
    expect(ownHtml).toContain('+8613900139000')
    expect(ownHtml).toContain('production')
    expect(ownHtml).not.toContain('x@coffee.test')
    const opHtml = await (await operator.get('/admin/outbox')).text()
    expect(opHtml).toContain(sixDigits)
    expect(opHtml).toContain('+86139****9000')
    expect(opHtml).toContain('href="/admin/outbox"')
    expect((await analyst.get('/admin/outbox')).status).toBe(403)
  })
})
