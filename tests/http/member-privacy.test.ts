import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { eq } from 'drizzle-orm'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.tsx'
import type { AppDeps } from '../../src/app-deps.ts'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { createMintRunner } from '../../src/batches/mint-runner.ts'
import { fixedClock } from '../../src/clock.ts'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { Keyring } from '../../src/codes/keyring.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { memberPii } from '../../src/members/member-pii.ts'
import { members, otpChallenges, outbox } from '../../src/members/member-schema.ts'
import { OTP_RESEND_AFTER_MS } from '../../src/members/member-store.ts'
import type { CodeSender, OutgoingCode } from '../../src/members/senders/code-sender.ts'
import { balanceOf, checkLedger } from '../../src/points/ledger-store.ts'
import { privacyRequests } from '../../src/points/points-schema.ts'
import { fileDatabases } from '../support/file-database.ts'
import { consumerBrowser, insertMember, memberClient } from '../support/member-session.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  insertStaff,
  PUBLIC_BASE_URL,
  START,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

const E164 = '+8613800138000'
const fileDatabase = fileDatabases('onecode-privacy-')

/**
 * The real app over a database file (so its bytes can be read) with a code sender that hands the
 * codes to the test, as an SMS provider would: the development outbox, which keeps recipients in
 * plain text on purpose, is not in play.
 */
function fileApp(): { t: TestApp; file: string; sent: OutgoingCode[] } {
  const { db, file } = fileDatabase()
  const clock = fixedClock(START)
  const keyring = new Keyring()
  const masterKey = new Uint8Array(randomBytes(32))
  const logger = pino({ level: 'silent' })
  const mintRunner = createMintRunner({ db, keyring, clock, logger })
  const sent: OutgoingCode[] = []
  const codeSender: CodeSender = {
    name: 'test',
    send: async (msg) => {
      sent.push(msg)
    },
  }
  const deps: AppDeps = {
    db,
    clock,
    keyring,
    masterKey,
    logger,
    mintRunner,
    codeSender,
    config: { publicBaseUrl: PUBLIC_BASE_URL, cookieSecure: false },
  }
  return { t: { app: createApp(deps), db, clock, keyring, masterKey, mintRunner, deps }, file, sent }
}

async function brandWithCodes(t: TestApp, slug = 'tea', quantity = 8) {
  const brand = await insertBrand(t, { slug })
  const product = insertProduct(t, brand.brandId, { sku: `${slug.toUpperCase()}-1`, points: 10 })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity })
  activateCodes(brandDb(t.db, brand.brandId), { staffId: null, label: 'test' }, batch.id, null, t.clock.now())
  const tokens = t.db
    .select()
    .from(codes)
    .where(eq(codes.batchId, batch.id))
    .orderBy(codes.seq)
    .all()
    .map((r) => assembleToken(r.kid, r.serial, r.tag))
  return { brand, tokens }
}

/**
 * A new phone (own cookie jar) that scans `token` and signs in with `typed` exactly as typed, taking
 * the code from `codeOf`; the claim completes after sign-in. Answers the verify response's HTML.
 */
async function signUpOnScan(t: TestApp, token: string, typed: string, codeOf: () => string) {
  const phone = consumerBrowser(t.app)
  const page = await (
    await phone.get(new URL(shortCodeUrl('http://localhost', token)).pathname, { 'accept-language': 'en' })
  ).text()
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!
  const scanId = /\/scans\/(\d+)\//.exec(page)![1]
  const key = randomBytes(16).toString('base64url')
  const post = (step: string, form: Record<string, string>) =>
    phone.post(`/scans/${scanId}/${step}?lang=en`, { _csrf: csrf, key, ...form }, { htmx: true })
  const started = await post('sign-in', { identifier: typed })
  expect(started.status).toBe(200)
  const done = await post('verify', { identifier: typed, code: codeOf(), acceptTerms: 'yes' })
  expect(done.status).toBe(200)
  return { html: await done.text(), cookie: phone.cookie() }
}

