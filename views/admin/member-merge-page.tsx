import type { MergeRecord, MergeSide, Takeover } from '../../src/members/member-merge-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'

/** The state of the merge screen: naming the other member, comparing both, or already merged. */
export type MergePageState =
  | { step: 'start'; from: MergeSide; query?: string; errors?: string[] }
  | {
      step: 'preview'
      from: MergeSide
      into: MergeSide
      takeover: Takeover
      query: string
      errors?: string[]
    }
  | { step: 'closed'; fromId: number; message: string; record?: MergeRecord; done?: boolean }

export type MergePageProps = { staff: StaffView } & MergePageState

const dash = (v: string | null) => v ?? '—'

/** One member's card in the preview: phone and email arrive already masked for the viewer. */
function SideCard({ title, m }: { title: string; m: MergeSide }) {
  return (
    <section class="card" data-side={String(m.id)}>
      <h2>
        {title}: <a href={`/admin/members/${m.id}`}>#{m.id}</a>
      </h2>
      <dl>
        <dt>Phone</dt>
        <dd class="mono">{dash(m.phone)}</dd>
        <dt>Email</dt>
        <dd class="mono">{dash(m.email)}</dd>
        <dt>Name</dt>
        <dd>{dash(m.name)}</dd>
        <dt>Birthday</dt>
        <dd>{dash(m.birthday)}</dd>
        <dt>Region</dt>
        <dd>{dash(m.regionCode)}</dd>
        <dt>Joined</dt>
        <dd>{formatTime(m.createdAt)}</dd>
        <dt>Tier</dt>
        <dd>{m.tier ?? 'none'}</dd>
        <dt>Balance</dt>
        <dd class="num" data-balance={String(m.balance)}>
          {m.balance}
        </dd>
        <dt>Claims · scans · redemptions</dt>
        <dd>
          {m.claims} · {m.scans} · {m.redemptions}
        </dd>
      </dl>
      {m.lots.length === 0 ? (
        <p class="muted">No points left.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th class="num">Points</th>
              <th>Expire</th>
            </tr>
          </thead>
          <tbody>
            {m.lots.map((l) => (
              <tr data-lot={String(l.id)}>
                <td class="num">{l.remaining}</td>
                <td>{l.expiresAt === null ? 'never' : formatTime(l.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function SearchForm({ fromId, query }: { fromId: number; query?: string }) {
  return (
    <form class="inline" method="get" action={`/admin/members/${fromId}/merge`}>
      <label>
        Member to keep: number, mobile or email{' '}
        <input
          name="into"
          required
          maxlength={254}
          value={query ?? ''}
          placeholder="#123, 138 0013 8000 or name@example.com"
        />
      </label>
      <button type="submit">Preview merge</button>
    </form>
  )
}

function takeoverText(t: Takeover): string | null {
  const parts = [...(t.phone ? ['phone'] : []), ...(t.email ? ['email'] : []), ...t.fields]
  return parts.length === 0 ? null : `It also takes over what it lacks: ${parts.join(', ')}.`
}

/**
 * The merge screens: name the member to keep, compare both, confirm; and the closed state of a
 * member already merged away. Owners only ('members.merge').
 */
export function MemberMergePage(p: MergePageProps) {
  if (p.step === 'closed') {
    return (
      <AdminPage staff={p.staff} title={`Merge member #${p.fromId}`} current="/admin/members">
        <p>
          <a href="/admin/members">← Members</a>
        </p>
        <h1>Merge member #{p.fromId}</h1>
        <p class={p.done ? 'notice' : 'warn'} role="status">
          {p.done ? 'Merged. ' : ''}
          {p.message}
        </p>
        {p.record ? (
          <p data-merge={String(p.record.id)}>
            {formatTime(p.record.at)}: {p.record.pointsMoved} points moved to{' '}
            <a href={`/admin/members/${p.record.intoMemberId}`}>member #{p.record.intoMemberId}</a>.
          </p>
        ) : null}
      </AdminPage>
    )
  }
  const from = p.from
  return (
    <AdminPage staff={p.staff} title={`Merge member #${from.id}`} current="/admin/members">
      <p>
        <a href={`/admin/members/${from.id}`}>← Member #{from.id}</a>
      </p>
      <h1>Merge member #{from.id} into another member</h1>
      <p class="muted">
        Use this when one person has two memberships (for example one by phone, one by email). The member you
        merge away is emptied; the member you keep gets its points with their expiry dates, its claims, scans
        and redemptions.
      </p>
      <FormErrors errors={p.errors} />
      {p.step === 'start' ? (
        <>
          <SearchForm fromId={from.id} query={p.query} />
          <div class="grid2">
            <SideCard title="Merged away" m={from} />
          </div>
        </>
      ) : (
        <>
          <SearchForm fromId={from.id} query={p.query} />
          <div class="grid2">
            <SideCard title="Merged away" m={from} />
            <SideCard title="Kept" m={p.into} />
          </div>
          <form class="stack card" method="post" action={`/admin/members/${from.id}/merge`}>
            <CsrfField token={p.staff.csrfToken} />
            <input type="hidden" name="into" value={String(p.into.id)} />
            <p>
              Member #{p.into.id} gets{' '}
              {from.balance === 0
                ? 'no points (there are none to move)'
                : `${from.balance} points (${from.lots.length} ${from.lots.length === 1 ? 'lot' : 'lots'}, each keeping its expiry date)`}
              , {from.claims} claims, {from.scans} scans and {from.redemptions} redemptions.{' '}
              {takeoverText(p.takeover)}
            </p>
            <label class="check">
              <input name="confirm" type="checkbox" value="yes" required /> Merge member #{from.id} into
              member #{p.into.id}. Member #{from.id}'s personal data is erased and it can no longer sign in;
              this cannot be undone.
            </label>
            <div>
              <button class="danger" type="submit">
                Merge
              </button>{' '}
              <a href={`/admin/members/${from.id}`}>Cancel</a>
            </div>
          </form>
        </>
      )}
    </AdminPage>
  )
}
