import { type Context, Hono } from 'hono'
import { MemberMergePage, type MergePageState } from '../../views/admin/member-merge-page.tsx'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { findAnyMember } from './account-store.ts'
import { MergeForm, MergeQuery } from './member-merge-input.ts'
import {
  findMergeTarget,
  type MergeRefusal,
  mergeMembers,
  mergeRecordOf,
  mergeSide,
  previewMerge,
} from './member-merge-store.ts'
import { memberPii } from './member-pii.ts'

/** What the owner reads for each refusal, and the status it is answered with. */
export function refusalMessage(
  r: MergeRefusal,
  fromId: number,
): { status: 404 | 409 | 422; message: string } {
  switch (r.kind) {
    case 'not-found':
      return { status: 404, message: `There is no member #${fromId} in this brand.` }
    case 'already-merged':
      return { status: 409, message: `Member #${fromId} was already merged into member #${r.intoId}.` }
    case 'erased':
      return {
        status: 409,
        message: `Member #${fromId} erased their account; there is nothing left to merge.`,
      }
    case 'target-not-found':
      return { status: 422, message: 'There is no such member in this brand to merge into.' }
    case 'same-member':
      return { status: 422, message: 'A member cannot be merged into themselves: choose the other member.' }
    case 'target-merged':
      return {
        status: 422,
        message: `That member was itself merged into member #${r.intoId}: merge into #${r.intoId} instead.`,
      }
    case 'target-merged-here':
      return { status: 422, message: `That member was already merged into member #${fromId}.` }
    case 'target-erased':
      return {
        status: 422,
        message: 'That member erased their account: choose a member who is still active.',
      }
  }
}

/**
 * Merging a duplicate member into the one to keep (owners, 'members.merge'): a page to name the
 * other member (number, phone or email), a preview of both, a confirmation, then one transaction
 * (member-merge-store.ts). Every step answers a full page; forms work without JavaScript.
 */
export function createMemberMergeRoutes(deps: AppDeps) {
  const pii = memberPii(deps.masterKey)

  function page(c: Context<AppEnv>, props: MergePageState, status: 200 | 404 | 409 | 422 = 200) {
    c.header('Cache-Control', 'no-store')
    return c.html(<MemberMergePage staff={staffView(c.get('staff'))} {...props} />, status)
  }

  /** The start page for member `fromId` (an error above the form when given). */
  function start(
    c: Context<AppEnv>,
    fromId: number,
    extra: { query?: string; errors?: string[] },
    status: 200 | 422,
  ) {
    const s = c.get('staff')
    const from = findAnyMember(s.bdb, fromId)
    if (!from) return c.notFound()
    return page(
      c,
      { step: 'start', from: mergeSide(s.bdb, pii, from, can(s.role, 'members.contact')), ...extra },
      status,
    )
  }

  function preview(c: Context<AppEnv>, fromId: number, intoId: number, query: string, errors?: string[]) {
    const s = c.get('staff')
    const outcome = previewMerge(s.bdb, pii, { fromId, intoId }, can(s.role, 'members.contact'))
    if (outcome.kind !== 'preview') return refused(c, fromId, outcome, query)
    return page(c, { step: 'preview', ...outcome, query, errors }, errors ? 422 : 200)
  }

  function refused(c: Context<AppEnv>, fromId: number, r: MergeRefusal, query?: string) {
    const { status, message } = refusalMessage(r, fromId)
    if (r.kind === 'not-found') return c.notFound()
    if (r.kind === 'already-merged' || r.kind === 'erased') {
      const record = mergeRecordOf(c.get('staff').bdb, fromId)
      return page(c, { step: 'closed', fromId, message, record }, status)
    }
    return start(c, fromId, { query, errors: [message] }, 422 as const)
  }

  return new Hono<AppEnv>()
    .get('/members/:id{[0-9]+}/merge', requireRole('members.merge'), (c) => {
      const s = c.get('staff')
      const fromId = Number(c.req.param('id'))
      const from = findAnyMember(s.bdb, fromId)
      if (!from) return c.notFound()
      if (from.mergedIntoId !== null) {
        // The answer after a merge (303 here) and a later visit alike: what happened, and where to go.
        return page(c, {
          step: 'closed',
          fromId,
          message: `Member #${fromId} was merged into member #${from.mergedIntoId}.`,
          record: mergeRecordOf(s.bdb, fromId),
          done: c.req.query('merged') === '1',
        })
      }
      if (from.deletedAt !== null) return refused(c, fromId, { kind: 'erased' })
      const parsed = MergeQuery.safeParse(c.req.query())
      if (!parsed.success) return start(c, fromId, { errors: issuesOf(parsed.error) }, 422)
      const query = parsed.data.into
      if (!query) return start(c, fromId, {}, 200)
      const target = findMergeTarget(s.bdb, pii, query)
      if (target.kind === 'invalid')
        return start(
          c,
          fromId,
          { query, errors: ['Enter a member number (#123), a mobile number or an email address.'] },
          422,
        )
      if (target.kind === 'no-match')
        return start(
          c,
          fromId,
          { query, errors: ['No member of this brand matches that number, phone or email.'] },
          422,
        )
      return preview(c, fromId, target.member.id, query)
    })
    .post('/members/:id{[0-9]+}/merge', requireRole('members.merge'), async (c) => {
      const s = c.get('staff')
      const fromId = Number(c.req.param('id'))
      const body = await c.req.parseBody()
      const parsed = MergeForm.safeParse(body)
      if (!parsed.success) {
        const into = MergeForm.shape.into.safeParse(body.into)
        if (!into.success) return start(c, fromId, { errors: issuesOf(parsed.error) }, 422)
        return preview(c, fromId, into.data, `#${into.data}`, ['Tick the box to confirm the merge.'])
      }
      const outcome = mergeMembers(
        s.bdb,
        pii,
        { staffId: s.staffId, label: s.email },
        { fromId, intoId: parsed.data.into },
        deps.clock.now(),
      )
      if (outcome.kind !== 'merged') return refused(c, fromId, outcome, `#${parsed.data.into}`)
      return c.redirect(`/admin/members/${fromId}/merge?merged=1`, 303)
    })
}