describe('phone numbers and emails are encrypted at rest', () => {
  it('keeps no plain phone digits or email in the database file after sign-up', async () => {
    const { t, file, sent } = fileApp()
    const { brand, tokens } = await brandWithCodes(t)
    const code = () => sent.at(-1)!.code
    await signUpOnScan(t, tokens[0]!, '138 0013 8000', code)
    await signUpOnScan(t, tokens[1]!, 'Li.Hua@Example.com', code)
    // What the SMS or mail provider receives is the normalised contact, in full: it has to deliver.
    expect(sent.map((m) => m.to)).toEqual([E164, 'li.hua@example.com'])

    const raw = t.db.$client.prepare('SELECT * FROM members ORDER BY id').all() as Record<string, unknown>[]
    expect(raw).toHaveLength(2)
    const pii = memberPii(t.masterKey)
    for (const row of raw) {
      expect(row.phone).toBeNull()
      expect(row.email).toBeNull()
      expect(JSON.stringify(row)).not.toContain('13800138000')
      expect(JSON.stringify(row)).not.toContain('li.hua@')
    }
    expect(raw[0]).toMatchObject({
      phone_hash: pii.lookupHash(brand.brandId, E164),
      phone_hint: '+86138****8000',
    })
    expect(pii.open(raw[0]!.phone_enc as string)).toBe(E164)
    expect(raw[1]).toMatchObject({ email_hint: 'l***@example.com' })
    // The sign-in challenges name the phone and email by their keyed hash too.
    const identifiers = t.db.select({ identifier: otpChallenges.identifier }).from(otpChallenges).all()
    expect(identifiers.map((c) => c.identifier).sort()).toEqual(
      [pii.lookupHash(brand.brandId, E164), pii.lookupHash(brand.brandId, 'li.hua@example.com')].sort(),
    )
    expect(t.db.select().from(outbox).all()).toEqual([])

    t.db.$client.pragma('wal_checkpoint(TRUNCATE)')
    const bytes = readFileSync(file)
    for (const needle of ['13800138000', '138 0013 8000', 'li.hua@example.com', 'Li.Hua@Example.com']) {
      expect(bytes.includes(needle)).toBe(false)
    }
    t.db.$client.close()
  })

  it('gives the same phone a different keyed hash in another brand, and two members', async () => {
    const { t, sent } = fileApp()
    const tea = await brandWithCodes(t, 'tea', 2)
    const coffee = await brandWithCodes(t, 'coffee', 2)
    const code = () => sent.at(-1)!.code
    await signUpOnScan(t, tea.tokens[0]!, '13800138000', code)
    await signUpOnScan(t, coffee.tokens[0]!, '13800138000', code)
    const rows = t.db.select().from(members).all()
    expect(rows.map((r) => r.brandId).sort()).toEqual([tea.brand.brandId, coffee.brand.brandId].sort())
    expect(rows[0]!.phoneHash).not.toBe(rows[1]!.phoneHash)
    t.db.$client.close()
  })
})

describe('one person is one member, however they type their phone or email', () => {
  it('signs four spellings of one mobile number in to the same member', async () => {
    const { t, sent } = fileApp()
    const { brand, tokens } = await brandWithCodes(t)
    const code = () => sent.at(-1)!.code
    const spellings = ['+86 138 0013 8000', '13800138000', '138-0013-8000', '+8613800138000']
    for (const [i, typed] of spellings.entries()) {
      const { html } = await signUpOnScan(t, tokens[i]!, typed, code)
      expect(html).toContain(`Your balance: ${10 * (i + 1)}`)
      t.clock.advance(OTP_RESEND_AFTER_MS + 1_000)
    }
    const rows = t.db.select().from(members).all()
    expect(rows).toHaveLength(1)
    expect(balanceOf(t.db, brand.brandId, rows[0]!.id)).toBe(40)
    expect(sent.every((m) => m.to === E164)).toBe(true)
    expect(checkLedger(t.db.$client)).toEqual([])
    t.db.$client.close()
  })

  it('signs an email in any case, with stray spaces, to the same member', async () => {
    const { t, sent } = fileApp()
    const { tokens } = await brandWithCodes(t)
    const code = () => sent.at(-1)!.code
    await signUpOnScan(t, tokens[0]!, 'Foo@Example.COM ', code)
    t.clock.advance(OTP_RESEND_AFTER_MS + 1_000)
    const again = await signUpOnScan(t, tokens[1]!, 'foo@example.com', code)
    expect(again.html).toContain('Your balance: 20')
    expect(t.db.select().from(members).all()).toHaveLength(1)
    expect(sent.map((m) => m.to)).toEqual(['foo@example.com', 'foo@example.com'])
    t.db.$client.close()
  })
})

