import { randomBytes } from 'node:crypto'
import { and, desc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { CONSENT_VERSIONS, type MemberExport } from '../../src/members/account-store.ts'
import { memberPii } from '../../src/members/member-pii.ts'
import { memberConsents, members, otpChallenges, outbox } from '../../src/members/member-schema.ts'
import { memberCookieName } from '../../src/members/member-session.ts'
import { claimCode } from '../../src/points/claim-store.ts'
import {
  BRAND_ACCOUNTS,
  balanceOf,
  checkLedger,
  MEMBER_ACCOUNT,
  postTransaction,
} from '../../src/points/ledger-store.ts'
import {
  ledgerEntries,
  memberTiers,
  privacyRequests,
  redemptions,
  rewards,
  tiers,
} from '../../src/points/points-schema.ts'
import { scans } from '../../src/scans/scan-schema.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import { insertMember, memberClient } from '../support/member-session.ts'
import { scanPhone } from '../support/scan-phone.ts'
import {
  buildTestApp,
  cookieFrom,
  insertBatch,
  insertBrand,
  insertProduct,
  locationOf,
  request,
  type TestApp,
} from '../support/test-app.ts'

const DAY = 24 * 3_600_000
const PHONE = '+8613800138000'

/** A brand with one activated batch of green tea and a member signed in on their phone. */
async function setup() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1', name: 'Green tea', points: 25 })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: 30 })
  activateCodes(brandDb(t.db, brand.brandId), { staffId: null, label: 'test' }, batch.id, null, t.clock.now())
  const codeIds = t.db
    .select({ id: codes.id })
    .from(codes)
    .where(eq(codes.batchId, batch.id))
    .orderBy(codes.seq)
    .all()
    .map((r) => r.id)
  const member = insertMember(t, brand.brandId, { phone: PHONE })
  const me = await memberClient(t, brand.brandId, member.id)
  return { t, brand, member, me, codeIds }
}

function insertScan(
  t: TestApp,
  brandId: number,
  input: { codeId: number; memberId: number | null; lat?: number },
) {
  return t.db
    .insert(scans)
    .values({
      brandId,
      codeId: input.codeId,
      deviceId: randomBytes(16).toString('base64url'),
      ipPrefix: '203.0.113.0/24',
      userAgent: 'test',
      memberId: input.memberId,
      verdict: 'genuine-first',
      counted: true,
      lat: input.lat ?? null,
      lon: input.lat ? 121.47 : null,
      placeEn: 'Shanghai',
      placeZh: '上海',
      at: t.clock.now(),
    })
    .returning()
    .get()
}

/** Points credited by the brand as one lot (an adjustment), expiring at `expiresAt`. */
function credit(t: TestApp, brandId: number, memberId: number, amount: number, expiresAt: number | null) {
  postTransaction(
    t.db,
    brandId,
    {
      kind: 'adjustment',
      memo: 'welcome bonus',
      entries: [
        { account: MEMBER_ACCOUNT, memberId, amount, expiresAt },
        { account: BRAND_ACCOUNTS.adjusted, amount: -amount },
      ],
    },
    t.clock.now(),
  )
}

/** A redemption as the rewards pages record one: the ledger debit and its row. */
function redeem(t: TestApp, brandId: number, memberId: number, points: number) {
  const reward = t.db
    .insert(rewards)
    .values({ brandId, name: 'Tea cup', pointsPrice: points, createdAt: t.clock.now() })
    .returning()
    .get()
  const txId = postTransaction(
    t.db,
    brandId,
    {
      kind: 'redemption',
      memo: `reward ${reward.id}`,
      entries: [
        { account: MEMBER_ACCOUNT, memberId, amount: -points },
        { account: BRAND_ACCOUNTS.redeemed, amount: points },
      ],
    },
    t.clock.now(),
  )
  t.db
    .insert(redemptions)
    .values({
      brandId,
      rewardId: reward.id,
      memberId,
      txId,
      rewardCode: 'ABCDE12345',
      points,
      status: 'issued',
      idempotencyKey: randomBytes(16).toString('base64url'),
      createdAt: t.clock.now(),
    })
    .run()
}

const kindsIn = (html: string) => [...html.matchAll(/data-kind="([a-z]+)"/g)].map((m) => m[1])

