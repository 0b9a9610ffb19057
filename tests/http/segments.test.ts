import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { brandDb } from '../../src/db/brand-scope.ts'
import { eraseMember } from '../../src/members/account-store.ts'
import { memberPii } from '../../src/members/member-pii.ts'
import { segments } from '../../src/members/programme-schema.ts'
import { SEGMENT_CSV_COLUMNS } from '../../src/members/segment-csv.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import {
  DAY,
  insertListMember,
  insertTiers,
  type ListMemberInput,
  memberIdsIn,
} from '../support/member-list-fixture.ts'
import {
  buildTestApp,
  insertBrand,
  insertStaff,
  locationOf,
  postForm,
  START,
  signInAs,
} from '../support/test-app.ts'

const PHONE = '+8613800138000'

/** A brand with VIP members who joined before and after March, an owner, an analyst and an operator. */
async function brandWithMembers() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const tier = insertTiers(t.db, brand.brandId, ['Gold'])
  const add = (input: ListMemberInput) => insertListMember(t.db, t.masterKey, brand.brandId, input, START)
  const early = add({
    name: 'Li Hua',
    phone: PHONE,
    createdAt: Date.UTC(2026, 0, 10),
    tierId: tier.Gold,
    activity: { lastScanAt: START - 5 * DAY, balance: 120, pointsEarned: 300, lifecycle: 'active' },
    autoTags: { 'lifecycle:active': 'last scan 5 days ago' },
    manualTags: ['vip'],
  })
  const hostile = add({
    name: '=HYPERLINK("http://evil.example","click")',
    email: 'x@example.com',
    createdAt: Date.UTC(2026, 1, 1),
    activity: { balance: 7 },
    manualTags: ['vip', '-2'],
  })
  const late = add({ name: 'Sam', createdAt: Date.UTC(2026, 5, 1), manualTags: ['vip'] })
  const plain = add({ name: 'Nobody', createdAt: Date.UTC(2026, 0, 5) })
  const owner = await signInAs(t, brand.ownerId)
  const analyst = await signInAs(
    t,
    (await insertStaff(t, brand.brandId, { role: 'analyst', email: 'ana@tea.test' })).id,
  )
  const operator = await signInAs(
    t,
    (await insertStaff(t, brand.brandId, { role: 'operator', email: 'op@tea.test' })).id,
  )
  return { t, brand, tier, add, early, hostile, late, plain, owner, analyst, operator }
}

/** Saves "VIP who joined by the end of February" as the list's save form does. */
async function saveVipSegment(client: Awaited<ReturnType<typeof brandWithMembers>>['owner']) {
  const res = await client.post('/admin/segments', {
    name: 'Early VIPs',
    description: 'Tagged vip, joined by February',
    tag: 'vip',
    joinedTo: '2026-02-28',
  })
  expect(res.status).toBe(303)
  return Number(/\/admin\/segments\/(\d+)/.exec(locationOf(res) ?? '')![1])
}

/** RFC 4180 lines to cells (quotes doubled inside quoted cells). */
function parseCsv(text: string): string[][] {
  return text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter((l) => l !== '')
    .map((line) => {
      const cells: string[] = []
      let cell = ''
      let quoted = false
      for (let i = 0; i < line.length; i++) {
        const ch = line[i]!
        if (quoted) {
          if (ch === '"' && line[i + 1] === '"') {
            cell += '"'
            i++
          } else if (ch === '"') quoted = false
          else cell += ch
        } else if (ch === '"') quoted = true
        else if (ch === ',') {
          cells.push(cell)
          cell = ''
        } else cell += ch
      }
      cells.push(cell)
      return cells
    })
}

