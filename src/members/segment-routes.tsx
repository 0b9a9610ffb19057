import { type Context, Hono } from 'hono'
import {
  SegmentDeletePage,
  SegmentFormPage,
  SegmentPage,
  SegmentsPage,
  type SegmentView,
} from '../../views/admin/segments-pages.tsx'
import { createNotices, fixedNotice } from '../admin-notice.ts'
import type { AppDeps, AppEnv, SignedInStaff } from '../app-deps.ts'
import { streamDownload } from '../batches/batch-routes.tsx'
import { chinaDateKey } from '../points/points-calendar.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { countMembers, listMembers, memberRowsOf } from './member-admin-store.ts'
import { describeFilter, type FilterNames, SegmentFilter, segmentFilterOf } from './member-filter.ts'
import { filterNamesOf, filterOptionsOf, formValuesOf, memberListView } from './member-list-view.ts'
import { memberPii } from './member-pii.ts'
import { segmentCsvStream } from './segment-csv.ts'
import { DeleteSegmentForm, readSegmentForm, SegmentPageQuery } from './segment-input.ts'
import {
  createSegment,
  deleteSegment,
  findSegment,
  listSegmentsWithSize,
  recordSegmentExport,
  type Segment,
  updateSegment,
} from './segment-store.ts'

const actorOf = (s: SignedInStaff) => ({ staffId: s.staffId, label: s.email })

function viewOf(segment: Segment, size: number | null, names: FilterNames): SegmentView {
  return {
    id: segment.id,
    name: segment.name,
    description: segment.description,
    words: segment.filter ? describeFilter(segment.filter, names) : [],
    problems: segment.problems,
    size,
    updatedAt: segment.updatedAt,
  }
}

/**
 * Saved segments (issue 7): the list with live sizes, a segment's page (its filter in words and
 * its members), new / edit / delete (with a confirmation page), and the CSV export of its members
 * (streamed, spreadsheet-safe, masked by role, audited with the count).
 */
