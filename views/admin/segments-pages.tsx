import type { FilterOptions, MemberListView } from '../../src/members/member-list-view.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'
import { FilterFields, type FilterValues, MemberTable } from './members-pages.tsx'

/** A segment as its pages show it: its filter already put in words. */
export type SegmentView = {
  id: number
  name: string
  description: string | null
  words: string[]
  /** Why a stored filter no longer reads (the segment then has no size and no export). */
  problems: string[]
  /** Live size; null when the filter cannot be read. */
  size: number | null
  updatedAt: number
}

function FilterWords({ s }: { s: SegmentView }) {
  if (s.problems.length > 0) return <span class="error">Filter unreadable: {s.problems.join('; ')}</span>
  return <>{s.words.length > 0 ? s.words.join(' · ') : 'every current member'}</>
}

export function SegmentsPage(p: {
  staff: StaffView
  segments: SegmentView[]
  canManage: boolean
  notice?: string
}) {
  return (
    <AdminPage staff={p.staff} title="Segments" current="/admin/segments">
      <h1>Segments</h1>
      {p.notice ? (
        <p class="notice" role="status">
          {p.notice}
        </p>
      ) : null}
      <p class="muted">
        A segment is a saved filter over members; its size is counted live, each time this page opens.
        {p.canManage ? (
          <>
            {' '}
            To make one, filter the <a href="/admin/members">members list</a> and choose “Save these filters
            as a segment”, or <a href="/admin/segments/new">start from an empty filter</a>.
          </>
        ) : null}
      </p>
      {p.segments.length === 0 ? (
        <div class="empty">No segments yet.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Segment</th>
              <th>Filter</th>
              <th class="num">Members now</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {p.segments.map((s) => (
              <tr data-segment={String(s.id)}>
                <td>
                  <a href={`/admin/segments/${s.id}`}>{s.name}</a>
                  {s.description ? <div class="muted">{s.description}</div> : null}
                </td>
                <td>
                  <FilterWords s={s} />
                </td>
                <td class="num" data-size={s.size === null ? '' : String(s.size)}>
                  {s.size === null ? '—' : s.size.toLocaleString('en')}
                </td>
                <td>{formatTime(s.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminPage>
  )
}

export function SegmentPage(p: {
  staff: StaffView
  segment: SegmentView
  rows: MemberListView[]
  page: number
  pageCount: number
  canManage: boolean
  canExport: boolean
  contactsInFull: boolean
  notice?: string
}) {
  const s = p.segment
  const base = `/admin/segments/${s.id}`
  return (
    <AdminPage staff={p.staff} title={`Segment ${s.name}`} current="/admin/segments">
      <p>
        <a href="/admin/segments">← Segments</a>
      </p>
      <h1>{s.name}</h1>
      {p.notice ? (
        <p class="notice" role="status">
          {p.notice}
        </p>
      ) : null}
      {s.description ? <p>{s.description}</p> : null}
      <div class="stats">
        <div>
          Members now
          <b data-size={s.size === null ? '' : String(s.size)}>
            {s.size === null ? '—' : s.size.toLocaleString('en')}
          </b>
        </div>
      </div>
      <p>
        Members who are <FilterWords s={s} />.
      </p>
      <p>
        <a href={`/admin/members?segment=${s.id}`}>Open in the members list</a>
        {p.canManage ? (
          <>
            {' · '}
            <a href={`${base}/edit`}>Edit</a>
            {' · '}
            <a href={`${base}/delete`}>Delete…</a>
          </>
        ) : null}
      </p>
      {p.canExport && s.size !== null ? (
        <form class="inline card" method="post" action={`${base}/export`}>
          <CsrfField token={p.staff.csrfToken} />
          <span>
            CSV of the {s.size.toLocaleString('en')} members: id,{' '}
            {p.contactsInFull ? 'phone and email' : 'masked phone and email'}, name, tier, balance, points
            earned, last scan, tags. The export is recorded in the audit log.
          </span>
          <button type="submit">Export CSV</button>
        </form>
      ) : null}
      {p.rows.length === 0 ? (
        <div class="empty">
          {s.size === null ? 'Edit the segment to fix its filter.' : 'No member is in this segment now.'}
        </div>
      ) : (
        <MemberTable rows={p.rows} />
      )}
      {p.pageCount > 1 ? (
        <nav class="pager" aria-label="Pages">
          {p.page > 1 ? <a href={`${base}?page=${p.page - 1}`}>← Previous</a> : null}
          <span>
            Page {p.page} of {p.pageCount}
          </span>
          {p.page < p.pageCount ? <a href={`${base}?page=${p.page + 1}`}>Next →</a> : null}
        </nav>
      ) : null}
    </AdminPage>
  )
}

/** New and edit: name, description and the same filter fields as the members list. */
export function SegmentFormPage(p: {
  staff: StaffView
  segmentId?: number
  values: FilterValues & { name?: string; description?: string }
  options: FilterOptions
  errors?: string[]
}) {
  const isNew = p.segmentId === undefined
  const action = isNew ? '/admin/segments' : `/admin/segments/${p.segmentId}`
  return (
    <AdminPage staff={p.staff} title={isNew ? 'New segment' : 'Edit segment'} current="/admin/segments">
      <p>
        <a href={isNew ? '/admin/segments' : action}>← {isNew ? 'Segments' : 'Segment'}</a>
      </p>
      <h1>{isNew ? 'New segment' : `Edit ${p.values.name ?? 'segment'}`}</h1>
      <FormErrors errors={p.errors} />
      <form class="stack wide" method="post" action={action}>
        <CsrfField token={p.staff.csrfToken} />
        <label>
          Name
          <input name="name" required maxlength={80} value={p.values.name ?? ''} />
        </label>
        <label>
          Description (optional)
          <textarea name="description" maxlength={500}>
            {p.values.description ?? ''}
          </textarea>
        </label>
        <fieldset>
          <legend>Members who are…</legend>
          <FilterFields values={p.values} options={p.options} />
        </fieldset>
        <p class="muted">Dates are China time (UTC+8). Empty fields do not filter.</p>
        <button type="submit">{isNew ? 'Save segment' : 'Save changes'}</button>
      </form>
    </AdminPage>
  )
}

export function SegmentDeletePage(p: { staff: StaffView; segment: SegmentView; errors?: string[] }) {
  const s = p.segment
  return (
    <AdminPage staff={p.staff} title={`Delete ${s.name}`} current="/admin/segments">
      <h1>Delete the segment “{s.name}”?</h1>
      <FormErrors errors={p.errors} />
      <p>
        Only the saved filter goes: its {s.size === null ? '' : `${s.size.toLocaleString('en')} `}members,
        their tags and points stay as they are. The deletion is recorded in the audit log.
      </p>
      <form class="inline" method="post" action={`/admin/segments/${s.id}/delete`}>
        <CsrfField token={p.staff.csrfToken} />
        <input type="hidden" name="confirm" value="yes" />
        <button class="danger" type="submit">
          Delete segment
        </button>
        <a href={`/admin/segments/${s.id}`}>Cancel</a>
      </form>
    </AdminPage>
  )
}
