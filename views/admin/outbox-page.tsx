import type { OutboxRow } from '../../src/members/member-admin-store.ts'
import { AdminPage, formatTime, type StaffView } from './admin-page.tsx'

/** The development outbox: the sign-in codes the outbox sender would have sent, newest first. */
export function OutboxPage(p: {
  staff: StaffView
  rows: (Omit<OutboxRow, 'recipient'> & { recipient: string })[]
  nextBefore?: number
}) {
  return (
    <AdminPage staff={p.staff} title="Outbox" current="/admin/outbox">
      <h1>Development outbox</h1>
      <p class="muted">
        Without a configured sender, sign-in codes are not sent: they are written here and to the log. In
        production, configure SMTP for email and an SMS provider for phones (see the README); nothing appears
        here then.
      </p>
      {p.rows.length === 0 ? (
        <div class="empty">No messages.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Channel</th>
              <th>To</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {p.rows.map((r) => (
              <tr data-outbox={String(r.id)}>
                <td>{formatTime(r.createdAt)}</td>
                <td>{r.channel === 'sms' ? 'SMS' : 'Email'}</td>
                <td class="mono">{r.recipient}</td>
                <td style="overflow-wrap:anywhere">{r.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p.nextBefore ? (
        <div class="pager">
          <a href={`/admin/outbox?before=${p.nextBefore}`}>Older messages →</a>
        </div>
      ) : null}
    </AdminPage>
  )
}