export function createSegmentRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  const pii = memberPii(deps.masterKey)
  const segmentId = (c: Context<AppEnv>) => Number(c.req.param('id'))

  function formPage(
    c: Context<AppEnv>,
    values: Record<string, string>,
    errors: string[] | undefined,
    segmentId?: number,
    status: 200 | 422 = 200,
  ) {
    const s = c.get('staff')
    return c.html(
      <SegmentFormPage
        staff={staffView(s)}
        segmentId={segmentId}
        values={values}
        options={filterOptionsOf(s.bdb)}
        errors={errors}
      />,
      status,
    )
  }

  function deletePage(c: Context<AppEnv>, status: 200 | 422) {
    const s = c.get('staff')
    const segment = findSegment(s.bdb, segmentId(c))
    if (!segment) return c.notFound()
    const names = filterNamesOf(filterOptionsOf(s.bdb))
    const size = segment.filter ? countMembers(s.bdb, segment.filter) : null
    return c.html(
      <SegmentDeletePage
        staff={staffView(s)}
        segment={viewOf(segment, size, names)}
        errors={status === 422 ? ['Confirm the deletion with the button below.'] : undefined}
      />,
      status,
    )
  }

  /** The submitted form's text fields, to show back after a refusal. */
  const textFields = (body: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== '_csrf'),
    )

  return new Hono<AppEnv>()
    .get('/segments', requireRole('members.read'), (c) => {
      const s = c.get('staff')
      const names = filterNamesOf(filterOptionsOf(s.bdb))
      c.header('Cache-Control', 'no-store')
      return c.html(
        <SegmentsPage
          staff={staffView(s)}
          segments={listSegmentsWithSize(s.bdb).map((seg) => viewOf(seg, seg.size, names))}
          canManage={can(s.role, 'segments.manage')}
          notice={notices.read(c)}
        />,
      )
    })
    .get('/segments/new', requireRole('segments.manage'), (c) => {
      const parsed = SegmentFilter.safeParse(c.req.query())
      return formPage(c, parsed.success ? formValuesOf(segmentFilterOf(parsed.data)) : {}, undefined)
    })
    .post('/segments', requireRole('segments.manage'), async (c) => {
      const s = c.get('staff')
      const body = await c.req.parseBody()
      const form = readSegmentForm(body)
      if (!form.ok) return formPage(c, textFields(body), form.errors, undefined, 422)
      const id = createSegment(s.bdb, actorOf(s), form.input, deps.clock.now())
      return c.redirect(`/admin/segments/${id}?notice=saved`, 303)
    })
    .get('/segments/:id{[0-9]+}', requireRole('members.read'), (c) => {
      const s = c.get('staff')
      const segment = findSegment(s.bdb, segmentId(c))
      if (!segment) return c.notFound()
      const names = filterNamesOf(filterOptionsOf(s.bdb))
      const { page } = SegmentPageQuery.parse(c.req.query())
      const list = segment.filter
        ? listMembers(s.bdb, { filters: [segment.filter], search: { kind: 'none' }, page })
        : undefined
      const unmasked = can(s.role, 'members.contact')
      const notice = fixedNotice(c, { saved: 'Segment saved.', updated: 'Segment updated.' })
      c.header('Cache-Control', 'no-store')
      return c.html(
        <SegmentPage
          staff={staffView(s)}
          segment={viewOf(segment, list ? list.total : null, names)}
          rows={list ? list.rows.map((r) => memberListView(pii, r, unmasked)) : []}
          page={list?.page ?? 1}
          pageCount={list?.pageCount ?? 1}
          canManage={can(s.role, 'segments.manage')}
          canExport={can(s.role, 'segments.export')}
          contactsInFull={unmasked}
          notice={notice}
        />,
      )
    })
    .get('/segments/:id{[0-9]+}/edit', requireRole('segments.manage'), (c) => {
      const s = c.get('staff')
      const segment = findSegment(s.bdb, segmentId(c))
      if (!segment) return c.notFound()
      return formPage(
        c,
        {
          name: segment.name,
          description: segment.description ?? '',
          ...formValuesOf(segment.filter ?? {}),
        },
        segment.problems.length > 0 ? segment.problems : undefined,
        segment.id,
      )
    })
    .post('/segments/:id{[0-9]+}', requireRole('segments.manage'), async (c) => {
      const s = c.get('staff')
      const id = segmentId(c)
      const body = await c.req.parseBody()
      const form = readSegmentForm(body)
      if (!form.ok) {
        if (!findSegment(s.bdb, id)) return c.notFound()
        return formPage(c, textFields(body), form.errors, id, 422)
      }
      const outcome = updateSegment(s.bdb, actorOf(s), id, form.input, deps.clock.now())
      if (outcome.kind === 'not-found') return c.notFound()
      return c.redirect(`/admin/segments/${id}?notice=updated`, 303)
    })
    .get('/segments/:id{[0-9]+}/delete', requireRole('segments.manage'), (c) => deletePage(c, 200))
    .post('/segments/:id{[0-9]+}/delete', requireRole('segments.manage'), async (c) => {
      const s = c.get('staff')
      // Only the confirmation page sends confirm=yes: a bare POST (a stray button, a replayed
      // request) shows that page again instead of deleting.
      if (!DeleteSegmentForm.safeParse(await c.req.parseBody()).success) return deletePage(c, 422)
      const outcome = deleteSegment(s.bdb, actorOf(s), segmentId(c), deps.clock.now())
      if (outcome.kind === 'not-found') return c.notFound()
      return c.redirect(
        notices.href(c, '/admin/segments', `Segment “${outcome.name.slice(0, 80)}” deleted.`),
        303,
      )
    })
    .post('/segments/:id{[0-9]+}/export', requireRole('segments.export'), (c) => {
      const s = c.get('staff')
      const segment = findSegment(s.bdb, segmentId(c))
      if (!segment) return c.notFound()
      const filter = segment.filter
      if (!filter)
        return c.text(
          `This segment's filter cannot be read (${segment.problems.join('; ')}). Edit it first.`,
          422,
        )
      const unmasked = can(s.role, 'members.contact')
      const now = deps.clock.now()
      recordSegmentExport(s.bdb, actorOf(s), { ...segment, filter }, unmasked, now)
      async function* views() {
        for await (const row of memberRowsOf(s.bdb, filter!)) yield memberListView(pii, row, unmasked)
      }
      return streamDownload({
        stream: segmentCsvStream(views()),
        fileName: `segment-${segment.id}-${chinaDateKey(now)}.csv`,
        contentType: 'text/csv; charset=utf-8',
      })
    })
}