describe('a member’s own data', () => {
  async function memberSetup() {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    const member = insertMember(t, brand.brandId, { phone: E164 })
    const me = await memberClient(t, brand.brandId, member.id)
    return { t, brand, member, me }
  }

  it('shows my own phone in full on my profile and masked on my account page', async () => {
    const { me } = await memberSetup()
    const profile = await (await me.get('/me/tea/profile?lang=en')).text()
    expect(profile).toContain(`data-contact="true">${E164}<`)
    const account = await (await me.get('/me/tea?lang=en')).text()
    expect(account).toContain('+86138****8000')
    expect(account).not.toContain(E164)
  })

  it('puts my phone and email, decrypted, in the download of my data', async () => {
    const { t, brand } = await memberSetup()
    const both = insertMember(t, brand.brandId, { phone: '+8613900139000', email: 'li.hua@example.com' })
    const me = await memberClient(t, brand.brandId, both.id)
    const data = (await (await me.get('/me/tea/data.json')).json()) as { profile: Record<string, unknown> }
    expect(data.profile).toMatchObject({ phone: '+8613900139000', email: 'li.hua@example.com' })
  })

  it('erases the keyed hash, the sealed value and the hint when I delete my account', async () => {
    const { t, brand, member, me } = await memberSetup()
    expect((await me.post('/me/tea/delete?lang=en', { confirm: 'yes' })).status).toBe(303)
    expect(t.db.select().from(members).where(eq(members.id, member.id)).get()).toMatchObject({
      phone: null,
      phoneHash: null,
      phoneEnc: null,
      phoneHint: null,
      email: null,
      emailHash: null,
      emailEnc: null,
      emailHint: null,
    })
    // The same number may join again: the unique keyed hash was freed with the erasure.
    const again = insertMember(t, brand.brandId, { phone: E164 })
    expect(again.id).not.toBe(member.id)
  })
})

describe('what staff see of phone numbers and emails', () => {
  it('shows the owner the full phone in a lookup and an analyst only the masked hint', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    const member = insertMember(t, brand.brandId, { phone: E164, email: 'li.hua@example.com' })
    const owner = await signInAs(t, brand.ownerId)
    const analyst = await signInAs(
      t,
      (await insertStaff(t, brand.brandId, { role: 'analyst', email: 'ana@tea.test' })).id,
    )
    const own = await (await owner.get('/admin/members?q=138-0013-8000')).text()
    expect(own).toContain(`data-member="${member.id}"`)
    expect(own).toContain(E164)
    const theirs = await (await analyst.get('/admin/members?q=%2B86%20138%200013%208000')).text()
    expect(theirs).toContain(`data-member="${member.id}"`)
    expect(theirs).toContain('+86138****8000')
    expect(theirs).not.toContain(E164)
    expect(theirs).not.toContain('li.hua@example.com')
    const byEmail = await (await analyst.get('/admin/members?q=LI.HUA%40example.com')).text()
    expect(byEmail).toContain(`data-member="${member.id}"`)
    expect(byEmail).toContain('l***@example.com')
  })

  it('lists both data exports and erasures for owners, without phone or email, and not for analysts', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    const exporter = insertMember(t, brand.brandId, { phone: E164 })
    const leaver = insertMember(t, brand.brandId, { email: 'li.hua@example.com' })
    await (await memberClient(t, brand.brandId, exporter.id)).get('/me/tea/data.json')
    await (await memberClient(t, brand.brandId, leaver.id)).post('/me/tea/delete', { confirm: 'yes' })
    expect(
      t.db
        .select()
        .from(privacyRequests)
        .all()
        .map((r) => r.kind),
    ).toEqual(['export', 'erasure'])

    const owner = await signInAs(t, brand.ownerId)
    const res = await owner.get('/admin/privacy')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('data-request="export"')
    expect(html).toContain('data-request="erasure"')
    expect(html).toContain(`href="/admin/members/${exporter.id}"`)
    expect(html).toContain(`href="/admin/members/${leaver.id}"`)
    expect(html).not.toContain(E164)
    expect(html).not.toContain('li.hua')
    const analyst = await signInAs(
      t,
      (await insertStaff(t, brand.brandId, { role: 'analyst', email: 'ana@tea.test' })).id,
    )
    expect((await analyst.get('/admin/privacy')).status).toBe(403)
  })
})
