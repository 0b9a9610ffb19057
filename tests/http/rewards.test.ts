import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { brandDb } from '../../src/db/brand-scope.ts'
import {
  BRAND_ACCOUNTS,
  balanceOf,
  checkLedger,
  MEMBER_ACCOUNT,
  postTransaction,
} from '../../src/points/ledger-store.ts'
import { redemptions, rewards } from '../../src/points/points-schema.ts'
import type { RewardInput } from '../../src/points/reward-input.ts'
import {
  cancelRedemption,
  createReward,
  REDEMPTIONS_PAGE_SIZE,
  redeemReward,
} from '../../src/points/reward-store.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import { insertMember, memberClient } from '../support/member-session.ts'
import {
  buildTestApp,
  insertBrand,
  insertStaff,
  locationOf,
  postForm,
  request,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

const ROLE_REFUSAL = 'Your role does not allow this'
let current: TestApp | undefined

afterEach(() => {
  // Every ledger test ends with the invariants checked over the whole database.
  if (current) expect(checkLedger(current.db.$client)).toEqual([])
  current = undefined
})

const key = () => randomBytes(16).toString('base64url')

async function setup() {
  const t = buildTestApp()
  current = t
  const brand = await insertBrand(t, { slug: 'tea' })
  const bdb = brandDb(t.db, brand.brandId)
  const addReward = (over: Partial<RewardInput> = {}) => {
    const out = createReward(
      bdb,
      { staffId: null, label: 'test' },
      {
        name: 'Tea cup',
        description: 'A porcelain cup',
        pointsPrice: 10,
        stock: null,
        perMemberLimit: null,
        availableFrom: null,
        availableUntil: null,
        active: true,
        ...over,
      },
      t.clock.now(),
    )
    if (out.kind !== 'saved') throw new Error('reward not saved')
    return out.reward
  }
  const earn = (memberId: number, amount: number, brandId = brand.brandId) =>
    postTransaction(
      t.db,
      brandId,
      {
        kind: 'claim',
        memo: 'test lot',
        entries: [
          { account: MEMBER_ACCOUNT, memberId, amount, expiresAt: null },
          { account: BRAND_ACCOUNTS.issued, amount: -amount },
        ],
      },
      t.clock.now(),
    )
  const member = insertMember(t, brand.brandId, { phone: '+8613800138000' })
  const me = await memberClient(t, brand.brandId, member.id)
  return { t, brand, bdb, addReward, earn, member, me }
}

const htmx = { 'hx-request': 'true' }

/** The markup of one reward's card on the catalogue page. */
function cardOf(html: string, rewardId: number): string {
  const start = html.indexOf(`id="reward-${rewardId}"`)
  if (start < 0) throw new Error(`no card for reward ${rewardId}`)
  return html.slice(start, html.indexOf('</section>', start))
}

describe('the rewards catalogue', () => {
  it('shows a signed-in member the rewards with price, stock and availability, their balance and a button', async () => {
    const { addReward, earn, member, me } = await setup()
    earn(member.id, 25)
    addReward({ name: 'Tea cup', pointsPrice: 10, stock: 3, perMemberLimit: 2 })
    addReward({ name: 'Gift box', pointsPrice: 100 })
    addReward({ name: 'Hidden', active: false })
    const res = await me.get('/me/tea/rewards?lang=en')
    expect(res.status).toBe(200)
    expect(res.headers.get('vary')).toContain('HX-Request')
    const html = await res.text()
    expect(html).toContain('data-balance="25"')
    expect(html).toContain('Tea cup')
    expect(html).toContain('3 left')
    expect(html).toContain('Limit 2 per member')
    expect(html).toContain('Redeem for 10 points')
    expect(html).toContain('75 more points needed')
    expect(html).not.toContain('Hidden')
  })

  it('shows the button of a reward whose per-member limit I reached disabled, until a redemption is cancelled', async () => {
    const { t, bdb, addReward, earn, member, me } = await setup()
    earn(member.id, 100)
    const cup = addReward({ name: 'Cup', pointsPrice: 20, perMemberLimit: 1 })
    const pot = addReward({ name: 'Teapot', pointsPrice: 20, perMemberLimit: 2 })
    const before = await (await me.get('/me/tea/rewards?lang=en')).text()
    expect(cardOf(before, cup.id)).not.toContain('disabled')

    const redeemed = await me.post(`/me/tea/rewards/${cup.id}/redeem?lang=en`, { key: key() }, htmx)
    expect(redeemed.status).toBe(200)
    expect(await redeemed.text()).toMatch(/<button type="submit" disabled="">Redeem for 20 points<\/button>/)
    expect((await me.post(`/me/tea/rewards/${pot.id}/redeem?lang=en`, { key: key() })).status).toBe(303)
    const after = await (await me.get('/me/tea/rewards?lang=en')).text()
    expect(cardOf(after, cup.id)).toContain('disabled')
    expect(cardOf(after, cup.id)).toContain('Limit reached')
    // One of two taken: the teapot can still be redeemed.
    expect(cardOf(after, pot.id)).not.toContain('disabled')
    expect(cardOf(await (await me.get('/me/tea/rewards')).text(), cup.id)).toContain(
      '您已达到此礼品的兑换上限',
    )

    // A cancelled redemption does not count toward the limit, here as when redeeming.
    const row = t.db.select().from(redemptions).where(eq(redemptions.rewardId, cup.id)).get()!
    cancelRedemption(bdb, { staffId: null, label: 'test' }, row.id, 'wrong item', t.clock.now())
    const reopened = await (await me.get('/me/tea/rewards?lang=en')).text()
    expect(cardOf(reopened, cup.id)).not.toContain('disabled')
    expect((await me.post(`/me/tea/rewards/${cup.id}/redeem?lang=en`, { key: key() })).status).toBe(303)
  })

  it('speaks Chinese by default and shows an empty state', async () => {
    const { me } = await setup()
    const html = await (await me.get('/me/tea/rewards')).text()
    expect(html).toContain('积分兑换')
    expect(html).toContain('暂时没有可兑换的礼品')
  })

  it('shows the catalogue without buttons to a visitor who is not signed in', async () => {
    const { t, addReward } = await setup()
    addReward()
    const res = await request(t.app, '/me/tea/rewards?lang=en')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('Tea cup')
    expect(html).toContain('sign in as a member')
    expect(html).not.toContain('Redeem for')
    expect((await request(t.app, '/me/nobody/rewards')).status).toBe(404)
  })
})

describe('redeeming over HTTP', () => {
  it('debits the points and shows the reward code after a plain POST', async () => {
    const { t, brand, addReward, earn, member, me } = await setup()
    earn(member.id, 25)
    const cup = addReward({ stock: 2 })
    const res = await me.post(`/me/tea/rewards/${cup.id}/redeem?lang=en`, { key: key() })
    expect(res.status).toBe(303)
    const row = t.db.select().from(redemptions).get()!
    expect(locationOf(res)).toBe(`/me/tea/rewards?lang=en&redeemed=${row.id}`)
    const page = await (await me.get(locationOf(res)!)).text()
    expect(page).toContain(`data-reward-code="${row.rewardCode}"`)
    expect(page).toContain('Your balance: 15')
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(15)
    expect(t.db.select().from(rewards).where(eq(rewards.id, cup.id)).get()!.stock).toBe(1)
    // Another member cannot read my code from the redirect address.
    const other = await memberClient(t, brand.brandId, insertMember(t, brand.brandId).id)
    expect(await (await other.get(locationOf(res)!)).text()).not.toContain(row.rewardCode)
  })

  it('answers an htmx POST with the reward card holding the code and a fresh key', async () => {
    const { t, addReward, earn, member, me } = await setup()
    earn(member.id, 25)
    const cup = addReward()
    const sent = key()
    const res = await me.post(`/me/tea/rewards/${cup.id}/redeem?lang=en`, { key: sent }, htmx)
    expect(res.status).toBe(200)
    expect(res.headers.get('vary')).toContain('HX-Request')
    const html = await res.text()
    expect(html).not.toContain('<html')
    expect(html).toContain(`id="reward-${cup.id}"`)
    expect(html).toContain(`data-reward-code="${t.db.select().from(redemptions).get()!.rewardCode}"`)
    expect(html).not.toContain(sent)
  })

  it('redeems once for a double submit of the same form', async () => {
    const { t, brand, addReward, earn, member, me } = await setup()
    earn(member.id, 25)
    const cup = addReward({ stock: 5 })
    const form = { key: key() }
    const [a, b] = await Promise.all([
      me.post(`/me/tea/rewards/${cup.id}/redeem?lang=en`, form, htmx),
      me.post(`/me/tea/rewards/${cup.id}/redeem?lang=en`, form, htmx),
    ])
    expect([a.status, b.status]).toEqual([200, 200])
    const code = t.db.select().from(redemptions).get()!.rewardCode
    expect(await a.text()).toContain(code)
    expect(await b.text()).toContain(code)
    expect(t.db.select().from(redemptions).all()).toHaveLength(1)
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(15)
    expect(t.db.select().from(rewards).where(eq(rewards.id, cup.id)).get()!.stock).toBe(4)
  })

  it('says so when the member is short of points, the reward is out of stock or the limit is reached', async () => {
    const { t, brand, addReward, earn, member, me } = await setup()
    earn(member.id, 9)
    const dear = addReward({ pointsPrice: 10 })
    const short = await me.post(`/me/tea/rewards/${dear.id}/redeem?lang=en`, { key: key() }, htmx)
    expect(short.status).toBe(409)
    expect(await short.text()).toContain('this reward costs 10 points and you can spend 9')
    earn(member.id, 100)
    const last = addReward({ pointsPrice: 1, stock: 1 })
    const other = insertMember(t, brand.brandId)
    earn(other.id, 5)
    redeemReward(t.db, {
      brandId: brand.brandId,
      memberId: other.id,
      rewardId: last.id,
      idempotencyKey: key(),
      now: t.clock.now(),
    })
    const gone = await me.post(`/me/tea/rewards/${last.id}/redeem?lang=en`, { key: key() })
    expect(gone.status).toBe(409)
    expect(await gone.text()).toContain('out of stock')
    const once = addReward({ pointsPrice: 1, perMemberLimit: 1 })
    expect((await me.post(`/me/tea/rewards/${once.id}/redeem?lang=en`, { key: key() })).status).toBe(303)
    const again = await me.post(`/me/tea/rewards/${once.id}/redeem?lang=en`, { key: key() }, htmx)
    expect(again.status).toBe(409)
    expect(await again.text()).toContain('limit of 1 per member')
    const later = addReward({ availableFrom: t.clock.now() + 86_400_000 })
    expect((await me.post(`/me/tea/rewards/${later.id}/redeem?lang=en`, { key: key() })).status).toBe(409)
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(108)
  })
})

describe('redeeming is refused', () => {
  it('without the member CSRF token (403), and from another site by Origin (403)', async () => {
    const { t, addReward, earn, member, me } = await setup()
    earn(member.id, 25)
    const cup = addReward()
    expect((await me.post(`/me/tea/rewards/${cup.id}/redeem`, { _csrf: '', key: key() })).status).toBe(403)
    expect((await me.post(`/me/tea/rewards/${cup.id}/redeem`, { _csrf: 'forged', key: key() })).status).toBe(
      403,
    )
    const crossSite = await postForm(
      t.app,
      `/me/tea/rewards/${cup.id}/redeem`,
      { _csrf: me.csrfToken!, key: key() },
      { cookie: me.cookie, origin: 'https://evil.example' },
    )
    expect(crossSite.status).toBe(403)
    expect(t.db.select().from(redemptions).all()).toHaveLength(0)
  })

  it('with a line in the reward card for htmx, not a bare text node where the card was', async () => {
    const { addReward, earn, member, me } = await setup()
    earn(member.id, 25)
    const cup = addReward()
    const res = await me.post(
      `/me/tea/rewards/${cup.id}/redeem?lang=en`,
      { _csrf: 'forged', key: key() },
      {
        'hx-request': 'true',
      },
    )
    expect(res.status).toBe(403)
    expect(await res.text()).toBe(
      '<p class="errors" role="alert">This page has expired. Reload it and try again.</p>',
    )
  })

  it('without a member session (401), and with a session of another brand', async () => {
    const { t, addReward, earn, member, me } = await setup()
    earn(member.id, 25)
    const cup = addReward()
    const anonymous = await postForm(t.app, `/me/tea/rewards/${cup.id}/redeem`, { _csrf: 'x', key: key() })
    expect(anonymous.status).toBe(401)
    await insertBrand(t, { slug: 'coffee' })
    // My tea session is not a coffee session.
    expect((await me.post(`/me/coffee/rewards/${cup.id}/redeem`, { key: key() })).status).toBe(401)
    expect(t.db.select().from(redemptions).all()).toHaveLength(0)
  })

  it("for another brand's reward: 404, and nothing is debited", async () => {
    const { t, brand, earn, member, me } = await setup()
    earn(member.id, 25)
    const coffee = await insertBrand(t, { slug: 'coffee' })
    const theirs = createReward(
      brandDb(t.db, coffee.brandId),
      { staffId: null, label: 'test' },
      {
        name: 'Coffee mug',
        description: null,
        pointsPrice: 1,
        stock: null,
        perMemberLimit: null,
        availableFrom: null,
        availableUntil: null,
        active: true,
      },
      t.clock.now(),
    )
    if (theirs.kind !== 'saved') throw new Error('not saved')
    const res = await me.post(`/me/tea/rewards/${theirs.reward.id}/redeem`, { key: key() })
    expect(res.status).toBe(404)
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(25)
  })
})

describe('the rewards console', () => {
  it('lets an owner create and edit a reward, audited', async () => {
    const { t, brand } = await setup()
    const owner = await signInAs(t, brand.ownerId)
    expect((await owner.get('/admin/rewards')).status).toBe(200)
    expect(await (await owner.get('/admin/rewards/new')).text()).toContain('name="pointsPrice"')
    const bad = await owner.post('/admin/rewards', {
      name: 'Cup',
      pointsPrice: '0',
      stock: '',
      perMemberLimit: '',
    })
    expect(bad.status).toBe(422)
    expect(await bad.text()).toContain('points price must be from 1')
    const created = await owner.post('/admin/rewards', {
      name: 'Cup',
      description: 'Porcelain',
      pointsPrice: '30',
      stock: '5',
      perMemberLimit: '1',
      availableFrom: '2026-11-01T00:00',
      availableUntil: '2026-12-01T00:00',
      active: 'on',
    })
    expect(created.status).toBe(303)
    const row = t.db.select().from(rewards).get()!
    expect(row).toMatchObject({
      name: 'Cup',
      pointsPrice: 30,
      stock: 5,
      perMemberLimit: 1,
      availableFrom: Date.UTC(2026, 10, 1),
      availableUntil: Date.UTC(2026, 11, 1),
      active: true,
    })
    const form = await (await owner.get(`/admin/rewards/${row.id}`)).text()
    expect(form).toContain('value="2026-12-01T00:00"')
    const edited = await owner.post(`/admin/rewards/${row.id}`, {
      name: 'Big cup',
      pointsPrice: '40',
      stock: '',
    })
    expect(edited.status).toBe(303)
    expect(t.db.select().from(rewards).get()).toMatchObject({
      name: 'Big cup',
      stock: null,
      perMemberLimit: null,
      active: false,
    })
    const actions = t.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.subjectType, 'reward'))
      .all()
    expect(actions.map((a) => a.action)).toEqual(['reward.create', 'reward.update'])
  })

  it('lets an analyst read rewards and redemptions but not change or cancel them', async () => {
    const { t, brand, addReward, earn, member } = await setup()
    const cup = addReward()
    earn(member.id, 25)
    redeemReward(t.db, {
      brandId: brand.brandId,
      memberId: member.id,
      rewardId: cup.id,
      idempotencyKey: key(),
      now: t.clock.now(),
    })
    const redemption = t.db.select().from(redemptions).get()!
    const analystRow = await insertStaff(t, brand.brandId, { role: 'analyst', email: 'analyst@tea.test' })
    const analyst = await signInAs(t, analystRow.id)
    const list = await analyst.get('/admin/rewards')
    expect(list.status).toBe(200)
    const listHtml = await list.text()
    expect(listHtml).toContain('Tea cup')
    expect(listHtml).not.toContain('href="/admin/rewards/new"')
    expect(listHtml).toContain('href="/admin/rewards"')
    const reds = await analyst.get('/admin/redemptions')
    expect(reds.status).toBe(200)
    const redsHtml = await reds.text()
    expect(redsHtml).toContain(redemption.rewardCode)
    // Members' contact details are masked in the console.
    expect(redsHtml).not.toContain('+8613800138000')
    expect(redsHtml).not.toContain('/cancel')
    for (const res of [
      await analyst.post('/admin/rewards', { name: 'X', pointsPrice: '1' }),
      await analyst.post(`/admin/rewards/${cup.id}`, { name: 'X', pointsPrice: '1' }),
      await analyst.post(`/admin/redemptions/${redemption.id}/cancel`, { reason: 'x', confirm: 'yes' }),
    ]) {
      expect(res.status).toBe(403)
      expect(await res.text()).toContain(ROLE_REFUSAL)
    }
    expect(t.db.select().from(redemptions).get()!.status).toBe('issued')
    const operatorRow = await insertStaff(t, brand.brandId, { role: 'operator', email: 'op@tea.test' })
    expect((await (await signInAs(t, operatorRow.id)).get('/admin/rewards')).status).toBe(403)
  })

  it('lists redemptions newest first, a page at a time', async () => {
    const { t, brand, addReward, earn, member } = await setup()
    const pin = addReward({ pointsPrice: 1 })
    earn(member.id, REDEMPTIONS_PAGE_SIZE + 5)
    for (let i = 0; i < REDEMPTIONS_PAGE_SIZE + 5; i++) {
      redeemReward(t.db, {
        brandId: brand.brandId,
        memberId: member.id,
        rewardId: pin.id,
        idempotencyKey: key(),
        now: t.clock.now(),
      })
    }
    const owner = await signInAs(t, brand.ownerId)
    const first = await (await owner.get('/admin/redemptions')).text()
    const ids = [...first.matchAll(/data-redemption="(\d+)"/g)].map((m) => Number(m[1]))
    expect(ids).toHaveLength(REDEMPTIONS_PAGE_SIZE)
    expect(ids[0]).toBe(REDEMPTIONS_PAGE_SIZE + 5)
    const next = /href="(\/admin\/redemptions\?before=\d+)"/.exec(first)![1]!
    const second = await (await owner.get(next)).text()
    expect([...second.matchAll(/data-redemption="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([5, 4, 3, 2, 1])
    expect(second).not.toContain('Older redemptions')
  })
})

describe('cancelling a redemption in the console', () => {
  async function redeemed() {
    const s = await setup()
    const cup = s.addReward({ stock: 3 })
    s.earn(s.member.id, 25)
    const out = redeemReward(s.t.db, {
      brandId: s.brand.brandId,
      memberId: s.member.id,
      rewardId: cup.id,
      idempotencyKey: key(),
      now: s.t.clock.now(),
    })
    if (out.kind !== 'redeemed') throw new Error(out.kind)
    const owner = await signInAs(s.t, s.brand.ownerId)
    return { ...s, cup, redemptionId: out.redemptionId, owner }
  }

  it('needs a reason and a confirmation, then gives the points and the unit back, once', async () => {
    const { t, brand, member, cup, redemptionId, owner } = await redeemed()
    const page = await (await owner.get(`/admin/redemptions/${redemptionId}/cancel`)).text()
    expect(page).toContain('name="confirm"')
    const unconfirmed = await owner.post(`/admin/redemptions/${redemptionId}/cancel`, {
      reason: 'wrong item',
    })
    expect(unconfirmed.status).toBe(422)
    expect(await unconfirmed.text()).toContain('tick the box')
    const noReason = await owner.post(`/admin/redemptions/${redemptionId}/cancel`, {
      reason: ' ',
      confirm: 'yes',
    })
    expect(noReason.status).toBe(422)
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(15)
    const done = await owner.post(`/admin/redemptions/${redemptionId}/cancel`, {
      reason: 'wrong item',
      confirm: 'yes',
    })
    expect(done.status).toBe(303)
    expect(locationOf(done)).toContain('/admin/redemptions?notice=')
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(25)
    expect(t.db.select().from(rewards).where(eq(rewards.id, cup.id)).get()!.stock).toBe(3)
    expect(t.db.select().from(redemptions).get()).toMatchObject({ status: 'cancelled' })
    const twice = await owner.post(`/admin/redemptions/${redemptionId}/cancel`, {
      reason: 'again',
      confirm: 'yes',
    })
    expect(twice.status).toBe(409)
    expect(await twice.text()).toContain('already cancelled')
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(25)
    const audits = t.db.select().from(auditLog).where(eq(auditLog.action, 'redemption.cancel')).all()
    expect(audits).toHaveLength(1)
    expect(audits[0]!.detail).toMatchObject({ reason: 'wrong item' })
  })

  it("answers 404 for another brand's redemption", async () => {
    const { t, redemptionId } = await redeemed()
    const coffee = await insertBrand(t, { slug: 'coffee' })
    const theirOwner = await signInAs(t, coffee.ownerId)
    expect((await theirOwner.get(`/admin/redemptions/${redemptionId}/cancel`)).status).toBe(404)
    const res = await theirOwner.post(`/admin/redemptions/${redemptionId}/cancel`, {
      reason: 'x',
      confirm: 'yes',
    })
    expect(res.status).toBe(404)
    expect(await (await theirOwner.get('/admin/redemptions')).text()).toContain('No redemptions yet')
    expect(t.db.select().from(redemptions).get()!.status).toBe('issued')
  })

  it('refuses a cancellation without the staff CSRF token', async () => {
    const { t, redemptionId, owner } = await redeemed()
    const res = await owner.post(`/admin/redemptions/${redemptionId}/cancel`, {
      _csrf: '',
      reason: 'x',
      confirm: 'yes',
    })
    expect(res.status).toBe(403)
    expect(t.db.select().from(redemptions).get()!.status).toBe('issued')
  })
})
