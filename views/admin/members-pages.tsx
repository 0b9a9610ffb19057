import type { HistoryItem } from '../../src/members/account-history.ts'
import type { ConsentEvent, PointsSummary, TierStatus } from '../../src/members/account-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'

/** A member as the console shows them: `identity` is already masked for roles other than owner. */
export type MemberView = {
  id: number
  identity: string
  name: string | null
  birthday: string | null
  gender: string | null
  regionCode: string | null
  createdAt: number
  deletedAt: number | null
  balance: number
}

function MemberTable({ rows }: { rows: MemberView[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Member</th>
          <th>Phone or email</th>
          <th>Name</th>
          <th>Joined</th>
          <th class="num">Balance</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((m) => (
          <tr data-member={String(m.id)}>
            <td>
              <a href={`/admin/members/${m.id}`}>#{m.id}</a>
            </td>
            <td class="mono">{m.deletedAt ? <span class="pill voided">erased</span> : m.identity}</td>
            <td>{m.name ?? '—'}</td>
            <td>{formatTime(m.createdAt)}</td>
            <td class="num">{m.balance}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function MembersPage(p: {
  staff: StaffView
  rows: MemberView[]
  query?: string
  lookupError?: string
  nextBefore?: number
  isLookup: boolean
  canSeePrivacy: boolean
}) {
  return (
    <AdminPage staff={p.staff} title="Members" current="/admin/members">
      <h1>Members</h1>
      <form class="inline" method="get" action="/admin/members">
        <label>
          Phone or email{' '}
          <input
            name="q"
            value={p.query ?? ''}
            maxlength={254}
            placeholder="138 0013 8000 or name@example.com"
          />
        </label>
        <button type="submit">Look up</button>
        {p.isLookup ? <a href="/admin/members">Show all</a> : null}
      </form>
      <FormErrors errors={p.lookupError ? [p.lookupError] : undefined} />
      {p.canSeePrivacy ? (
        <p>
          <a href="/admin/privacy">Data export and erasure requests</a>
        </p>
      ) : null}
      {p.rows.length === 0 ? (
        <div class="empty">{p.isLookup ? 'No member with this phone or email.' : 'No members yet.'}</div>
      ) : (
        <MemberTable rows={p.rows} />
      )}
      {p.nextBefore ? (
        <div class="pager">
          <a href={`/admin/members?before=${p.nextBefore}`}>Older members →</a>
        </div>
      ) : null}
    </AdminPage>
  )
}

function describe(h: HistoryItem): string {
  if (h.type === 'scan') return [h.product, h.verdict, h.placeEn].filter(Boolean).join(' · ')
  if (h.type === 'adjustment') return h.memo
  return [h.product ?? h.reward, h.memo].filter(Boolean).join(' · ')
}

export type AdjustValues = { amount?: string; reason?: string }

export function MemberPage(p: {
  staff: StaffView
  member: MemberView
  summary: PointsSummary
  tier: TierStatus | null
  consents: ConsentEvent[]
  privacy: { kind: string; at: number }[]
  history: { items: HistoryItem[]; page: number; hasMore: boolean }
  canAdjust: boolean
  values?: AdjustValues
  errors?: string[]
  notice?: string
}) {
  const m = p.member
  const base = `/admin/members/${m.id}`
  return (
    <AdminPage staff={p.staff} title={`Member #${m.id}`} current="/admin/members">
      <p>
        <a href="/admin/members">← Members</a>
      </p>
      <h1>Member #{m.id}</h1>
      {p.notice ? (
        <p class="notice" role="status">
          {p.notice}
        </p>
      ) : null}
      {m.deletedAt ? (
        <p class="warn">
          This member erased their account on {formatTime(m.deletedAt)}; their personal data is gone.
        </p>
      ) : null}
      <div class="grid2">
        <section class="card">
          <h2>Profile</h2>
          <dl>
            <dt>Phone or email</dt>
            <dd class="mono">{m.deletedAt ? '—' : m.identity}</dd>
            <dt>Name</dt>
            <dd>{m.name ?? '—'}</dd>
            <dt>Birthday</dt>
            <dd>{m.birthday ?? '—'}</dd>
            <dt>Gender</dt>
            <dd>{m.gender ?? '—'}</dd>
            <dt>Region</dt>
            <dd>{m.regionCode ?? '—'}</dd>
            <dt>Joined</dt>
            <dd>{formatTime(m.createdAt)}</dd>
          </dl>
        </section>
        <section class="card">
          <h2>Points</h2>
          <p class="balance" data-balance={String(p.summary.balance)}>
            {p.summary.balance}
          </p>
          <p class="muted">
            {p.summary.expiring
              ? `${p.summary.expiring.points} expire in the next 30 days (first on ${formatTime(p.summary.expiring.firstAt)})`
              : 'None expire in the next 30 days.'}
          </p>
          {p.tier ? <p>Tier: {p.tier.current ?? 'none'}</p> : null}
        </section>
      </div>

      {p.canAdjust && !m.deletedAt ? (
        <section class="card">
          <h2>Adjust points</h2>
          <FormErrors errors={p.errors} />
          <form class="stack" method="post" action={`${base}/adjust`}>
            <CsrfField token={p.staff.csrfToken} />
            <label>
              Points (a minus sign takes points away)
              <input name="amount" inputmode="numeric" required value={p.values?.amount ?? ''} />
            </label>
            <label>
              Reason (kept in the audit log)
              <textarea name="reason" required minlength={5} maxlength={500}>
                {p.values?.reason ?? ''}
              </textarea>
            </label>
            <button type="submit">Adjust</button>
          </form>
        </section>
      ) : null}

      <h2>Consents</h2>
      {p.consents.length === 0 ? (
        <div class="empty">No consent recorded.</div>
      ) : (
        <table>
          <tbody>
            {p.consents.map((e) => (
              <tr data-consent={e.kind}>
                <td>{formatTime(e.at)}</td>
                <td>{e.kind}</td>
                <td>{e.granted ? 'granted' : 'withdrawn'}</td>
                <td class="mono">{e.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {p.privacy.length > 0 ? (
        <>
          <h2>Privacy requests</h2>
          <ul>
            {p.privacy.map((r) => (
              <li>
                {r.kind} · {formatTime(r.at)}
              </li>
            ))}
          </ul>
        </>
      ) : null}

      <h2>History</h2>
      {p.history.items.length === 0 ? (
        <div class="empty">No scans or points yet.</div>
      ) : (
        <table>
          <tbody>
            {p.history.items.map((h) => (
              <tr data-kind={h.type}>
                <td>{formatTime(h.at)}</td>
                <td>{h.type}</td>
                <td>{describe(h)}</td>
                <td class="num">
                  {h.type === 'scan' ? '' : h.amount > 0 ? `+${h.amount}` : String(h.amount)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p.history.page > 1 || p.history.hasMore ? (
        <div class="pager">
          {p.history.page > 1 ? <a href={`${base}?page=${p.history.page - 1}`}>← Newer</a> : null}{' '}
          {p.history.hasMore ? <a href={`${base}?page=${p.history.page + 1}`}>Older →</a> : null}
        </div>
      ) : null}
    </AdminPage>
  )
}

export function PrivacyRequestsPage(p: {
  staff: StaffView
  rows: { id: number; memberId: number; kind: string; at: number }[]
  nextBefore?: number
}) {
  return (
    <AdminPage staff={p.staff} title="Privacy requests" current="/admin/members">
      <h1>Data export and erasure requests</h1>
      <p class="muted">
        Members download their data and delete their accounts themselves from their account page; this list is
        the record of those requests.
      </p>
      {p.rows.length === 0 ? (
        <div class="empty">No requests yet.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Request</th>
              <th>Member</th>
            </tr>
          </thead>
          <tbody>
            {p.rows.map((r) => (
              <tr data-request={r.kind}>
                <td>{formatTime(r.at)}</td>
                <td>{r.kind === 'export' ? 'Data export' : 'Erasure'}</td>
                <td>
                  <a href={`/admin/members/${r.memberId}`}>#{r.memberId}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p.nextBefore ? (
        <div class="pager">
          <a href={`/admin/privacy?before=${p.nextBefore}`}>Older requests →</a>
        </div>
      ) : null}
    </AdminPage>
  )
}
