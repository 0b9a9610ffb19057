import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { eraseMember } from '../../src/members/account-store.ts'
import { memberPii } from '../../src/members/member-pii.ts'
import { members } from '../../src/members/member-schema.ts'
import { findMemberByIdentity } from '../../src/members/member-store.ts'
import { memberMerges, memberTags } from '../../src/members/programme-schema.ts'
import { claimCode } from '../../src/points/claim-store.ts'
import { remainingLots } from '../../src/points/earning-lots.ts'
import { balanceOf, checkLedger } from '../../src/points/ledger-store.ts'
import {
  claims,
  ledgerTransactions,
  pointSettings,
  redemptions,
  rewards,
  tiers,
} from '../../src/points/points-schema.ts'
import { cancelRedemption, memberLines, redeemReward } from '../../src/points/reward-store.ts'
import { scans } from '../../src/scans/scan-schema.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import { insertMember, memberClient } from '../support/member-session.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  insertStaff,
  locationOf,
  postForm,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

const DAY = 86_400_000
const PHONE = '+8613800138000'
let current: TestApp | undefined

afterEach(() => {
  // Whatever a test did, the ledger's invariants hold afterwards (npm run check:ledger).
  if (current) expect(checkLedger(current.db.$client)).toEqual([])
  current = undefined
})

/**
 * A brand whose points expire after 12 months, ten activated codes of 10 points, an owner and an
 * analyst, and two memberships of one person: A by phone (to merge away), B by email (to keep).
 */
async function setup() {
  const t = buildTestApp()
  current = t
  const brand = await insertBrand(t, { slug: 'tea' })
  t.db
    .insert(pointSettings)
    .values({ brandId: brand.brandId, expiryMonths: 12, updatedAt: t.clock.now() })
    .run()
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1', points: 10 })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: 10 })
  activateCodes(brandDb(t.db, brand.brandId), { staffId: null, label: 'test' }, batch.id, null, t.clock.now())
  const codeIds = t.db
    .select({ id: codes.id })
    .from(codes)
    .where(eq(codes.batchId, batch.id))
    .orderBy(codes.seq)
    .all()
    .map((r) => r.id)
  const a = insertMember(t, brand.brandId, { phone: PHONE, name: 'Li Hua' })
  const b = insertMember(t, brand.brandId, { email: 'li.hua@example.com' })
  const owner = await signInAs(t, brand.ownerId)
  const analyst = await signInAs(
    t,
    (await insertStaff(t, brand.brandId, { role: 'analyst', email: 'ana@tea.test' })).id,
  )
  const claim = (i: number, memberId: number) => {
    const outcome = claimCode(t.db, {
      brandId: brand.brandId,
      codeId: codeIds[i]!,
      memberId,
      idempotencyKey: randomBytes(16).toString('base64url'),
      now: t.clock.now(),
    })
    if (outcome.kind !== 'claimed') throw new Error(outcome.kind)
  }
  const bdb = brandDb(t.db, brand.brandId)
  return { t, brand, bdb, a, b, owner, analyst, claim, codeIds }
}

const merges = (t: TestApp) => t.db.select().from(memberMerges).all()
const row = (t: TestApp, id: number) => t.db.select().from(members).where(eq(members.id, id)).get()!

