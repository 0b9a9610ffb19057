import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { memberConsents } from '../../src/members/member-schema.ts'
import { memberTags } from '../../src/members/programme-schema.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import {
  DAY,
  insertListMember,
  insertTiers,
  type ListMemberInput,
  memberIdsIn,
} from '../support/member-list-fixture.ts'
import { buildTestApp, insertBrand, insertStaff, locationOf, START, signInAs } from '../support/test-app.ts'

const PHONE = '+8613800138000'
const LEGACY_PHONE = '+8613900139000'
const EMAIL = 'wang.wei@example.com'

/**
 * One brand with a cast of members that differ in every filter, an owner, an analyst and an
 * operator; another brand with a member who shares the phone and the 'vip' tag.
 */
async function cast() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const tier = insertTiers(t.db, brand.brandId, ['Silver', 'Gold'])
  const add = (input: ListMemberInput) => insertListMember(t.db, t.masterKey, brand.brandId, input, START)
  const a = add({
    name: 'Li Hua',
    phone: PHONE,
    createdAt: Date.UTC(2026, 0, 10),
    tierId: tier.Gold,
    activity: {
      lastScanAt: START - 5 * DAY,
      balance: 500,
      pointsEarned: 900,
      lifecycle: 'active',
      preferredRegion: 'CN-GD',
    },
    autoTags: {
      'lifecycle:active': 'last scan 2026-10-27, 5 days ago; active within 90 days',
      'region:CN-GD': 'most scans in Guangdong: 12 of 15',
    },
    manualTags: ['vip'],
    manualBy: brand.ownerId,
  })
  // 00:30 on 1 April in China, still 31 March in UTC.
  const b = add({
    name: '王伟',
    email: EMAIL,
    createdAt: Date.UTC(2026, 2, 31, 16, 30),
    tierId: tier.Silver,
    activity: {
      lastScanAt: START - 140 * DAY,
      balance: 50,
      pointsEarned: 100,
      lifecycle: 'dormant',
      preferredRegion: 'CN-BJ',
    },
    autoTags: { 'lifecycle:dormant': 'last scan 140 days ago; dormant after 90 days' },
  })
  // 23:30 on 31 March in China; a legacy row with the phone in the plain column, never rolled up.
  const c = add({ name: 'Chen Jing', legacyPhone: LEGACY_PHONE, createdAt: Date.UTC(2026, 2, 31, 15, 30) })
  const d = add({
    name: 'Sam',
    email: 'sam@example.com',
    createdAt: Date.UTC(2026, 5, 1),
    tierId: null,
    activity: {
      lastScanAt: Date.UTC(2026, 5, 2),
      balance: 10,
      pointsEarned: 0,
      lifecycle: 'churned',
      preferredRegion: 'US',
    },
  })
  const erased = add({ createdAt: Date.UTC(2026, 1, 1), deletedAt: START - DAY, manualTags: ['vip'] })
  const merged = add({
    name: 'Li Hua (old)',
    createdAt: Date.UTC(2026, 1, 2),
    mergedIntoId: a.id,
    manualTags: ['vip'],
  })
  const other = await insertBrand(t, { slug: 'coffee' })
  const stranger = insertListMember(t.db, t.masterKey, other.brandId, {
    name: 'Li Hua',
    phone: PHONE,
    createdAt: Date.UTC(2026, 0, 10),
    manualTags: ['vip'],
  })
  const owner = await signInAs(t, brand.ownerId)
  const analyst = await signInAs(
    t,
    (await insertStaff(t, brand.brandId, { role: 'analyst', email: 'ana@tea.test' })).id,
  )
  const operator = await signInAs(
    t,
    (await insertStaff(t, brand.brandId, { role: 'operator', email: 'op@tea.test' })).id,
  )
  return { t, brand, tier, a, b, c, d, erased, merged, stranger, owner, analyst, operator }
}

type Cast = Awaited<ReturnType<typeof cast>>

async function idsOf(client: Cast['owner'], query: string): Promise<number[]> {
  const res = await client.get(`/admin/members?${query}`)
  expect(res.status, query).toBe(200)
  return memberIdsIn(await res.text())
}

