import { type Context, Hono } from 'hono'
import {
  type AdjustValues,
  MemberPage,
  MemberResults,
  type MemberResultsProps,
  MembersPage,
  PrivacyRequestsPage,
} from '../../views/admin/members-pages.tsx'
import { OutboxPage } from '../../views/admin/outbox-page.tsx'
import { fixedNotice } from '../admin-notice.ts'
import type { AppDeps, AppEnv, SignedInStaff } from '../app-deps.ts'
import { wantsFragment } from '../htmx-request.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { memberHistory } from './account-history.ts'
import { HistoryQuery } from './account-input.ts'
import { consentHistory, findAnyMember, pointsSummary, tierStatus } from './account-store.ts'
import { AdjustForm, BeforeQuery, RemoveTagForm, TagForm } from './member-admin-input.ts'
import {
  adjustPoints,
  listMembers,
  listOutbox,
  listPrivacyRequests,
  privacyRequestsOf,
} from './member-admin-store.ts'
import {
  describeFilter,
  listQueryString,
  MemberListQuery,
  readSearch,
  type SegmentFilter,
  segmentFilterOf,
} from './member-filter.ts'
import { maskIdentifier } from './member-identity.ts'
import { filterNamesOf, filterOptionsOf, formValuesOf, memberListView } from './member-list-view.ts'
import { contactOf, memberPii } from './member-pii.ts'
import { CONSENT_KINDS } from './member-schema.ts'
import { addManualTag, removeManualTag, tagsOf } from './member-tag-store.ts'
import { findSegment } from './segment-store.ts'

const actorOf = (s: SignedInStaff) => ({ staffId: s.staffId, label: s.email })

const NOTICES: Record<string, string> = {
  adjusted: 'Points adjusted.',
  'tag-added': 'Tag added.',
  'tag-removed': 'Tag removed.',
  'tag-absent': 'That tag was already gone.',
}

type MemberPageExtra = {
  values?: AdjustValues
  errors?: string[]
  tagErrors?: string[]
  tagValue?: string
  notice?: string
}

/**
 * The console's members pages: the filtered, sorted list (search by phone, email or name) with
 * "Save as segment", one member's profile, points, tags, consents and history, manual tags
 * (audited), manual points adjustments (owner, audited with a reason), the privacy requests list
 * (owner) and the development outbox (owner, operator).
 */
/**
 * The consents a member holds now. Location is asked on each scan page, not held: earlier
 * 'location' events stay in the history below, never shown as a standing grant.
 */
const STANDING_CONSENTS = CONSENT_KINDS.filter((kind) => kind !== 'location')