describe('merging a duplicate member', () => {
  it('moves the balance and every remaining lot with its expiry date, and reassigns claims, scans and redemptions', async () => {
    const { t, brand, a, b, claim, codeIds } = await setup()
    claim(0, a.id)
    t.clock.advance(40 * DAY)
    // A staff session lasts less than the 40 days that separate the two earning lots.
    const owner = await signInAs(t, brand.ownerId)
    claim(1, a.id)
    claim(2, b.id)
    const reward = t.db
      .insert(rewards)
      .values({ brandId: brand.brandId, name: 'Tea cup', pointsPrice: 5, createdAt: t.clock.now() })
      .returning()
      .get()
    const redeemed = redeemReward(t.db, {
      brandId: brand.brandId,
      memberId: a.id,
      rewardId: reward.id,
      idempotencyKey: randomBytes(16).toString('base64url'),
      now: t.clock.now(),
    })
    expect(redeemed.kind).toBe('redeemed')
    t.db
      .insert(scans)
      .values({
        brandId: brand.brandId,
        codeId: codeIds[0]!,
        deviceId: 'd1',
        ipPrefix: '203.0.113.0/24',
        userAgent: 'test',
        memberId: a.id,
        verdict: 'genuine-first',
        counted: true,
        at: t.clock.now(),
      })
      .run()
    t.db
      .insert(memberTags)
      .values({
        memberId: a.id,
        brandId: brand.brandId,
        tag: 'vip',
        source: 'manual',
        reason: 'added by staff',
        createdAt: t.clock.now(),
      })
      .run()
    const lotsA = remainingLots(memberLines(t.db, brand.brandId, a.id))
    expect(lotsA.map((l) => l.remaining)).toEqual([5, 10])
    const lotsB = remainingLots(memberLines(t.db, brand.brandId, b.id))

    t.clock.advance(1_000)
    const res = await owner.post(`/admin/members/${a.id}/merge`, { into: String(b.id), confirm: 'yes' })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe(`/admin/members/${a.id}/merge?merged=1`)

    expect(balanceOf(t.db, brand.brandId, a.id)).toBe(0)
    expect(balanceOf(t.db, brand.brandId, b.id)).toBe(25)
    const lotsAfter = remainingLots(memberLines(t.db, brand.brandId, b.id))
    const dates = (lots: typeof lotsA) => lots.map((l) => [l.remaining, l.expiresAt]).sort()
    expect(dates(lotsAfter)).toEqual(dates([...lotsA, ...lotsB]))
    expect(lotsAfter.every((l) => l.expiresAt !== null)).toBe(true)

    const owned = (table: typeof claims | typeof scans | typeof redemptions) =>
      t.db
        .select({ memberId: table.memberId })
        .from(table)
        .all()
        .map((r) => r.memberId)
    expect(owned(claims)).toEqual([b.id, b.id, b.id])
    expect(owned(scans)).toEqual([b.id])
    expect(owned(redemptions)).toEqual([b.id])
    expect(t.db.select().from(memberTags).all()).toEqual([
      expect.objectContaining({ memberId: b.id, tag: 'vip' }),
    ])

    const [merge] = merges(t)
    expect(merge).toMatchObject({
      brandId: brand.brandId,
      fromMemberId: a.id,
      intoMemberId: b.id,
      pointsMoved: 15,
      actorStaffId: brand.ownerId,
      at: t.clock.now(),
    })
    expect(
      t.db.select().from(ledgerTransactions).where(eq(ledgerTransactions.id, merge!.txId!)).get(),
    ).toMatchObject({ kind: 'merge' })
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'member.merge')).get()!
    expect(audit).toMatchObject({
      actorStaffId: brand.ownerId,
      subjectType: 'member',
      subjectId: String(a.id),
    })
    expect(audit.detail).toMatchObject({
      from: a.id,
      into: b.id,
      pointsMoved: 15,
      lots: 2,
      claims: 2,
      scans: 1,
      redemptions: 1,
      tookOver: ['phone', 'name'],
    })
    expect(JSON.stringify(audit)).not.toContain('138')
    expect(JSON.stringify(audit)).not.toContain('Li Hua')

    // The result page says what happened.
    const done = await (await owner.get(locationOf(res)!)).text()
    expect(done).toContain(`merged into member #${b.id}`)
    expect(done).toContain('15 points moved')
  })

  it('erases the merged member’s personal data, ends its sessions, and signs its phone in to the kept member', async () => {
    const { t, brand, a, b, owner } = await setup()
    const aSession = await memberClient(t, brand.brandId, a.id)
    expect((await aSession.get('/me/tea')).status).toBe(200)
    expect(
      (await owner.post(`/admin/members/${a.id}/merge`, { into: String(b.id), confirm: 'yes' })).status,
    ).toBe(303)
    expect(row(t, a.id)).toMatchObject({
      mergedIntoId: b.id,
      deletedAt: t.clock.now(),
      phone: null,
      phoneHash: null,
      phoneEnc: null,
      phoneHint: null,
      email: null,
      emailHash: null,
      emailEnc: null,
      name: null,
    })
    expect((await aSession.get('/me/tea')).status).toBe(401)
    const pii = memberPii(t.masterKey)
    // B lacked a phone and takes A's over, so the person still signs in with either.
    expect(findMemberByIdentity(t.db, pii, brand.brandId, { channel: 'sms', phone: PHONE })?.id).toBe(b.id)
    expect(
      findMemberByIdentity(t.db, pii, brand.brandId, { channel: 'email', email: 'li.hua@example.com' })?.id,
    ).toBe(b.id)
    expect(row(t, b.id).name).toBe('Li Hua')
  })

  it('raises the kept member’s tier when both members’ earnings together reach it', async () => {
    const { t, brand, a, b, owner, claim } = await setup()
    t.db.insert(tiers).values({ brandId: brand.brandId, name: 'Silver', threshold: 30 }).run()
    claim(0, a.id)
    claim(1, a.id)
    claim(2, b.id)
    expect(
      (await owner.post(`/admin/members/${a.id}/merge`, { into: String(b.id), confirm: 'yes' })).status,
    ).toBe(303)
    expect(await (await owner.get(`/admin/members/${a.id}/merge`)).text()).toContain('20 points moved')
    const back = await owner.get(`/admin/members/${b.id}/merge?into=%23${a.id}`)
    expect(back.status).toBe(422)
    expect(await back.text()).toContain(`was already merged into member #${b.id}`)
    expect(
      t.db.select().from(auditLog).where(eq(auditLog.action, 'member.merge')).get()?.detail,
    ).toMatchObject({
      tier: 'Silver',
    })
  })

  it('gives the points of a moved redemption back to the kept member when an owner cancels it', async () => {
    const { t, brand, bdb, a, b, owner, claim } = await setup()
    claim(0, a.id)
    const reward = t.db
      .insert(rewards)
      .values({ brandId: brand.brandId, name: 'Tea cup', pointsPrice: 4, createdAt: t.clock.now() })
      .returning()
      .get()
    const redeemed = redeemReward(t.db, {
      brandId: brand.brandId,
      memberId: a.id,
      rewardId: reward.id,
      idempotencyKey: randomBytes(16).toString('base64url'),
      now: t.clock.now(),
    })
    if (redeemed.kind !== 'redeemed') throw new Error(redeemed.kind)
    await owner.post(`/admin/members/${a.id}/merge`, { into: String(b.id), confirm: 'yes' })
    expect(balanceOf(t.db, brand.brandId, b.id)).toBe(6)
    const cancelled = cancelRedemption(
      bdb,
      { staffId: null, label: 'test' },
      redeemed.redemptionId,
      'mistake',
      t.clock.now(),
    )
    expect(cancelled.kind).toBe('cancelled')
    expect(balanceOf(t.db, brand.brandId, b.id)).toBe(10)
    expect(balanceOf(t.db, brand.brandId, a.id)).toBe(0)
  })
})