describe('the members list', () => {
  it('lists current members newest first, without erased or merged ones unless asked', async () => {
    const { owner, a, b, c, d, erased, merged } = await cast()
    expect(await idsOf(owner, '')).toEqual([d.id, b.id, c.id, a.id])
    expect(await idsOf(owner, 'show=all')).toEqual([d.id, b.id, c.id, merged.id, erased.id, a.id])
    const html = await (await owner.get('/admin/members?show=all')).text()
    expect(html).toContain(`merged into #${a.id}`)
    expect(html).toContain('erased')
  })

  it('filters by tier, and by no tier at all', async () => {
    const { owner, tier, a, b, c, d } = await cast()
    expect(await idsOf(owner, `tier=${tier.Gold}`)).toEqual([a.id])
    expect(await idsOf(owner, `tier=${tier.Silver}`)).toEqual([b.id])
    expect(await idsOf(owner, 'tier=none')).toEqual([d.id, c.id])
  })

  it('filters by a manual or an automatic tag, within the brand only', async () => {
    const { owner, a, b, erased, merged, stranger } = await cast()
    expect(await idsOf(owner, 'tag=vip')).toEqual([a.id])
    expect(await idsOf(owner, 'tag=vip&show=all')).toEqual([merged.id, erased.id, a.id])
    expect(await idsOf(owner, 'tag=lifecycle%3Adormant')).toEqual([b.id])
    expect(await idsOf(owner, 'tag=nobody-has-this')).toEqual([])
    expect(await idsOf(owner, 'tag=vip&show=all')).not.toContain(stranger.id)
  })

  it('filters by lifecycle stage', async () => {
    const { owner, a, b, d } = await cast()
    expect(await idsOf(owner, 'lifecycle=active')).toEqual([a.id])
    expect(await idsOf(owner, 'lifecycle=dormant')).toEqual([b.id])
    expect(await idsOf(owner, 'lifecycle=churned')).toEqual([d.id])
    expect(await idsOf(owner, 'lifecycle=new')).toEqual([])
  })

  it('filters by the region members scan in most, a country covering its provinces', async () => {
    const { owner, a, b, d } = await cast()
    expect(await idsOf(owner, 'region=CN-GD')).toEqual([a.id])
    expect(await idsOf(owner, 'region=cn')).toEqual([b.id, a.id])
    expect(await idsOf(owner, 'region=US')).toEqual([d.id])
  })

  it('filters by join date in China time, both ends included', async () => {
    const { owner, a, b, c, d } = await cast()
    expect(await idsOf(owner, 'joinedFrom=2026-04-01')).toEqual([d.id, b.id])
    expect(await idsOf(owner, 'joinedTo=2026-03-31')).toEqual([c.id, a.id])
    expect(await idsOf(owner, 'joinedFrom=2026-03-31&joinedTo=2026-03-31')).toEqual([c.id])
    expect(await idsOf(owner, 'joinedFrom=2026-01-10&joinedTo=2026-01-10')).toEqual([a.id])
  })

  it('filters by the last scan date', async () => {
    const { owner, a, b, d } = await cast()
    // START − 5 days is 2026-10-27 08:00 in China.
    expect(await idsOf(owner, 'scannedFrom=2026-10-27')).toEqual([a.id])
    expect(await idsOf(owner, 'scannedFrom=2026-10-28')).toEqual([])
    expect(await idsOf(owner, 'scannedTo=2026-10-26')).toEqual([d.id, b.id])
    expect(await idsOf(owner, 'scannedFrom=2026-06-01&scannedTo=2026-06-10')).toEqual([d.id])
    // START − 140 days is 2026-06-14 08:00 in China.
    expect(await idsOf(owner, 'scannedFrom=2026-06-14&scannedTo=2026-06-14')).toEqual([b.id])
  })

  it('filters by points earned and balance, at their boundaries', async () => {
    const { owner, a, b, d } = await cast()
    expect(await idsOf(owner, 'earnedMin=100')).toEqual([b.id, a.id])
    expect(await idsOf(owner, 'earnedMin=101')).toEqual([a.id])
    expect(await idsOf(owner, 'balanceMin=10')).toEqual([d.id, b.id, a.id])
    expect(await idsOf(owner, 'balanceMin=51')).toEqual([a.id])
  })

  it('combines filters: all of them must hold', async () => {
    const { owner, a } = await cast()
    expect(await idsOf(owner, 'tag=vip&joinedTo=2026-02-28&region=CN')).toEqual([a.id])
    expect(await idsOf(owner, 'tag=vip&joinedFrom=2026-02-28')).toEqual([])
  })

  it('sorts by join date either way, last scan, balance and points earned; never rolled up sorts last', async () => {
    const { owner, a, b, c, d } = await cast()
    expect(await idsOf(owner, 'sort=joined-asc')).toEqual([a.id, c.id, b.id, d.id])
    expect(await idsOf(owner, 'sort=last-scan')).toEqual([a.id, b.id, d.id, c.id])
    expect(await idsOf(owner, 'sort=balance')).toEqual([a.id, b.id, d.id, c.id])
    expect(await idsOf(owner, 'sort=earned')).toEqual([a.id, b.id, d.id, c.id])
  })

  it('pages fifty at a time with the total, and keeps the filters in the pager links', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    const ids = Array.from(
      { length: 120 },
      (_, i) =>
        insertListMember(t.db, t.masterKey, brand.brandId, {
          createdAt: START - i * 60_000,
          manualTags: i % 2 === 0 ? ['even'] : [],
        }).id,
    )
    const owner = await signInAs(t, brand.ownerId)
    const first = await (await owner.get('/admin/members')).text()
    expect(first).toContain('data-total="120"')
    expect(first).toContain('Page 1 of 3')
    expect(memberIdsIn(first)).toEqual(ids.slice(0, 50))
    expect(first).toContain('href="/admin/members?page=2"')
    expect(memberIdsIn(await (await owner.get('/admin/members?page=3')).text())).toEqual(ids.slice(100))
    // Past the end shows the last page.
    expect(memberIdsIn(await (await owner.get('/admin/members?page=99')).text())).toEqual(ids.slice(100))
    const tagged = await (await owner.get('/admin/members?tag=even&sort=joined-asc')).text()
    expect(tagged).toContain('data-total="60"')
    expect(tagged).toContain('href="/admin/members?tag=even&amp;sort=joined-asc&amp;page=2"')
    const second = await (await owner.get('/admin/members?tag=even&sort=joined-asc&page=2')).text()
    expect(memberIdsIn(second)).toEqual(
      ids
        .filter((_, i) => i % 2 === 0)
        .reverse()
        .slice(50),
    )
    expect(second).toContain('href="/admin/members?tag=even&amp;sort=joined-asc"')
  })

  it('pages an activity sort across members with and without a roll-up, each exactly once', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    // 55 rolled-up members (last scans 1…55 days ago) and 60 who joined since the last run.
    const scanned = Array.from(
      { length: 55 },
      (_, i) =>
        insertListMember(t.db, t.masterKey, brand.brandId, {
          createdAt: START - 400 * DAY,
          activity: { lastScanAt: START - (i + 1) * DAY, balance: 1000 - i },
        }).id,
    )
    const fresh = Array.from(
      { length: 60 },
      (_, i) => insertListMember(t.db, t.masterKey, brand.brandId, { createdAt: START - i * 60_000 }).id,
    )
    const owner = await signInAs(t, brand.ownerId)
    const expected = [...scanned, ...[...fresh].sort((x, y) => y - x)]
    for (const sort of ['last-scan', 'balance']) {
      const seen: number[] = []
      for (const page of [1, 2, 3]) seen.push(...(await idsOf(owner, `sort=${sort}&page=${page}`)))
      expect(seen, sort).toEqual(expected)
    }
  })

  it('answers htmx with the results alone, pushing the canonical URL, and Vary: HX-Request', async () => {
    const { owner, a } = await cast()
    const res = await owner.get('/admin/members?q=&tag=vip&tier=&joinedFrom=&sort=joined', {
      'hx-request': 'true',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('vary')).toContain('HX-Request')
    expect(res.headers.get('hx-push-url')).toBe('/admin/members?tag=vip&sort=joined')
    const html = await res.text()
    expect(html).not.toContain('<html')
    expect(html).toMatch(/^<section id="member-results"/)
    expect(memberIdsIn(html)).toEqual([a.id])
    const page = await owner.get('/admin/members?tag=vip')
    expect(page.headers.get('vary')).toContain('HX-Request')
    expect(await page.text()).toMatch(/^<!doctype html>/)
  })

  it('refuses a malformed filter with 422 and says which field, keeping what was typed', async () => {
    const { owner } = await cast()
    for (const [query, message] of [
      ['joinedFrom=2026-13-01', 'joined from: enter a day as YYYY-MM-DD'],
      ['joinedFrom=2026-05-01&joinedTo=2026-04-01', 'joined: the first day is after the last day'],
      ['scannedFrom=2026-05-01&scannedTo=2026-04-01', 'last scan: the first day is after the last day'],
      ['tier=gold', 'tier: choose a tier from the list'],
      ['lifecycle=asleep', 'lifecycle: choose new, active, dormant or churned'],
      ['earnedMin=-5', 'points earned at least: at least 0'],
      ['balanceMin=lots', 'balance at least: enter a whole number of points'],
      ['sort=name', 'sort: choose an order from the list'],
      ['region=Guangdong', 'region: choose a region from the list'],
      ['segment=999', 'That segment does not exist'],
    ] as const) {
      const res = await owner.get(`/admin/members?${query}`)
      expect(res.status, query).toBe(422)
      const html = await res.text()
      expect(html, query).toContain(message)
      expect(memberIdsIn(html), query).toEqual([])
    }
    expect(await (await owner.get('/admin/members?joinedFrom=2026-13-01')).text()).toContain(
      'value="2026-13-01"',
    )
  })

  it('is for owners and analysts only', async () => {
    const { operator, a } = await cast()
    expect((await operator.get('/admin/members')).status).toBe(403)
    expect((await operator.get(`/admin/members/${a.id}`)).status).toBe(403)
    // The tag forms answer with the member's page on bad input: they are no side door to it.
    for (const [path, tag] of [
      [`/admin/members/${a.id}/tags`, 'a b'],
      [`/admin/members/${a.id}/tags`, 'fresh'],
      [`/admin/members/${a.id}/tags/remove`, 'vip'],
    ] as const) {
      const res = await operator.post(path, { tag })
      expect(res.status, `${path} ${tag}`).toBe(403)
      expect(await res.text()).not.toContain('138')
    }
  })
})