describe('my account page', () => {
  it('shows the balance, the points expiring in the next 30 days, and the history newest first', async () => {
    const { t, brand, member, me, codeIds } = await setup()
    insertScan(t, brand.brandId, { codeId: codeIds[0]!, memberId: member.id })
    t.clock.advance(1000)
    const claimed = claimCode(t.db, {
      brandId: brand.brandId,
      codeId: codeIds[0]!,
      memberId: member.id,
      idempotencyKey: randomBytes(16).toString('base64url'),
      now: t.clock.now(),
    })
    expect(claimed.kind).toBe('claimed')
    t.clock.advance(1000)
    credit(t, brand.brandId, member.id, 40, t.clock.now() + 10 * DAY)
    t.clock.advance(1000)
    credit(t, brand.brandId, member.id, 30, t.clock.now() + 60 * DAY)
    t.clock.advance(1000)
    // FIFO: the redemption uses up the lot that expires soonest first, leaving 25 of its 40.
    redeem(t, brand.brandId, member.id, 15)

    const res = await me.get('/me/tea?lang=en')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const html = await res.text()
    expect(html).toContain('data-balance="80"')
    expect(html).toContain('data-expiring="25"')
    expect(html).toContain('25 points start expiring on 2026-11-11')
    expect(html).toContain('+86138****8000')
    expect(kindsIn(html)).toEqual(['redemption', 'adjustment', 'adjustment', 'claim', 'scan'])
    expect(html).toContain('Points claimed · Green tea')
    expect(html).toContain('Reward redeemed · Tea cup')
    expect(html).toContain('Scanned · Green tea · genuine, first check · Shanghai')
    // The adjustment's reason is for the brand's staff.
    expect(html).not.toContain('welcome bonus')
    expect(html).toContain('href="/me/tea/rewards?lang=en"')
    expect(html).toContain('href="/me/tea/profile?lang=en"')
    expect(html).toMatch(/^<!doctype html>/)
    expect(checkLedger(t.db.$client)).toEqual([])
  })

  it('speaks Chinese by default', async () => {
    const { me } = await setup()
    const html = await (await me.get('/me/tea')).text()
    expect(html).toContain('积分余额')
    expect(html).toContain('近 30 天内没有即将过期的积分。')
  })

  it('shows the tier and how far the next one is', async () => {
    const { t, brand, member, me } = await setup()
    const silver = t.db
      .insert(tiers)
      .values({ brandId: brand.brandId, name: 'Silver', threshold: 0, multiplierPct: 100 })
      .returning()
      .get()
    t.db
      .insert(tiers)
      .values({ brandId: brand.brandId, name: 'Gold', threshold: 500, multiplierPct: 150 })
      .run()
    t.db
      .insert(memberTiers)
      .values({ memberId: member.id, brandId: brand.brandId, tierId: silver.id, since: 0 })
      .run()
    const html = await (await me.get('/me/tea?lang=en')).text()
    expect(html).toContain('data-tier="Silver"')
    expect(html).toContain('Earn 500 more points (within 365 days) to reach Gold')
  })

  it('pages a long history, and answers just the list to htmx', async () => {
    const { t, brand, member, me, codeIds } = await setup()
    for (const codeId of codeIds.slice(0, 25)) {
      insertScan(t, brand.brandId, { codeId, memberId: member.id })
      t.clock.advance(1000)
    }
    const first = await (await me.get('/me/tea?lang=en')).text()
    expect(kindsIn(first)).toHaveLength(20)
    expect(first).toContain('href="/me/tea?page=2&amp;lang=en"')
    const second = await me.get('/me/tea?lang=en&page=2', { 'hx-request': 'true' })
    expect(second.headers.get('vary')).toContain('HX-Request')
    const fragment = await second.text()
    expect(fragment).not.toContain('<html')
    expect(fragment).toMatch(/^<section id="history">/)
    expect(kindsIn(fragment)).toHaveLength(5)
    expect(fragment).toContain('rel="prev"')
  })

  it('answers 401 with the sign-in box without a session, and with "scan a code" for an unknown brand', async () => {
    const { t } = await setup()
    const res = await request(t.app, '/me/tea?lang=en')
    expect(res.status).toBe(401)
    const html = await res.text()
    expect(html).toContain('Sign in with your mobile number or email')
    expect(html).toContain('name="identifier"')
    const unknown = await request(t.app, '/me/nosuchbrand?lang=en')
    expect(unknown.status).toBe(401)
    expect(await unknown.text()).toContain('Scan the QR code on a product and sign in')
    expect((await request(t.app, '/me/tea/profile')).status).toBe(401)
    expect((await request(t.app, '/me/tea/data.json')).status).toBe(401)
  })

  it('switches between Chinese and English, signed in or not', async () => {
    const { t, me } = await setup()
    const zh = await (await me.get('/me/tea')).text()
    expect(zh).toMatch(/<a href="\/me\/tea\?lang=en"[^>]*>English<\/a>/)
    const en = await (await me.get('/me/tea?lang=en')).text()
    expect(en).toMatch(/<a href="\/me\/tea\?lang=zh-CN"[^>]*>中文<\/a>/)
    const profile = await (await me.get('/me/tea/profile?lang=en')).text()
    expect(profile).toMatch(/<a href="\/me\/tea\/profile\?lang=zh-CN"[^>]*>中文<\/a>/)
    const signedOut = await (await request(t.app, '/me/tea/profile')).text()
    expect(signedOut).toMatch(/<a href="\/me\/tea\/profile\?lang=en"[^>]*>English<\/a>/)
  })

  it('does not open one brand’s account with another brand’s member session', async () => {
    const { t, brand } = await setup()
    const other = await insertBrand(t, { slug: 'coffee' })
    const stranger = insertMember(t, other.brandId, { email: 'x@example.com' })
    const them = await memberClient(t, other.brandId, stranger.id)
    // Their cookie is named for their brand; renamed to ours it still names their brand inside.
    const renamed = them.cookie.replace(memberCookieName(other.brandId), memberCookieName(brand.brandId))
    expect((await request(t.app, '/me/tea', { headers: { cookie: renamed } })).status).toBe(401)
    expect((await them.get('/me/coffee')).status).toBe(200)
  })
})