describe('saving a segment', () => {
  it('offers the list’s current filters as hidden fields of the save form', async () => {
    const { owner } = await brandWithMembers()
    const html = await (
      await owner.get('/admin/members?tag=vip&joinedTo=2026-02-28&q=li&sort=balance')
    ).text()
    const form = /<form class="stack" method="post" action="\/admin\/segments">[\s\S]*?<\/form>/.exec(
      html,
    )![0]
    expect(form).toContain('<input type="hidden" name="tag" value="vip"/>')
    expect(form).toContain('<input type="hidden" name="joinedTo" value="2026-02-28"/>')
    expect(form).not.toContain('name="q"')
    expect(form).not.toContain('name="sort"')
    expect(form).toContain('The search text is not part of a segment')
  })

  it('saves name, description and filter, audited, and opens the segment', async () => {
    const { t, brand, owner, early, hostile } = await brandWithMembers()
    const id = await saveVipSegment(owner)
    const row = t.db.select().from(segments).where(eq(segments.id, id)).get()!
    expect(row).toMatchObject({
      brandId: brand.brandId,
      name: 'Early VIPs',
      description: 'Tagged vip, joined by February',
    })
    expect(row.filter).toEqual({ tag: 'vip', joinedTo: '2026-02-28' })
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'segment.create')).get()!
    expect(audit).toMatchObject({ subjectType: 'segment', subjectId: String(id) })
    const page = await (await owner.get(`/admin/segments/${id}?notice=saved`)).text()
    expect(page).toContain('Segment saved.')
    expect(page).toContain('tagged “vip” · joined on or before 2026-02-28')
    expect(page).toContain('<b data-size="2">2</b>')
    expect(memberIdsIn(page).sort()).toEqual([early.id, hostile.id].sort())
    expect(page).toContain(`href="/admin/members?segment=${id}"`)
  })

  it('refuses a nameless segment or a malformed filter with 422, keeping what was typed', async () => {
    const { t, owner } = await brandWithMembers()
    const res = await owner.post('/admin/segments', { name: ' ', tag: 'vip', joinedFrom: '2026-02-30x' })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('name: give the segment a name')
    expect(html).toContain('joined from: enter a day as YYYY-MM-DD')
    expect(html).toContain('value="2026-02-30x"')
    expect(html).toContain('value="vip"')
    expect(t.db.select().from(segments).all()).toHaveLength(0)
  })

  it('is for owners and analysts; an operator is refused', async () => {
    const { t, analyst, operator } = await brandWithMembers()
    expect((await analyst.post('/admin/segments', { name: 'A', tag: 'vip' })).status).toBe(303)
    const refused = await operator.post('/admin/segments', { name: 'B', tag: 'vip' })
    expect(refused.status).toBe(403)
    expect((await operator.get('/admin/segments')).status).toBe(403)
    expect(t.db.select().from(segments).all()).toHaveLength(1)
  })
})

describe('a segment’s live size and members', () => {
  it('counts its members live: new matching members join it, erased ones leave it', async () => {
    const { t, brand, owner, add, early } = await brandWithMembers()
    const id = await saveVipSegment(owner)
    const sizeOf = async () => {
      const html = await (await owner.get('/admin/segments')).text()
      return new RegExp(`data-segment="${id}"[\\s\\S]*?data-size="(\\d+)"`).exec(html)![1]
    }
    expect(await sizeOf()).toBe('2')
    add({ name: 'New VIP', createdAt: Date.UTC(2026, 1, 20), manualTags: ['vip'] })
    expect(await sizeOf()).toBe('3')
    eraseMember(brandDb(t.db, brand.brandId), memberPii(t.masterKey), early.id, t.clock.now())
    expect(await sizeOf()).toBe('2')
  })

  it('applies as a filter in the members list, narrowed further by the list’s own filters', async () => {
    const { owner, early, hostile } = await brandWithMembers()
    const id = await saveVipSegment(owner)
    const all = await (await owner.get(`/admin/members?segment=${id}`)).text()
    expect(memberIdsIn(all)).toEqual([hostile.id, early.id])
    expect(all).toContain(`in segment <a href="/admin/segments/${id}">Early VIPs</a>`)
    expect(all).not.toContain('Save these filters as a segment')
    expect(
      memberIdsIn(await (await owner.get(`/admin/members?segment=${id}&lifecycle=active`)).text()),
    ).toEqual([early.id])
  })

  it('edits its name and filter, audited with the filter before and after', async () => {
    const { t, owner, late } = await brandWithMembers()
    const id = await saveVipSegment(owner)
    const form = await (await owner.get(`/admin/segments/${id}/edit`)).text()
    expect(form).toContain('value="Early VIPs"')
    expect(form).toContain('name="joinedTo" value="2026-02-28"')
    const res = await owner.post(`/admin/segments/${id}`, {
      name: 'Summer VIPs',
      description: '',
      tag: 'vip',
      joinedFrom: '2026-05-01',
    })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toBe(`/admin/segments/${id}?notice=updated`)
    const page = await (await owner.get(`/admin/segments/${id}`)).text()
    expect(page).toContain('Summer VIPs')
    expect(memberIdsIn(page)).toEqual([late.id])
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'segment.update')).get()!
    expect(audit.detail).toMatchObject({
      filter: { tag: 'vip', joinedFrom: '2026-05-01' },
      before: { name: 'Early VIPs', filter: { tag: 'vip', joinedTo: '2026-02-28' } },
    })
    const bad = await owner.post(`/admin/segments/${id}`, { name: 'x', tier: 'platinum' })
    expect(bad.status).toBe(422)
    expect(await bad.text()).toContain('tier: choose a tier from the list')
  })

  it('never widens a stored filter that no longer reads to everyone', async () => {
    const { t, brand, owner } = await brandWithMembers()
    const id = t.db
      .insert(segments)
      .values({
        brandId: brand.brandId,
        name: 'Old',
        filter: { lifecycle: 'asleep' },
        createdAt: START,
        updatedAt: START,
      })
      .returning()
      .get().id
    const list = await (await owner.get('/admin/segments')).text()
    expect(list).toContain('Filter unreadable')
    const page = await (await owner.get(`/admin/segments/${id}`)).text()
    expect(memberIdsIn(page)).toEqual([])
    expect(page).not.toContain('/export"')
    expect((await owner.post(`/admin/segments/${id}/export`)).status).toBe(422)
    expect((await owner.get(`/admin/members?segment=${id}`)).status).toBe(422)
  })

  it('shows an empty state when there are no segments', async () => {
    const { owner } = await brandWithMembers()
    expect(await (await owner.get('/admin/segments')).text()).toContain('No segments yet.')
  })
})