describe('searching members', () => {
  it('finds a member by phone however it is typed, by its keyed hash, in this brand only', async () => {
    const { owner, a, stranger } = await cast()
    for (const typed of [
      '138 0013 8000',
      '+86 138-0013-8000',
      '13800138000',
      '0086 138 0013 8000',
      '(138) 0013 8000',
    ]) {
      const ids = await idsOf(owner, `q=${encodeURIComponent(typed)}`)
      expect(ids, typed).toEqual([a.id])
      expect(ids, typed).not.toContain(stranger.id)
    }
  })

  it('finds a row still in the legacy plain column, and by email whatever its case', async () => {
    const { owner, b, c } = await cast()
    expect(await idsOf(owner, `q=${encodeURIComponent('139 0013 9000')}`)).toEqual([c.id])
    expect(await idsOf(owner, `q=${encodeURIComponent('Wang.Wei@Example.COM')}`)).toEqual([b.id])
    const none = await (await owner.get('/admin/members?q=nobody%40example.com')).text()
    expect(none).toContain('No member with this phone or email.')
  })

  it('finds members by a part of their name, in any script, with LIKE wildcards taken literally', async () => {
    const { owner, a, b } = await cast()
    expect(await idsOf(owner, 'q=hua')).toEqual([a.id])
    expect(await idsOf(owner, `q=${encodeURIComponent('王')}`)).toEqual([b.id])
    expect(await idsOf(owner, 'q=%25')).toEqual([])
    expect(await idsOf(owner, 'q=_')).toEqual([])
    expect(await (await owner.get('/admin/members?q=zzz')).text()).toContain('No member with this name.')
  })

  it('combines a search with the filters', async () => {
    const { owner, a } = await cast()
    expect(await idsOf(owner, 'q=li&tag=vip')).toEqual([a.id])
    expect(await idsOf(owner, 'q=li&tag=vip&show=all')).toEqual(expect.arrayContaining([a.id]))
    expect(await idsOf(owner, 'q=li&lifecycle=dormant')).toEqual([])
  })
})

