import type { StaffRole } from '../../src/staff/staff-schema.ts'
import { STAFF_ROLES } from '../../src/staff/staff-schema.ts'
import type { StaffRow } from '../../src/staff/staff-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, ROLE_LABELS, type StaffView } from './admin-page.tsx'

export function StaffPage(props: {
  staff: StaffView
  members: StaffRow[]
  inviteLink?: string
  notice?: string
  errors?: string[]
  values?: { email?: string; name?: string; role?: StaffRole }
}) {
  return (
    <AdminPage staff={props.staff} title="Staff" current="/admin/staff">
      <h1>Staff</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      {props.inviteLink ? (
        <div class="warn">
          Invitation link (shown once, valid 7 days — send it to the new colleague):
          <div class="secret mono">{props.inviteLink}</div>
        </div>
      ) : null}
      <FormErrors errors={props.errors} />
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th>Status</th>
            <th>Since</th>
          </tr>
        </thead>
        <tbody>
          {props.members.map((m) => (
            <tr>
              <td>{m.name}</td>
              <td>{m.email}</td>
              <td>
                <form class="inline" method="post" action={`/admin/staff/${m.id}/role`}>
                  <CsrfField token={props.staff.csrfToken} />
                  <select name="role" aria-label={`Role of ${m.email}`}>
                    {STAFF_ROLES.map((r) => (
                      <option value={r} selected={m.role === r}>
                        {ROLE_LABELS[r]}
                      </option>
                    ))}
                  </select>
                  <button class="secondary" type="submit">
                    Change
                  </button>
                </form>
              </td>
              <td>{m.disabledAt ? 'disabled' : m.passwordHash ? 'active' : 'invited'}</td>
              <td>{formatTime(m.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <section class="card" style="margin-top:1rem">
        <h2>Invite a colleague</h2>
        <form class="stack" method="post" action="/admin/staff">
          <CsrfField token={props.staff.csrfToken} />
          <label>
            Email
            <input type="email" name="email" required maxlength={254} value={props.values?.email ?? ''} />
          </label>
          <label>
            Name
            <input name="name" required maxlength={100} value={props.values?.name ?? ''} />
          </label>
          <label>
            Role
            <select name="role">
              {STAFF_ROLES.map((r) => (
                <option value={r} selected={(props.values?.role ?? 'operator') === r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Create invitation</button>
        </form>
      </section>
    </AdminPage>
  )
}

export function AuditPage(props: {
  staff: StaffView
  rows: {
    id: number
    at: number
    actorLabel: string
    action: string
    subjectType: string
    subjectId: string
    detail: unknown
  }[]
  nextBefore?: number
}) {
  return (
    <AdminPage staff={props.staff} title="Audit log" current="/admin/audit">
      <h1>Audit log</h1>
      {props.rows.length === 0 ? (
        <div class="empty">Nothing recorded yet.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Subject</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr>
                <td>{formatTime(r.at)}</td>
                <td>{r.actorLabel}</td>
                <td class="mono">{r.action}</td>
                <td>
                  {r.subjectType} {r.subjectId}
                </td>
                <td class="mono" style="max-width:28rem;overflow-wrap:anywhere">
                  {JSON.stringify(r.detail).slice(0, 400)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextBefore ? (
        <div class="pager">
          <a href={`/admin/audit?before=${props.nextBefore}`}>Older entries →</a>
        </div>
      ) : null}
    </AdminPage>
  )
}