describe('deleting a segment', () => {
  it('asks first: a bare POST shows the confirmation again and deletes nothing', async () => {
    const { t, analyst, owner } = await brandWithMembers()
    const id = await saveVipSegment(owner)
    const confirm = await (await analyst.get(`/admin/segments/${id}/delete`)).text()
    expect(confirm).toContain('Delete the segment “Early VIPs”?')
    expect(confirm).toContain('name="confirm" value="yes"')
    const bare = await analyst.post(`/admin/segments/${id}/delete`, {})
    expect(bare.status).toBe(422)
    expect(await bare.text()).toContain('Confirm the deletion')
    expect(t.db.select().from(segments).all()).toHaveLength(1)
    const res = await analyst.post(`/admin/segments/${id}/delete`, { confirm: 'yes' })
    expect(res.status).toBe(303)
    expect(locationOf(res)).toMatch(/^\/admin\/segments\?notice=[^&]+&ns=/)
    expect(t.db.select().from(segments).all()).toHaveLength(0)
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'segment.delete')).get()!
    expect(audit.detail).toMatchObject({ name: 'Early VIPs', filter: { tag: 'vip' } })
    expect(await (await analyst.get(locationOf(res)!)).text()).toContain('Segment “Early VIPs” deleted.')
    // The notice is this server's: a crafted one shows nothing.
    const crafted = await (await analyst.get('/admin/segments?deleted=x&notice=Call%20IT%20now')).text()
    expect(crafted).not.toContain('Call IT')
    expect(crafted).not.toContain('deleted.')
    expect((await analyst.get(`/admin/segments/${id}`)).status).toBe(404)
  })
})