describe('contacts in the list', () => {
  it('shows phones and emails in full to owners and masked to analysts, legacy rows too', async () => {
    const { owner, analyst } = await cast()
    const own = await (await owner.get('/admin/members')).text()
    expect(own).toContain(PHONE)
    expect(own).toContain(EMAIL)
    expect(own).toContain(LEGACY_PHONE)
    const theirs = await (await analyst.get('/admin/members')).text()
    expect(theirs).toContain('+86138****8000')
    expect(theirs).toContain('w***@example.com')
    expect(theirs).toContain('+86139****9000')
    for (const secret of [PHONE, EMAIL, LEGACY_PHONE]) expect(theirs).not.toContain(secret)
  })
})

describe('the member page', () => {
  it('shows tier, balance, consents now and before, and every tag with how it was computed or who added it', async () => {
    const { t, brand, owner, a } = await cast()
    t.db
      .insert(memberConsents)
      .values([
        {
          brandId: brand.brandId,
          memberId: a.id,
          kind: 'marketing',
          version: '2026-11',
          granted: true,
          at: START - 2 * DAY,
        },
        {
          brandId: brand.brandId,
          memberId: a.id,
          kind: 'marketing',
          version: '2026-11',
          granted: false,
          at: START - DAY,
        },
        // From the standing location setting that profiles no longer offer (each scan asks).
        {
          brandId: brand.brandId,
          memberId: a.id,
          kind: 'location',
          version: '2026-11',
          granted: true,
          at: START,
        },
      ])
      .run()
    const html = await (await owner.get(`/admin/members/${a.id}`)).text()
    expect(html).toContain('data-tier="Gold"')
    expect(html).toContain('data-auto-tag="lifecycle:active"')
    expect(html).toContain('last scan 2026-10-27, 5 days ago; active within 90 days')
    expect(html).toContain('data-manual-tag="vip"')
    expect(html).toContain(`added by Owner of tea (${brand.ownerEmail})`)
    expect(html).toMatch(/data-consent-now="marketing"><td>marketing<\/td><td>withdrawn<\/td>/)
    expect(html).toMatch(/data-consent-now="terms"><td>terms<\/td><td>never asked<\/td>/)
    expect([...html.matchAll(/data-consent="marketing"/g)]).toHaveLength(2)
    expect(html).not.toContain('data-consent-now="location"')
    expect([...html.matchAll(/data-consent="location"/g)]).toHaveLength(1)
  })

  it('links owners to merging a duplicate, and not analysts', async () => {
    const { owner, analyst, a } = await cast()
    expect(await (await owner.get(`/admin/members/${a.id}`)).text()).toContain(
      `href="/admin/members/${a.id}/merge"`,
    )
    expect(await (await analyst.get(`/admin/members/${a.id}`)).text()).not.toContain('/merge"')
  })

  it('says a merged member was merged, and into whom, without forms that change them', async () => {
    const { owner, a, merged } = await cast()
    const html = await (await owner.get(`/admin/members/${merged.id}`)).text()
    expect(html).toContain(`href="/admin/members/${a.id}"`)
    expect(html).toContain('was merged into')
    expect(html).not.toContain(`action="/admin/members/${merged.id}/`)
  })
})