describe('my profile', () => {
  it('saves name, birthday, gender and region', async () => {
    const { t, me, member } = await setup()
    const res = await me.post('/me/tea/profile?lang=en', {
      name: '  Li Hua ',
      birthday: '1990-02-28',
      gender: 'female',
      regionCode: 'CN-31',
    })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/me/tea/profile?lang=en&saved=profile')
    expect(t.db.select().from(members).where(eq(members.id, member.id)).get()).toMatchObject({
      name: 'Li Hua',
      birthday: '1990-02-28',
      gender: 'female',
      regionCode: 'CN-31',
    })
    const page = await (await me.get('/me/tea/profile?lang=en&saved=profile')).text()
    expect(page).toContain('value="Li Hua"')
    expect(page).toContain('Saved.')
    // Empty fields clear what was there; "prefer not to say" keeps no gender.
    await me.post('/me/tea/profile', { name: '', birthday: '', gender: 'unspecified', regionCode: '' })
    expect(t.db.select().from(members).where(eq(members.id, member.id)).get()).toMatchObject({
      name: null,
      birthday: null,
      gender: null,
      regionCode: null,
    })
  })

  it.each([
    ['a name over 50 characters', { name: 'x'.repeat(51) }, 'at most 50 characters'],
    ['a birthday that is not a date', { birthday: '1990-02-30' }, 'Enter a real date.'],
    ['a birthday in another format', { birthday: '28/02/1990' }, 'Enter a real date.'],
    ['a birthday tomorrow (age below zero)', { birthday: '2026-11-02' }, 'cannot be in the future'],
    ['a gender not offered', { gender: 'robot' }, 'Choose one of the options.'],
    ['a region code over 10 characters', { regionCode: 'CN-31-0000-1' }, 'at most 10 characters'],
  ])('answers 422 for %s and keeps what was typed', async (_name, form, message) => {
    const { t, me, member } = await setup()
    const res = await me.post('/me/tea/profile?lang=en', form)
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain(message)
    expect(html).toMatch(/^<!doctype html>/)
    expect(t.db.select().from(members).where(eq(members.id, member.id)).get()!.name).toBeNull()
  })

  it('accepts a birthday of today (age zero) in China time', async () => {
    const { t, me } = await setup()
    // 2026-11-01 00:00 UTC is already 08:00 on 1 November in China.
    expect((await me.post('/me/tea/profile', { birthday: '2026-11-01' })).status).toBe(303)
    t.clock.advance(16 * 3_600_000)
    expect((await me.post('/me/tea/profile', { birthday: '2026-11-02' })).status).toBe(303)
  })

  it('refuses a POST without the member token, or with another member’s', async () => {
    const { t, brand, me } = await setup()
    expect((await me.post('/me/tea/profile', { _csrf: '', name: 'Evil' })).status).toBe(403)
    const other = await memberClient(t, brand.brandId, insertMember(t, brand.brandId).id)
    expect((await me.post('/me/tea/profile', { _csrf: other.csrfToken!, name: 'Evil' })).status).toBe(403)
    expect(t.db.select().from(members).where(eq(members.name, 'Evil')).all()).toHaveLength(0)
  })
})