describe('exporting a segment to CSV', () => {
  it('streams its members with masked contacts for an analyst, spreadsheet-safe, audited with the count', async () => {
    const { t, owner, analyst, early, hostile } = await brandWithMembers()
    const id = await saveVipSegment(owner)
    const res = await analyst.post(`/admin/segments/${id}/export`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="segment-\d+-2026-11-01\.csv"$/,
    )
    const bytes = Buffer.from(await res.arrayBuffer())
    // The byte-order mark that makes Excel read the file as UTF-8 (Response.text() would drop it).
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const text = bytes.toString('utf8')
    expect(text).not.toContain(PHONE)
    const [header, ...rows] = parseCsv(text)
    expect(header).toEqual([...SEGMENT_CSV_COLUMNS])
    expect(rows.map((r) => Number(r[0]))).toEqual([early.id, hostile.id])
    expect(rows[0]).toEqual([
      String(early.id),
      "'+86138****8000",
      '',
      'Li Hua',
      'Gold',
      '120',
      '300',
      new Date(START - 5 * DAY).toISOString(),
      'lifecycle:active; vip',
    ])
    // A formula in a name, a minus sign in a tag: both arrive as text.
    expect(rows[1]![3]).toBe('\'=HYPERLINK("http://evil.example","click")')
    expect(rows[1]![2]).toBe('x***@example.com')
    expect(rows[1]![8]).toBe("'-2; vip")
    expect(text).toContain('"\'=HYPERLINK(""http://evil.example"",""click"")"')
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'segments.export')).all()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      subjectType: 'segment',
      subjectId: String(id),
      actorLabel: 'ana@tea.test',
    })
    expect(audit[0]!.detail).toMatchObject({ count: 2, contacts: 'masked' })
  })

  it('gives owners the contacts in full', async () => {
    const { t, owner } = await brandWithMembers()
    const id = await saveVipSegment(owner)
    const rows = parseCsv(await (await owner.post(`/admin/segments/${id}/export`)).text())
    expect(rows[1]![1]).toBe(`'${PHONE}`)
    expect(rows[2]![2]).toBe('x@example.com')
    expect(
      t.db.select().from(auditLog).where(eq(auditLog.action, 'segments.export')).get()!.detail,
    ).toMatchObject({
      contacts: 'full',
    })
  })

  it('streams a segment larger than one read chunk in full, in id order', async () => {
    const { t, brand, owner } = await brandWithMembers()
    // Prepared statements: 2,050 members through the query builder would take seconds.
    const sqlite = t.db.$client
    const member = sqlite.prepare('INSERT INTO members (brand_id, created_at) VALUES (?, ?)')
    const tag = sqlite.prepare(
      "INSERT INTO member_tags (member_id, brand_id, tag, source, reason, created_at) VALUES (?, ?, 'bulk', 'manual', 'test', ?)",
    )
    const ids = sqlite.transaction(() =>
      Array.from({ length: 2_050 }, () => {
        const id = Number(member.run(brand.brandId, START).lastInsertRowid)
        tag.run(id, brand.brandId, START)
        return id
      }),
    )()
    const created = await owner.post('/admin/segments', { name: 'Bulk', tag: 'bulk' })
    const id = Number(/(\d+)/.exec(locationOf(created)!)![1])
    const rows = parseCsv(await (await owner.post(`/admin/segments/${id}/export`)).text()).slice(1)
    expect(rows.map((r) => Number(r[0]))).toEqual(ids)
  })

  it('needs the export permission and a POST with the CSRF token', async () => {
    const { t, owner, operator } = await brandWithMembers()
    const id = await saveVipSegment(owner)
    expect((await operator.post(`/admin/segments/${id}/export`)).status).toBe(403)
    expect((await owner.post(`/admin/segments/${id}/export`, { _csrf: '' })).status).toBe(403)
    const crossSite = await postForm(
      t.app,
      `/admin/segments/${id}/export`,
      { _csrf: owner.csrfToken! },
      { cookie: owner.cookie, origin: 'https://evil.example' },
    )
    expect(crossSite.status).toBe(403)
    expect((await owner.get(`/admin/segments/${id}/export`)).status).toBe(404)
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'segments.export')).all()).toHaveLength(0)
  })
})

describe('segments belong to their brand', () => {
  it('answers 404 to another brand for every segment route, and never lists it', async () => {
    const { t, owner } = await brandWithMembers()
    const id = await saveVipSegment(owner)
    const other = await insertBrand(t, { slug: 'coffee' })
    const stranger = await signInAs(t, other.ownerId)
    expect(await (await stranger.get('/admin/segments')).text()).not.toContain('Early VIPs')
    for (const path of [
      `/admin/segments/${id}`,
      `/admin/segments/${id}/edit`,
      `/admin/segments/${id}/delete`,
    ])
      expect((await stranger.get(path)).status, path).toBe(404)
    expect((await stranger.post(`/admin/segments/${id}`, { name: 'Mine now', tag: 'vip' })).status).toBe(404)
    expect((await stranger.post(`/admin/segments/${id}/delete`, { confirm: 'yes' })).status).toBe(404)
    expect((await stranger.post(`/admin/segments/${id}/export`)).status).toBe(404)
    expect((await stranger.get(`/admin/members?segment=${id}`)).status).toBe(422)
    expect(t.db.select().from(segments).get()).toMatchObject({ name: 'Early VIPs' })
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'segments.export')).all()).toHaveLength(0)
  })
})

describe('segment names are escaped on every page', () => {
  it('renders a hostile name and description as text', async () => {
    const { owner } = await brandWithMembers()
    const res = await owner.post('/admin/segments', {
      name: '<script>alert(1)</script>',
      description: '<img src=x onerror=alert(2)>',
      tag: 'vip',
    })
    const id = Number(/(\d+)/.exec(locationOf(res)!)![1])
    for (const path of [
      '/admin/segments',
      `/admin/segments/${id}`,
      `/admin/segments/${id}/edit`,
      `/admin/segments/${id}/delete`,
      `/admin/members?segment=${id}`,
      '/admin/members',
    ]) {
      const html = await (await owner.get(path)).text()
      expect(html, path).not.toContain('<script>alert(1)')
      expect(html, path).not.toContain('<img src=x')
      expect(html, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    }
  })
})
