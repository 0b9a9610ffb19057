import { type Context, Hono } from 'hono'
import {
  MemberPage,
  MembersPage,
  type MemberView,
  PrivacyRequestsPage,
} from '../../views/admin/members-pages.tsx'
import { OutboxPage } from '../../views/admin/outbox-page.tsx'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { memberHistory } from './account-history.ts'
import { HistoryQuery } from './account-input.ts'
import { consentHistory, findAnyMember, pointsSummary, tierStatus } from './account-store.ts'
import { AdjustForm, BeforeQuery } from './member-admin-input.ts'
import {
  adjustPoints,
  listMembers,
  listOutbox,
  listPrivacyRequests,
  lookupMember,
  type MemberRow,
  privacyRequestsOf,
} from './member-admin-store.ts'
import { maskIdentifier, parseIdentity } from './member-identity.ts'

/** Phones and emails are personal data: in full for owners only (PIPL's least-access rule). */
function viewOf(row: MemberRow, isOwner: boolean): MemberView {
  const identity = row.phone ?? row.email ?? ''
  return {
    id: row.id,
    identity: isOwner ? identity : maskIdentifier(identity),
    name: row.name,
    birthday: row.birthday,
    gender: row.gender,
    regionCode: row.regionCode,
    createdAt: row.createdAt,
    deletedAt: row.deletedAt,
    balance: row.balance,
  }
}

/**
 * The console's members pages: lookup and list, one member's profile, points, consents and
 * history, manual adjustments (owner, audited with a reason), the privacy requests list (owner)
 * and the development outbox (owner, operator).
 */
export function createMemberAdminRoutes(deps: AppDeps) {
  function memberPage(
    c: Context<AppEnv>,
    memberId: number,
    extra: { values?: { amount?: string; reason?: string }; errors?: string[]; notice?: string } = {},
    status: 200 | 422 = 200,
  ) {
    const s = c.get('staff')
    const member = findAnyMember(s.bdb, memberId)
    if (!member) return c.notFound()
    const now = deps.clock.now()
    const summary = pointsSummary(s.bdb, member.id, now)
    c.header('Cache-Control', 'no-store')
    return c.html(
      <MemberPage
        staff={staffView(s)}
        member={viewOf({ ...member, balance: summary.balance }, s.role === 'owner')}
        summary={summary}
        tier={tierStatus(s.bdb, member.id, now)}
        consents={consentHistory(s.bdb, member.id)}
        privacy={privacyRequestsOf(s.bdb, member.id)}
        history={memberHistory(s.bdb, member.id, HistoryQuery.parse(c.req.query()).page)}
        canAdjust={can(s.role, 'members.adjust')}
        {...extra}
      />,
      status,
    )
  }

  return new Hono<AppEnv>()
    .get('/members', requireRole('members.read'), (c) => {
      const s = c.get('staff')
      const isOwner = s.role === 'owner'
      const q = c.req.query('q')?.trim()
      const common = { staff: staffView(s), canSeePrivacy: can(s.role, 'privacy.read') }
      c.header('Cache-Control', 'no-store')
      if (q) {
        const identity = parseIdentity(q)
        if (!identity)
          return c.html(
            <MembersPage
              {...common}
              rows={[]}
              query={q}
              isLookup
              lookupError="Enter a mobile number (e.g. 138 0013 8000 or +44 7700 900123) or an email address."
            />,
            422,
          )
        const rows = lookupMember(s.bdb, identity).map((r) => viewOf(r, isOwner))
        return c.html(<MembersPage {...common} rows={rows} query={q} isLookup />)
      }
      const page = listMembers(s.bdb, BeforeQuery.parse(c.req.query()).before)
      return c.html(
        <MembersPage
          {...common}
          rows={page.rows.map((r) => viewOf(r, isOwner))}
          nextBefore={page.nextBefore}
          isLookup={false}
        />,
      )
    })
    .get('/members/:id{[0-9]+}', requireRole('members.read'), (c) =>
      memberPage(c, Number(c.req.param('id')), {
        notice: c.req.query('adjusted') ? 'Points adjusted.' : undefined,
      }),
    )
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
      const outcome = adjustPoints(
        s.bdb,
        { staffId: s.staffId, label: s.email },
        memberId,
        parsed.data,
        deps.clock.now(),
      )
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