describe('consent settings', () => {
  it('records each change as an event with its version and time, and nothing when nothing changed', async () => {
    const { t, me, member } = await setup()
    const events = () =>
      t.db
        .select()
        .from(memberConsents)
        .where(eq(memberConsents.memberId, member.id))
        .orderBy(memberConsents.id)
        .all()
        .map((e) => ({ kind: e.kind, granted: e.granted, version: e.version, at: e.at }))
    const start = t.clock.now()
    expect((await me.post('/me/tea/consents', { marketing: 'yes' })).status).toBe(303)
    t.clock.advance(60_000)
    await me.post('/me/tea/consents', { marketing: 'yes' })
    t.clock.advance(60_000)
    await me.post('/me/tea/consents', {})
    expect(events()).toEqual([
      { kind: 'marketing', granted: true, version: CONSENT_VERSIONS.marketing, at: start },
      { kind: 'marketing', granted: false, version: CONSENT_VERSIONS.marketing, at: start + 120_000 },
    ])
    await me.post('/me/tea/consents', { marketing: 'yes' })
    const page = await (await me.get('/me/tea/profile?lang=en&saved=consents')).text()
    expect(page).toContain('Your consent settings were updated.')
    expect(page).toMatch(/name="marketing" value="yes" checked/)
  })

  it('offers no standing location consent, which nothing reads, and keeps one given earlier as it was', async () => {
    const { t, me, member, brand } = await setup()
    const earlier = { brandId: brand.brandId, memberId: member.id, kind: 'location', version: '2026-11' }
    t.db
      .insert(memberConsents)
      .values({ ...earlier, kind: 'location', granted: true, at: t.clock.now() })
      .run()
    const page = await (await me.get('/me/tea/profile?lang=en')).text()
    expect(page).not.toContain('name="location"')
    expect(page).toContain('each scan page asks separately whether to share your location')
    t.clock.advance(60_000)
    await me.post('/me/tea/consents', { marketing: 'yes', location: 'yes' })
    await me.post('/me/tea/consents', {})
    const location = t.db
      .select()
      .from(memberConsents)
      .where(and(eq(memberConsents.memberId, member.id), eq(memberConsents.kind, 'location')))
      .all()
    expect(location).toHaveLength(1)
    expect(location[0]).toMatchObject({ granted: true, version: '2026-11' })
    const data = (await (await me.get('/me/tea/data.json')).json()) as MemberExport
    expect(data.consents.filter((e) => e.kind === 'location')).toHaveLength(1)
  })
})