describe('choosing the member to keep and confirming', () => {
  it('is reached from the member to merge away, and its link says that member is emptied', async () => {
    const { a, owner } = await setup()
    const html = await (await owner.get(`/admin/members/${a.id}`)).text()
    const link = html.match(new RegExp(`<a href="/admin/members/${a.id}/merge">([^<]*)</a>`))?.[1]
    expect(link).toBe('Merge this member into another (this one is emptied)…')
    const start = await (await owner.get(`/admin/members/${a.id}/merge`)).text()
    expect(start).toContain(`Merge member #${a.id} into another member`)
  })

  it('finds the other member by number, by phone in any format and by email, and previews both', async () => {
    const { a, b, owner } = await setup()
    for (const typed of [`#${b.id}`, 'li.hua@example.com', 'LI.HUA@Example.com']) {
      const res = await owner.get(`/admin/members/${a.id}/merge?into=${encodeURIComponent(typed)}`)
      expect(res.status).toBe(200)
      const html = await res.text()
      expect(html).toContain(`data-side="${a.id}"`)
      expect(html).toContain(`data-side="${b.id}"`)
      expect(html).toContain(`name="into" value="${b.id}"`)
      expect(html).toContain('name="confirm"')
      expect(html).toContain('name="_csrf"')
      // Owners may see contacts in full.
      expect(html).toContain(PHONE)
    }
    for (const typed of ['138-0013-8000', '+86 138 0013 8000']) {
      const html = await (
        await owner.get(`/admin/members/${b.id}/merge?into=${encodeURIComponent(typed)}`)
      ).text()
      expect(html).toContain(`name="into" value="${a.id}"`)
    }
  })

  it('shows the start page with an empty search, and says so when nobody matches or the text is neither', async () => {
    const { a, owner } = await setup()
    const start = await owner.get(`/admin/members/${a.id}/merge`)
    expect(start.status).toBe(200)
    expect(await start.text()).toContain('name="into"')
    const nobody = await owner.get(`/admin/members/${a.id}/merge?into=nobody%40example.com`)
    expect(nobody.status).toBe(422)
    expect(await nobody.text()).toContain('No member of this brand matches')
    const neither = await owner.get(`/admin/members/${a.id}/merge?into=hello`)
    expect(neither.status).toBe(422)
    expect(await neither.text()).toContain('Enter a member number')
  })

  it('does nothing without the confirmation box', async () => {
    const { t, a, b, owner, claim } = await setup()
    claim(0, a.id)
    const res = await owner.post(`/admin/members/${a.id}/merge`, { into: String(b.id) })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Tick the box to confirm the merge.')
    expect(merges(t)).toEqual([])
    expect(row(t, a.id).mergedIntoId).toBeNull()
  })
})