describe('manual tags', () => {
  it('adds a tag with the staff member recorded, audited, and shows it', async () => {
    const { t, brand, analyst, b } = await cast()
    const res = await analyst.post(`/admin/members/${b.id}/tags`, { tag: ' 团购-2026 ' })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe(`/admin/members/${b.id}?notice=tag-added#tags`)
    const row = t.db
      .select()
      .from(memberTags)
      .where(and(eq(memberTags.memberId, b.id), eq(memberTags.tag, '团购-2026')))
      .get()!
    expect(row).toMatchObject({ source: 'manual', brandId: brand.brandId })
    expect(row.createdByStaffId).not.toBeNull()
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'member.tag.add')).all()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      subjectType: 'member',
      subjectId: String(b.id),
      actorLabel: 'ana@tea.test',
    })
    expect(audit[0]!.detail).toEqual({ tag: '团购-2026' })
    const page = await (await analyst.get(`/admin/members/${b.id}?notice=tag-added`)).text()
    expect(page).toContain('Tag added.')
    expect(page).toContain('data-manual-tag="团购-2026"')
    expect(await idsOf(analyst, `tag=${encodeURIComponent('团购-2026')}`)).toEqual([b.id])
  })

  it.each([
    ['an empty tag', '   ', 'enter a tag'],
    ['33 characters', 'a'.repeat(33), 'at most 32 characters'],
    ['a space', 'big spender', 'letters, digits, - and _ only'],
    ['a colon (automatic tags use it)', 'lifecycle:vip', 'letters, digits, - and _ only'],
    ['markup', '<b>x</b>', 'letters, digits, - and _ only'],
  ])('refuses %s with 422 and writes nothing', async (_name, tag, message) => {
    const { t, owner, b } = await cast()
    const res = await owner.post(`/admin/members/${b.id}/tags`, { tag })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain(message)
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'member.tag.add')).all()).toHaveLength(0)
  })

  it('accepts exactly 32 characters of any script, and says so when the member already has the tag', async () => {
    const { owner, b } = await cast()
    expect((await owner.post(`/admin/members/${b.id}/tags`, { tag: '茶'.repeat(32) })).status).toBe(303)
    const again = await owner.post(`/admin/members/${b.id}/tags`, { tag: '茶'.repeat(32) })
    expect(again.status).toBe(422)
    expect(await again.text()).toContain('already has the tag')
  })

  it('removes a manual tag, audited with who had added it; refuses an automatic one', async () => {
    const { t, owner, a } = await cast()
    const res = await owner.post(`/admin/members/${a.id}/tags/remove`, { tag: 'vip' })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe(`/admin/members/${a.id}?notice=tag-removed#tags`)
    expect(
      t.db
        .select()
        .from(memberTags)
        .where(and(eq(memberTags.memberId, a.id), eq(memberTags.tag, 'vip')))
        .get(),
    ).toBeUndefined()
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'member.tag.remove')).get()!
    expect(audit.detail).toMatchObject({ tag: 'vip' })
    const auto = await owner.post(`/admin/members/${a.id}/tags/remove`, { tag: 'lifecycle:active' })
    expect(auto.status).toBe(422)
    expect(await auto.text()).toContain('is an automatic tag')
    expect(
      t.db
        .select()
        .from(memberTags)
        .where(and(eq(memberTags.memberId, a.id), eq(memberTags.tag, 'lifecycle:active')))
        .get(),
    ).toBeDefined()
    const gone = await owner.post(`/admin/members/${a.id}/tags/remove`, { tag: 'vip' })
    expect(locationOf(gone)).toBe(`/admin/members/${a.id}?notice=tag-absent#tags`)
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'member.tag.remove')).all()).toHaveLength(1)
  })

  it('does not tag an erased or merged member, nor another brand’s, nor without the CSRF token', async () => {
    const { t, owner, erased, merged, stranger, b } = await cast()
    expect(await (await owner.get(`/admin/members/${erased.id}`)).text()).not.toContain('/tags"')
    expect((await owner.post(`/admin/members/${erased.id}/tags`, { tag: 'x' })).status).toBe(422)
    expect((await owner.post(`/admin/members/${merged.id}/tags`, { tag: 'x' })).status).toBe(422)
    expect((await owner.post(`/admin/members/${stranger.id}/tags`, { tag: 'x' })).status).toBe(404)
    expect((await owner.post(`/admin/members/${stranger.id}/tags/remove`, { tag: 'vip' })).status).toBe(404)
    expect((await owner.post(`/admin/members/${b.id}/tags`, { _csrf: '', tag: 'x' })).status).toBe(403)
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'member.tag.add')).all()).toHaveLength(0)
  })
})

describe('member names and tags are escaped on every members page', () => {
  it('renders a hostile name, tag and reason as text in the list and on the member page', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    const m = insertListMember(t.db, t.masterKey, brand.brandId, {
      name: '<script>alert("name")</script>',
      createdAt: START,
      activity: { lastScanAt: START },
      autoTags: { 'category:<img src=x onerror=alert(1)>': '<b onmouseover=alert(2)>reason</b>' },
    })
    const owner = await signInAs(t, brand.ownerId)
    for (const path of ['/admin/members', `/admin/members/${m.id}`, '/admin/members?q=%3Cscript%3E']) {
      const html = await (await owner.get(path)).text()
      expect(html, path).not.toContain('<script>alert')
      expect(html, path).not.toContain('<img src=x')
      expect(html, path).toContain('&lt;img src=x onerror=alert(1)&gt;')
    }
    const page = await (await owner.get(`/admin/members/${m.id}`)).text()
    expect(page).not.toContain('<b onmouseover')
    expect(page).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;')
  })
})