describe('download my data', () => {
  it('answers my data as a JSON attachment, nothing of other people, and records the request', async () => {
    const { t, brand, member, me, codeIds } = await setup()
    await me.post('/me/tea/profile', {
      name: 'Li Hua',
      birthday: '1990-02-28',
      gender: 'female',
      regionCode: '',
    })
    await me.post('/me/tea/consents', { marketing: 'yes' })
    insertScan(t, brand.brandId, { codeId: codeIds[0]!, memberId: member.id, lat: 31.23 })
    // Someone else scanned the same code somewhere else: their location is not mine to download.
    insertScan(t, brand.brandId, { codeId: codeIds[0]!, memberId: null, lat: 39.9 })
    claimCode(t.db, {
      brandId: brand.brandId,
      codeId: codeIds[0]!,
      memberId: member.id,
      idempotencyKey: randomBytes(16).toString('base64url'),
      now: t.clock.now(),
    })
    redeem(t, brand.brandId, member.id, 5)

    const res = await me.get('/me/tea/data.json')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="tea-my-data-2026-11-01.json"')
    const data = (await res.json()) as MemberExport
    expect(data.profile).toMatchObject({
      phone: PHONE,
      name: 'Li Hua',
      birthday: '1990-02-28',
      gender: 'female',
    })
    expect(data.consents).toEqual([
      expect.objectContaining({ kind: 'marketing', granted: true, version: CONSENT_VERSIONS.marketing }),
    ])
    expect(data.scans).toHaveLength(1)
    expect(data.scans[0]).toMatchObject({ lat: 31.23, placeEn: 'Shanghai', verdict: 'genuine-first' })
    expect(JSON.stringify(data)).not.toContain('39.9')
    expect(data.claims).toEqual([expect.objectContaining({ codeId: codeIds[0], points: 25 })])
    expect(data.ledger.map((l) => [l.kind, l.amount])).toEqual([
      ['claim', 25],
      ['redemption', -5],
    ])
    expect(data.redemptions).toEqual([
      expect.objectContaining({ reward: 'Tea cup', points: 5, rewardCode: 'ABCDE12345', status: 'issued' }),
    ])
    expect(t.db.select().from(privacyRequests).all()).toEqual([
      expect.objectContaining({ brandId: brand.brandId, memberId: member.id, kind: 'export' }),
    ])
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'member.export')).get()).toMatchObject({
      actorLabel: 'member',
      actorStaffId: null,
      subjectId: String(member.id),
    })
    expect(checkLedger(t.db.$client)).toEqual([])
  })
})