describe('merges that are refused', () => {
  it('refuses to merge a member into themselves', async () => {
    const { t, a, owner } = await setup()
    const res = await owner.post(`/admin/members/${a.id}/merge`, { into: String(a.id), confirm: 'yes' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('cannot be merged into themselves')
    expect((await owner.get(`/admin/members/${a.id}/merge?into=${encodeURIComponent(PHONE)}`)).status).toBe(
      422,
    )
    expect(merges(t)).toEqual([])
  })

  it('refuses to merge into an erased member or one already merged away, and to merge a member twice', async () => {
    const { t, brand, bdb, a, b, owner } = await setup()
    const erased = insertMember(t, brand.brandId, { phone: '+8613900139000' })
    eraseMember(bdb, memberPii(t.masterKey), erased.id, t.clock.now())
    const intoErased = await owner.post(`/admin/members/${a.id}/merge`, {
      into: String(erased.id),
      confirm: 'yes',
    })
    expect(intoErased.status).toBe(422)
    expect(await intoErased.text()).toContain('erased their account')

    expect(
      (await owner.post(`/admin/members/${a.id}/merge`, { into: String(b.id), confirm: 'yes' })).status,
    ).toBe(303)
    const c = insertMember(t, brand.brandId, { email: 'third@example.com' })
    const intoMerged = await owner.post(`/admin/members/${c.id}/merge`, {
      into: String(a.id),
      confirm: 'yes',
    })
    expect(intoMerged.status).toBe(422)
    expect(await intoMerged.text()).toContain(`merge into #${b.id} instead`)
    const twice = await owner.post(`/admin/members/${a.id}/merge`, { into: String(c.id), confirm: 'yes' })
    expect(twice.status).toBe(409)
    expect(await twice.text()).toContain(`already merged into member #${b.id}`)
    const fromErased = await owner.post(`/admin/members/${erased.id}/merge`, {
      into: String(b.id),
      confirm: 'yes',
    })
    expect(fromErased.status).toBe(409)
    expect(merges(t)).toHaveLength(1)
  })

  it('never merges across brands: another brand’s member is neither found nor accepted', async () => {
    const { t, a, owner } = await setup()
    const other = await insertBrand(t, { slug: 'coffee' })
    const stranger = insertMember(t, other.brandId, { email: 'li.hua@example.com' })
    const res = await owner.post(`/admin/members/${a.id}/merge`, {
      into: String(stranger.id),
      confirm: 'yes',
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('no such member in this brand')
    expect((await owner.get(`/admin/members/${a.id}/merge?into=%23${stranger.id}`)).status).toBe(422)
    // The same email in the other brand belongs to that brand's programme: the lookup never sees it.
    const byEmail = await owner.get(`/admin/members/${a.id}/merge?into=li.hua%40example.com`)
    expect(await byEmail.text()).not.toContain(`data-side="${stranger.id}"`)
    const coffeeOwner = await signInAs(t, other.ownerId)
    expect((await coffeeOwner.get(`/admin/members/${a.id}/merge`)).status).toBe(404)
    expect(
      (await coffeeOwner.post(`/admin/members/${a.id}/merge`, { into: String(stranger.id), confirm: 'yes' }))
        .status,
    ).toBe(404)
    expect(merges(t)).toEqual([])
  })
})

describe('who may merge', () => {
  it('lets only owners merge: analysts get 403 on the page and the form', async () => {
    const { t, a, b, analyst } = await setup()
    expect((await analyst.get(`/admin/members/${a.id}/merge`)).status).toBe(403)
    expect(
      (await analyst.post(`/admin/members/${a.id}/merge`, { into: String(b.id), confirm: 'yes' })).status,
    ).toBe(403)
    expect(merges(t)).toEqual([])
  })

  it('refuses a merge without the CSRF token or from another site', async () => {
    const { t, a, b, owner } = await setup()
    const noToken = await owner.post(`/admin/members/${a.id}/merge`, {
      _csrf: '',
      into: String(b.id),
      confirm: 'yes',
    })
    expect(noToken.status).toBe(403)
    const crossSite = await postForm(
      t.app,
      `/admin/members/${a.id}/merge`,
      { _csrf: owner.csrfToken!, into: String(b.id), confirm: 'yes' },
      { cookie: owner.cookie, origin: 'https://evil.example' },
    )
    expect(crossSite.status).toBe(403)
    expect(merges(t)).toEqual([])
    expect(row(t, a.id).mergedIntoId).toBeNull()
    expect(row(t, a.id).phoneHash).not.toBeNull()
  })
})
