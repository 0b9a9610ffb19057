import type { StaffRole } from '../../src/staff/staff-schema.ts'
import { STAFF_ROLES } from '../../src/staff/staff-schema.ts'
import type { StaffListing, StaffStatus } from '../../src/staff/staff-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, ROLE_LABELS, type StaffView } from './admin-page.tsx'

const STATUS_LABELS: Record<StaffStatus, string> = {
  active: 'active',
  disabled: 'disabled',
  invited: 'invited',
  'invite-lapsed': 'invitation revoked or expired',
}

/** The link shown once after an invitation, a new invitation link or a password reset. */
export type IssuedLink = { url: string; email?: string; reset?: boolean }

export function StaffPage(props: {
  staff: StaffView
  /** The signed-in owner, who may not disable nor reset themselves here. */
  selfId: number
  members: StaffListing[]
  inviteLink?: IssuedLink
  notice?: string
  errors?: string[]
  values?: { email?: string; name?: string; role?: StaffRole }
}) {
  const link = props.inviteLink
  return (
    <AdminPage staff={props.staff} title="Staff" current="/admin/staff">
      <h1>Staff</h1>
      {props.notice ? (
        <div class="notice" role="status">
          {props.notice}
        </div>
      ) : null}
      {link ? (
        <div class="warn">
          {link.reset
            ? `Password reset link for ${link.email}: their old password and sessions no longer work. `
            : link.email
              ? `New invitation link for ${link.email}: older links no longer work. `
              : null}
          Shown once, valid 7 days — send it to your colleague:
          <div class="secret mono">{link.url}</div>
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
            <th>Access</th>
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
              <td>
                {m.status === 'disabled' ? <b class="error">disabled</b> : STATUS_LABELS[m.status]}
                {m.status === 'disabled' ? (
                  <div class="muted">since {formatTime(m.disabledAt)}</div>
                ) : m.status === 'invited' ? (
                  <div class="muted">link valid until {formatTime(m.inviteExpiresAt)}</div>
                ) : null}
              </td>
              <td>{formatTime(m.createdAt)}</td>
              <td>
                <StaffActions member={m} csrfToken={props.staff.csrfToken} isSelf={m.id === props.selfId} />
              </td>
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

function StaffActions(props: { member: StaffListing; csrfToken: string; isSelf: boolean }) {
  const m = props.member
  if (props.isSelf) {
    return (
      <a href="/admin/account" class="muted">
        Your account
      </a>
    )
  }
  const post = (action: string, label: string, cls = 'secondary') => (
    <form class="inline" method="post" action={`/admin/staff/${m.id}/${action}`}>
      <CsrfField token={props.csrfToken} />
      <button class={cls} type="submit">
        {label}
      </button>
    </form>
  )
  return (
    <div style="display:flex;gap:0.4rem;flex-wrap:wrap">
      {m.status === 'disabled' ? post('enable', 'Enable') : null}
      {m.status === 'invited' ? post('revoke-invite', 'Revoke invitation') : null}
      {m.status === 'invited' || m.status === 'invite-lapsed' ? post('invite', 'New invitation link') : null}
      {m.status === 'active' ? (
        <a class="button secondary" href={`/admin/staff/${m.id}/reset-password`}>
          Reset password…
        </a>
      ) : null}
      {m.status !== 'disabled' ? (
        <a class="button secondary" href={`/admin/staff/${m.id}/disable`}>
          Disable…
        </a>
      ) : null}
    </div>
  )
}

/**
 * The confirmation step of a staff action that locks someone out (disable, password reset): a page
 * of its own, so it works without JavaScript; its form carries `confirm=yes`, which the POST requires.
 */
export function StaffConfirmPage(props: {
  staff: StaffView
  member: { id: number; name: string; email: string; role: StaffRole }
  action: 'disable' | 'reset-password'
  errors?: string[]
}) {
  const m = props.member
  const disable = props.action === 'disable'
  const title = disable ? `Disable ${m.email}?` : `Reset the password of ${m.email}?`
  return (
    <AdminPage staff={props.staff} title={title} current="/admin/staff">
      <h1>{title}</h1>
      <FormErrors errors={props.errors} />
      <section class="card">
        <p>
          <b>{m.name}</b> ({m.email}, {ROLE_LABELS[m.role]})
        </p>
        {disable ? (
          <p>
            They are signed out everywhere at once and can no longer sign in. Their audit history stays. An
            owner can enable them again later.
          </p>
        ) : (
          <p>
            Their current password stops working and they are signed out everywhere at once. You get a
            one-time link (valid 7 days) for them to choose a new password; send it over a channel you trust.
          </p>
        )}
        <form class="stack" method="post" action={`/admin/staff/${m.id}/${props.action}`}>
          <CsrfField token={props.staff.csrfToken} />
          <input type="hidden" name="confirm" value="yes" />
          <button class="danger" type="submit">
            {disable ? 'Disable and sign out' : 'Reset password and sign out'}
          </button>
        </form>
        <p>
          <a href="/admin/staff">Cancel</a>
        </p>
      </section>
    </AdminPage>
  )
}

export type PasswordFieldErrors = Partial<Record<'current' | 'password' | 'confirm', string>>

/** A staff member's own account: who they are, and changing their password. */
export function AccountPage(props: {
  staff: StaffView
  minPasswordLength: number
  notice?: string
  error?: string
  fieldErrors?: PasswordFieldErrors
}) {
  const fe = props.fieldErrors ?? {}
  const field = (
    name: 'current' | 'password' | 'confirm',
    label: string,
    autocomplete: string,
    minlength?: number,
  ) => (
    <label>
      {label}
      <input
        type="password"
        name={name}
        required
        minlength={minlength}
        maxlength={1024}
        autocomplete={autocomplete}
        aria-invalid={fe[name] ? 'true' : undefined}
        aria-describedby={fe[name] ? `${name}-error` : undefined}
      />
      {fe[name] ? (
        <span class="error" id={`${name}-error`}>
          {fe[name]}
        </span>
      ) : null}
    </label>
  )
  return (
    <AdminPage staff={props.staff} title="Your account" current="/admin/account">
      <h1>Your account</h1>
      {props.notice ? (
        <div class="notice" role="status">
          {props.notice}
        </div>
      ) : null}
      <p>
        {props.staff.name} · {props.staff.email} · {ROLE_LABELS[props.staff.role]} at {props.staff.brandName}
      </p>
      <section class="card" style="max-width:30rem">
        <h2>Change your password</h2>
        <p class="muted">Your other sessions are signed out; this one stays signed in.</p>
        <FormErrors errors={props.error ? [props.error] : undefined} />
        <form class="stack" method="post" action="/admin/account/password">
          <CsrfField token={props.staff.csrfToken} />
          {field('current', 'Current password', 'current-password')}
          {field(
            'password',
            `New password (at least ${props.minPasswordLength} characters)`,
            'new-password',
            props.minPasswordLength,
          )}
          {field('confirm', 'Repeat the new password', 'new-password', props.minPasswordLength)}
          <button type="submit">Change password</button>
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