describe('deleting my account', () => {
  it('needs the confirmation box', async () => {
    const { t, me, member } = await setup()
    const res = await me.post('/me/tea/delete?lang=en', {})
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Tick the box to confirm.')
    expect(t.db.select().from(members).where(eq(members.id, member.id)).get()!.deletedAt).toBeNull()
    expect(t.db.select().from(privacyRequests).all()).toHaveLength(0)
  })

  it('erases my personal data, keeps the ledger anonymised and balanced, and ends my session', async () => {
    const { t, brand, member, me, codeIds } = await setup()
    await me.post('/me/tea/profile', {
      name: 'Li Hua',
      birthday: '1990-02-28',
      gender: 'female',
      regionCode: 'CN-31',
    })
    await me.post('/me/tea/consents', { marketing: 'yes' })
    t.db
      .insert(outbox)
      .values({ brandId: brand.brandId, channel: 'sms', recipient: PHONE, text: 'code 123456', createdAt: 0 })
      .run()
    const phoneHash = memberPii(t.masterKey).lookupHash(brand.brandId, PHONE)
    t.db
      .insert(otpChallenges)
      .values({
        brandId: brand.brandId,
        channel: 'sms',
        identifier: phoneHash,
        codeHash: 'x',
        expiresAt: 1,
        createdAt: 0,
      })
      .run()
    claimCode(t.db, {
      brandId: brand.brandId,
      codeId: codeIds[0]!,
      memberId: member.id,
      idempotencyKey: randomBytes(16).toString('base64url'),
      now: t.clock.now(),
    })
    const linesBefore = t.db.select().from(ledgerEntries).all()

    t.clock.advance(5_000)
    const res = await me.post('/me/tea/delete?lang=en', { confirm: 'yes' })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/me/tea/deleted?lang=en')
    expect(cookieFrom(res, memberCookieName(brand.brandId))).toBe('')
    expect(await (await request(t.app, '/me/tea/deleted?lang=en')).text()).toContain(
      'Your personal data was erased',
    )

    expect(t.db.select().from(members).where(eq(members.id, member.id)).get()).toMatchObject({
      phone: null,
      email: null,
      phoneHash: null,
      emailHash: null,
      phoneEnc: null,
      emailEnc: null,
      phoneHint: null,
      emailHint: null,
      name: null,
      birthday: null,
      gender: null,
      regionCode: null,
      deletedAt: t.clock.now(),
    })
    // Consents stay as the record of what was agreed; the ledger keeps its lines against the bare id.
    expect(
      t.db.select().from(memberConsents).where(eq(memberConsents.memberId, member.id)).all(),
    ).toHaveLength(1)
    expect(t.db.select().from(ledgerEntries).all()).toEqual(linesBefore)
    expect(balanceOf(t.db, brand.brandId, member.id)).toBe(25)
    expect(checkLedger(t.db.$client)).toEqual([])
    expect(t.db.select().from(outbox).where(eq(outbox.recipient, PHONE)).all()).toHaveLength(0)
    expect(
      t.db.select().from(otpChallenges).where(eq(otpChallenges.identifier, phoneHash)).all(),
    ).toHaveLength(0)
    expect(t.db.select().from(privacyRequests).where(eq(privacyRequests.kind, 'erasure')).all()).toHaveLength(
      1,
    )
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'member.erase')).get()!
    expect(audit).toMatchObject({ actorLabel: 'member', subjectType: 'member', subjectId: String(member.id) })
    expect(JSON.stringify(audit)).not.toContain('138')

    // The old cookie no longer opens anything, even if the browser kept it.
    expect((await me.get('/me/tea')).status).toBe(401)
    expect((await me.get('/me/tea/data.json')).status).toBe(401)
    expect((await me.post('/me/tea/delete', { confirm: 'yes' })).status).toBe(401)
    // The same phone can join again, as a new member with nothing of the old one.
    const again = insertMember(t, brand.brandId, { phone: PHONE })
    expect(again.id).not.toBe(member.id)
    expect(balanceOf(t.db, brand.brandId, again.id)).toBe(0)
    expect(
      t.db
        .select()
        .from(members)
        .where(and(eq(members.brandId, brand.brandId), eq(members.phoneHash, phoneHash)))
        .orderBy(desc(members.id))
        .all(),
    ).toHaveLength(1)
  })

  it('unlinks my scans from me and erases the precise location I shared, keeping the coarse region', async () => {
    const { t, brand, member, me, codeIds } = await setup()
    const code = t.db.select().from(codes).where(eq(codes.id, codeIds[0]!)).get()!
    const phone = scanPhone(t)
    await phone.signInAs(brand.brandId, member.id)
    await phone.scan(assembleToken(code.kid, code.serial, code.tag))
    expect((await phone.locate({ lat: 31.23, lon: 121.47, accuracyM: 15 })).res.status).toBe(200)
    const someoneElse = insertMember(t, brand.brandId, { phone: '+8613900139000' })
    const theirs = insertScan(t, brand.brandId, { codeId: codeIds[1]!, memberId: someoneElse.id, lat: 30.5 })
    const mine = t.db.select().from(scans).where(eq(scans.id, phone.scanId)).get()!
    expect(mine).toMatchObject({ memberId: member.id, lat: 31.23, accuracyM: 15 })

    expect((await me.post('/me/tea/delete?lang=en', { confirm: 'yes' })).status).toBe(303)

    expect(t.db.select().from(scans).where(eq(scans.id, phone.scanId)).get()).toEqual({
      ...mine,
      memberId: null,
      lat: null,
      lon: null,
      accuracyM: null,
      userAgent: '',
    })
    // Kept for the brand's figures: the device (verdicts count distinct devices), the region and
    // when the location was shared (so the scan cannot be located again).
    expect(mine.regionCode).not.toBeNull()
    expect(mine.locatedAt).not.toBeNull()
    expect(t.db.select().from(scans).where(eq(scans.memberId, member.id)).all()).toHaveLength(0)
    expect(t.db.select().from(scans).where(eq(scans.id, theirs.id)).get()).toEqual(theirs)
  })

  it('signs out, and keeps the language the member reads', async () => {
    const { me, brand } = await setup()
    const page = await (await me.get('/me/tea?lang=en')).text()
    expect(page).toContain('action="/me/tea/sign-out?lang=en"')
    const res = await me.post('/me/tea/sign-out?lang=en', {})
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe('/me/tea?lang=en')
    expect(cookieFrom(res, memberCookieName(brand.brandId))).toBe('')
  })
})