export function createMemberAdminRoutes(deps: AppDeps) {
  const pii = memberPii(deps.masterKey)

  function memberPage(
    c: Context<AppEnv>,
    memberId: number,
    extra: MemberPageExtra = {},
    status: 200 | 422 = 200,
  ) {
    const s = c.get('staff')
    const member = findAnyMember(s.bdb, memberId)
    if (!member) return c.notFound()
    const now = deps.clock.now()
    const consents = consentHistory(s.bdb, member.id)
    const contact =
      member.deletedAt === null
        ? contactOf(pii, member, can(s.role, 'members.contact'))
        : { phone: null, email: null }
    c.header('Cache-Control', 'no-store')
    return c.html(
      <MemberPage
        staff={staffView(s)}
        member={{
          id: member.id,
          ...contact,
          name: member.name,
          birthday: member.birthday,
          gender: member.gender,
          regionCode: member.regionCode,
          createdAt: member.createdAt,
          deletedAt: member.deletedAt,
          mergedIntoId: member.mergedIntoId,
        }}
        summary={pointsSummary(s.bdb, member.id, now)}
        tier={tierStatus(s.bdb, member.id, now)}
        consents={consents}
        consentState={STANDING_CONSENTS.map((kind) => ({
          kind,
          event: consents.find((e) => e.kind === kind) ?? null,
        }))}
        privacy={privacyRequestsOf(s.bdb, member.id)}
        history={memberHistory(s.bdb, member.id, HistoryQuery.parse(c.req.query()).page)}
        tags={tagsOf(s.bdb, member.id)}
        canAdjust={can(s.role, 'members.adjust')}
        canTag={can(s.role, 'members.tag')}
        canMerge={can(s.role, 'members.merge')}
        {...extra}
      />,
      status,
    )
  }

  /** The list for a query: the whole page, or (to htmx) the results fragment the form swaps in. */
  function membersList(c: Context<AppEnv>) {
    const s = c.get('staff')
    const raw = c.req.query()
    const options = filterOptionsOf(s.bdb)
    const names = filterNamesOf(options)
    const isHtmx = wantsFragment(c)
    c.header('Cache-Control', 'no-store')
    c.header('Vary', 'HX-Request')
    const render = (results: MemberResultsProps, status: 200 | 422) =>
      isHtmx
        ? c.html(<MemberResults {...results} />, status)
        : c.html(
            <MembersPage
              staff={staffView(s)}
              values={raw}
              options={options}
              results={results}
              canSeePrivacy={can(s.role, 'privacy.read')}
            />,
            status,
          )
    const refuse = (errors: string[]) =>
      render({ rows: [], total: 0, page: 1, pageCount: 1, query: '', words: [], errors, asOf: null }, 422)

    const parsed = MemberListQuery.safeParse(raw)
    if (!parsed.success) return refuse(issuesOf(parsed.error))
    const query = parsed.data
    const search = readSearch(pii, s.brandId, query.q)
    if (search.kind === 'invalid') return refuse([search.message])
    const own = segmentFilterOf(query)
    const filters: Partial<SegmentFilter>[] = [own]
    let segment: { id: number; name: string } | undefined
    if (query.segment !== undefined) {
      const saved = findSegment(s.bdb, query.segment)
      if (!saved) return refuse(['That segment does not exist (any more). Choose another or clear it.'])
      if (!saved.filter)
        return refuse([`The segment “${saved.name}” cannot be read: ${saved.problems.join('; ')}. Edit it.`])
      filters.unshift(saved.filter)
      segment = { id: saved.id, name: saved.name }
    }
    const page = listMembers(s.bdb, { filters, search, sort: query.sort, page: query.page })
    const unmasked = can(s.role, 'members.contact')
    const canSave = can(s.role, 'segments.manage') && segment === undefined
    const canonical = listQueryString(query, { page: page.page })
    const computed = page.rows.map((r) => r.computedAt).filter((t): t is number => t !== null)
    if (isHtmx) c.header('HX-Push-Url', `/admin/members${canonical ? `?${canonical}` : ''}`)
    return render(
      {
        rows: page.rows.map((r) => memberListView(pii, r, unmasked)),
        total: page.total,
        page: page.page,
        pageCount: page.pageCount,
        query: listQueryString(query, { page: 1 }),
        words: describeFilter(own, names),
        searched: query.q,
        searchedIdentity: search.kind === 'identity',
        segment,
        save: canSave
          ? { fields: formValuesOf(own), csrfToken: s.csrfToken, searchDropped: query.q !== undefined }
          : undefined,
        asOf: computed.length > 0 ? Math.max(...computed) : null,
      },
      200,
    )
  }

  return new Hono<AppEnv>()
    .get('/members', requireRole('members.read'), (c) => membersList(c))
    .get('/members/:id{[0-9]+}', requireRole('members.read'), (c) => {
      return memberPage(c, Number(c.req.param('id')), {
        notice: c.req.query('adjusted') ? NOTICES.adjusted : fixedNotice(c, NOTICES),
      })
    })
    .post('/members/:id{[0-9]+}/tags', requireRole('members.tag'), async (c) => {
      const s = c.get('staff')
      const memberId = Number(c.req.param('id'))
      const body = await c.req.parseBody()
      const tagValue = typeof body.tag === 'string' ? body.tag : ''
      const parsed = TagForm.safeParse(body)
      if (!parsed.success)
        return memberPage(c, memberId, { tagErrors: issuesOf(parsed.error), tagValue }, 422)
      const outcome = addManualTag(s.bdb, actorOf(s), memberId, parsed.data.tag, deps.clock.now())
      switch (outcome.kind) {
        case 'not-found':
          return c.notFound()
        case 'not-current':
          return memberPage(
            c,
            memberId,
            { tagErrors: ['This member erased their account or was merged: their tags no longer change.'] },
            422,
          )
        case 'exists':
          return memberPage(
            c,
            memberId,
            { tagErrors: [`This member already has the tag “${parsed.data.tag}”.`], tagValue },
            422,
          )
        case 'added':
          return c.redirect(`/admin/members/${memberId}?notice=tag-added#tags`, 303)
      }
    })
    .post('/members/:id{[0-9]+}/tags/remove', requireRole('members.tag'), async (c) => {
      const s = c.get('staff')
      const memberId = Number(c.req.param('id'))
      const parsed = RemoveTagForm.safeParse(await c.req.parseBody())
      if (!parsed.success) return memberPage(c, memberId, { tagErrors: issuesOf(parsed.error) }, 422)
      const outcome = removeManualTag(s.bdb, actorOf(s), memberId, parsed.data.tag, deps.clock.now())
      switch (outcome.kind) {
        case 'not-found':
          return c.notFound()
        case 'automatic':
          return memberPage(
            c,
            memberId,
            {
              tagErrors: [
                `“${parsed.data.tag}” is an automatic tag: the tags job computes it and would put it back. Change the programme settings instead.`,
              ],
            },
            422,
          )
        case 'absent':
          return c.redirect(`/admin/members/${memberId}?notice=tag-absent#tags`, 303)
        case 'removed':
          return c.redirect(`/admin/members/${memberId}?notice=tag-removed#tags`, 303)
      }
    })
    .post('/members/:id{[0-9]+}/adjust', requireRole('members.adjust'), async (c) => {
      const s = c.get('staff')
      const memberId = Number(c.req.param('id'))
      const body = await c.req.parseBody()
      const values = {
        amount: typeof body.amount === 'string' ? body.amount : '',
        reason: typeof body.reason === 'string' ? body.reason : '',
      }
      const parsed = AdjustForm.safeParse(body)
      if (!parsed.success) {
        if (!findAnyMember(s.bdb, memberId)) return c.notFound()
        return memberPage(c, memberId, { values, errors: issuesOf(parsed.error) }, 422)
      }
      const outcome = adjustPoints(s.bdb, actorOf(s), memberId, parsed.data, deps.clock.now())
      switch (outcome.kind) {
        case 'not-found':
          return c.notFound()
        case 'erased':
          return memberPage(c, memberId, { values, errors: ['This member erased their account.'] }, 422)
        case 'below-zero':
          return memberPage(
            c,
            memberId,
            {
              values,
              errors: [
                `The balance is ${outcome.balance}: a deduction of ${-parsed.data.amount} would take it below zero.`,
              ],
            },
            422,
          )
        case 'adjusted':
          return c.redirect(`/admin/members/${memberId}?adjusted=1`, 303)
      }
    })
    .get('/privacy', requireRole('privacy.read'), (c) => {
      const s = c.get('staff')
      const page = listPrivacyRequests(s.bdb, BeforeQuery.parse(c.req.query()).before)
      return c.html(
        <PrivacyRequestsPage staff={staffView(s)} rows={page.rows} nextBefore={page.nextBefore} />,
      )
    })
    .get('/outbox', requireRole('outbox.read'), (c) => {
      const s = c.get('staff')
      const page = listOutbox(s.bdb, BeforeQuery.parse(c.req.query()).before)
      const isOwner = s.role === 'owner'
      c.header('Cache-Control', 'no-store')
      return c.html(
        <OutboxPage
          staff={staffView(s)}
          rows={page.rows.map((r) => ({
            ...r,
            recipient: isOwner ? r.recipient : maskIdentifier(r.recipient),
          }))}
          nextBefore={page.nextBefore}
        />,
      )
    })
}
