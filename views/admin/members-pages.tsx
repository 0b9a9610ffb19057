import type { HistoryItem } from '../../src/members/account-history.ts'
import type { ConsentEvent, PointsSummary, TierStatus } from '../../src/members/account-store.ts'
import { LIFECYCLES } from '../../src/members/auto-tags.ts'
import { MEMBER_SORTS, SORT_LABELS } from '../../src/members/member-filter.ts'
import type { FilterOptions, MemberListView } from '../../src/members/member-list-view.ts'
import type { MemberTag, TagSource } from '../../src/members/member-tag-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'

/** What the filter form shows: the raw values as typed, so a mistyped date is shown back, not lost. */
export type FilterValues = Partial<Record<string, string>>

const MEMBER_RESULTS_ID = 'member-results'
/** Tags shown in a list row; the member page shows them all. */
const TAGS_IN_ROW = 4

/** `+86138****8000` (or the full number for owners), or an email, or a dash. */
function contactLine(m: { phone: string | null; email: string | null }) {
  return [m.phone, m.email].filter(Boolean).join(' · ') || '—'
}

function TagPill({ tag, source }: { tag: string; source: TagSource }) {
  return (
    <span class={`pill ${source === 'manual' ? 'claimed' : 'exported'}`} data-tag={tag}>
      {tag}
    </span>
  )
}

function StatusCell({ m }: { m: MemberListView }) {
  if (m.status === 'erased') return <span class="pill voided">erased</span>
  if (m.status === 'merged') return <span class="pill voided">merged into #{m.mergedIntoId}</span>
  return <>{contactLine(m)}</>
}

/** The table of members, shared by the members list and a segment's page. */
export function MemberTable({ rows }: { rows: MemberListView[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Member</th>
          <th>Phone or email</th>
          <th>Name</th>
          <th>Tier</th>
          <th>Joined</th>
          <th>Last scan</th>
          <th class="num">Balance</th>
          <th class="num">Earned (365 d)</th>
          <th>Tags</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((m) => (
          <tr data-member={String(m.id)}>
            <td>
              <a href={`/admin/members/${m.id}`}>#{m.id}</a>
            </td>
            <td class="mono">
              <StatusCell m={m} />
            </td>
            <td>{m.status === 'erased' ? '—' : (m.name ?? '—')}</td>
            <td>{m.tierName ?? '—'}</td>
            <td>{formatTime(m.createdAt)}</td>
            <td>{formatTime(m.lastScanAt)}</td>
            <td class="num">{m.balance ?? '—'}</td>
            <td class="num">{m.pointsEarned ?? '—'}</td>
            <td>
              {m.tags.slice(0, TAGS_IN_ROW).map((t) => (
                <>
                  <TagPill tag={t.tag} source={t.source} />{' '}
                </>
              ))}
              {m.tags.length > TAGS_IN_ROW ? <span class="muted">+{m.tags.length - TAGS_IN_ROW}</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Select(p: {
  name: string
  label: string
  value: string | undefined
  options: { value: string; label: string }[]
  blank?: string
}) {
  return (
    <label>
      {p.label}
      <select name={p.name}>
        {p.blank !== undefined ? <option value="">{p.blank}</option> : null}
        {p.options.map((o) => (
          <option value={o.value} selected={p.value === o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  )
}

/**
 * The fields of a member filter (a segment's fields): used by the members list's form and by a
 * segment's edit page, so both read and write the same names.
 */
export function FilterFields({ values: v, options }: { values: FilterValues; options: FilterOptions }) {
  return (
    <>
      <Select
        name="tier"
        label="Tier"
        value={v.tier}
        blank="Any tier"
        options={[
          { value: 'none', label: 'No tier' },
          ...options.tiers.map((t) => ({ value: String(t.id), label: t.name })),
        ]}
      />
      <label>
        Tag
        <input
          name="tag"
          value={v.tag ?? ''}
          maxlength={100}
          placeholder="vip, lifecycle:dormant, rfm:r5"
          list="known-tag-kinds"
        />
      </label>
      <datalist id="known-tag-kinds">
        {LIFECYCLES.map((l) => (
          <option value={`lifecycle:${l}`} />
        ))}
        {[1, 2, 3, 4, 5].flatMap((n) => [
          <option value={`rfm:r${n}`} />,
          <option value={`rfm:f${n}`} />,
          <option value={`rfm:m${n}`} />,
        ])}
      </datalist>
      <Select
        name="lifecycle"
        label="Lifecycle"
        value={v.lifecycle}
        blank="Any"
        options={LIFECYCLES.map((l) => ({ value: l, label: l }))}
      />
      <Select
        name="region"
        label="Region (where they scan most)"
        value={v.region}
        blank="Anywhere"
        options={options.regions.map((r) => ({ value: r.code, label: `${r.name} (${r.code})` }))}
      />
      <label>
        Joined from
        <input type="date" name="joinedFrom" value={v.joinedFrom ?? ''} />
      </label>
      <label>
        Joined to
        <input type="date" name="joinedTo" value={v.joinedTo ?? ''} />
      </label>
      <label>
        Last scan from
        <input type="date" name="scannedFrom" value={v.scannedFrom ?? ''} />
      </label>
      <label>
        Last scan to
        <input type="date" name="scannedTo" value={v.scannedTo ?? ''} />
      </label>
      <label>
        Earned at least (365 d)
        <input name="earnedMin" inputmode="numeric" size={8} value={v.earnedMin ?? ''} />
      </label>
      <label>
        Balance at least
        <input name="balanceMin" inputmode="numeric" size={8} value={v.balanceMin ?? ''} />
      </label>
      <Select
        name="show"
        label="Show"
        value={v.show}
        options={[
          { value: 'current', label: 'Current members' },
          { value: 'all', label: 'Also erased and merged' },
        ]}
      />
    </>
  )
}

/** Links that swap the results in place with htmx and still work as plain links. */
function resultsLink(href: string) {
  return {
    href,
    'hx-get': href,
    'hx-target': `#${MEMBER_RESULTS_ID}`,
    'hx-swap': 'outerHTML',
    'hx-push-url': 'true',
  }
}

export type MemberResultsProps = {
  rows: MemberListView[]
  total: number
  page: number
  pageCount: number
  /** The list's query string without the page, for the pager links. */
  query: string
  /** The filter in words (segment applied first). */
  words: string[]
  errors?: string[]
  searched?: string
  /** The search was a phone number or an email (looked up by its keyed hash), not a name. */
  searchedIdentity?: boolean
  segment?: { id: number; name: string }
  /** The filter fields to save as a segment (hidden inputs), or undefined when saving is not offered. */
  save?: { fields: Record<string, string>; csrfToken: string; searchDropped: boolean }
  /** The newest roll-up time among the rows: the activity columns are as of then. */
  asOf: number | null
}

/** The results part of the members list: the page the filter form's htmx request swaps in. */
export function MemberResults(p: MemberResultsProps) {
  const pageHref = (n: number) =>
    `/admin/members?${[p.query, n > 1 ? `page=${n}` : ''].filter(Boolean).join('&')}`
  return (
    <section id={MEMBER_RESULTS_ID}>
      <FormErrors errors={p.errors} />
      {p.errors?.length ? null : (
        <p class="muted" data-total={String(p.total)}>
          <b>{p.total.toLocaleString('en')}</b> {p.total === 1 ? 'member' : 'members'}
          {p.segment ? (
            <>
              {' '}
              in segment <a href={`/admin/segments/${p.segment.id}`}>{p.segment.name}</a>
            </>
          ) : null}
          {p.searched ? <> matching “{p.searched}”</> : null}
          {p.words.length > 0 ? `: ${p.words.join(' · ')}` : ''}
          {p.asOf ? ` · activity as of ${formatTime(p.asOf)}` : ''}
        </p>
      )}
      {p.rows.length === 0 ? (
        <div class="empty">
          {p.errors?.length
            ? 'Correct the filter to see members.'
            : p.searched
              ? p.searchedIdentity
                ? 'No member with this phone or email.'
                : 'No member with this name.'
              : p.words.length > 0 || p.segment
                ? 'No member matches these filters.'
                : 'No members yet.'}
        </div>
      ) : (
        <MemberTable rows={p.rows} />
      )}
      {p.pageCount > 1 ? (
        <nav class="pager" aria-label="Pages">
          {p.page > 1 ? <a {...resultsLink(pageHref(p.page - 1))}>← Previous</a> : null}
          <span>
            Page {p.page} of {p.pageCount}
          </span>
          {p.page < p.pageCount ? <a {...resultsLink(pageHref(p.page + 1))}>Next →</a> : null}
        </nav>
      ) : null}
      {p.save ? (
        <details class="card">
          <summary>Save these filters as a segment</summary>
          <form class="stack" method="post" action="/admin/segments">
            <CsrfField token={p.save.csrfToken} />
            {Object.entries(p.save.fields).map(([name, value]) => (
              <input type="hidden" name={name} value={value} />
            ))}
            <label>
              Name
              <input name="name" required maxlength={80} />
            </label>
            <label>
              Description (optional)
              <textarea name="description" maxlength={500} />
            </label>
            {p.save.searchDropped ? (
              <p class="muted">The search text is not part of a segment; the other filters are.</p>
            ) : null}
            <button type="submit">Save as segment</button>
          </form>
        </details>
      ) : p.segment ? (
        <p class="muted">
          To save a new segment, clear the segment filter; to change “{p.segment.name}”,{' '}
          <a href={`/admin/segments/${p.segment.id}/edit`}>edit the segment</a>.
        </p>
      ) : null}
    </section>
  )
}

export function MembersPage(p: {
  staff: StaffView
  values: FilterValues
  options: FilterOptions
  results: MemberResultsProps
  canSeePrivacy: boolean
}) {
  const v = p.values
  return (
    <AdminPage staff={p.staff} title="Members" current="/admin/members">
      <h1>Members</h1>
      <p>
        <a href="/admin/segments">Segments</a>
        {p.canSeePrivacy ? (
          <>
            {' · '}
            <a href="/admin/privacy">Data export and erasure requests</a>
          </>
        ) : null}
      </p>
      <form
        class="inline card"
        method="get"
        action="/admin/members"
        hx-get="/admin/members"
        hx-target={`#${MEMBER_RESULTS_ID}`}
        hx-swap="outerHTML"
        hx-push-url="true"
        aria-label="Filter members"
      >
        <label>
          Phone, email or name
          <input
            name="q"
            type="search"
            value={v.q ?? ''}
            maxlength={254}
            placeholder="138 0013 8000, name@example.com or 王"
          />
        </label>
        <Select
          name="segment"
          label="Segment"
          value={v.segment}
          blank="All members"
          options={p.options.segments.map((s) => ({ value: String(s.id), label: s.name }))}
        />
        <FilterFields values={v} options={p.options} />
        <Select
          name="sort"
          label="Sort by"
          value={v.sort}
          options={MEMBER_SORTS.map((s) => ({ value: s, label: SORT_LABELS[s] }))}
        />
        <button type="submit">Apply</button>
        <a href="/admin/members">Clear</a>
      </form>
      <p class="muted">
        Dates are China time (UTC+8). Last scan, balance, points earned, lifecycle and region come from the
        nightly activity roll-up; the member page shows live figures.
      </p>
      <MemberResults {...p.results} />
    </AdminPage>
  )
}

function describe(h: HistoryItem): string {
  if (h.type === 'scan')
    return [
      h.product,
      h.verdict,
      h.placeEn && h.approximate ? `${h.placeEn} (by IP address, approximate)` : h.placeEn,
    ]
      .filter(Boolean)
      .join(' · ')
  if (h.type === 'held') return [h.product, `claim ${h.status} (diverted goods)`].filter(Boolean).join(' · ')
  if (h.type === 'adjustment') return h.memo
  return [h.product ?? h.reward, h.memo].filter(Boolean).join(' · ')
}

/** One member as the member page shows them: contacts already masked for roles other than owner. */
export type MemberDetailView = {
  id: number
  phone: string | null
  email: string | null
  name: string | null
  birthday: string | null
  gender: string | null
  regionCode: string | null
  createdAt: number
  deletedAt: number | null
  mergedIntoId: number | null
}

export type AdjustValues = { amount?: string; reason?: string }

/** The consent a member holds now for each kind: the newest event decides. */
export type ConsentState = { kind: string; event: ConsentEvent | null }

function TagsSection(p: {
  memberId: number
  tags: MemberTag[]
  canTag: boolean
  csrfToken: string
  errors?: string[]
  value?: string
}) {
  const auto = p.tags.filter((t) => t.source === 'auto')
  const manual = p.tags.filter((t) => t.source === 'manual')
  const base = `/admin/members/${p.memberId}/tags`
  return (
    <section class="card" id="tags">
      <h2>Tags</h2>
      <h3>Automatic</h3>
      {auto.length === 0 ? (
        <p class="muted">None yet: the tags job computes them from scans, claims and points.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Tag</th>
              <th>How it was computed</th>
              <th>Computed</th>
            </tr>
          </thead>
          <tbody>
            {auto.map((t) => (
              <tr data-auto-tag={t.tag}>
                <td>
                  <TagPill tag={t.tag} source="auto" />
                </td>
                <td>{t.reason}</td>
                <td>{formatTime(t.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Added by staff</h3>
      {manual.length === 0 ? (
        <p class="muted">No manual tags.</p>
      ) : (
        <table>
          <tbody>
            {manual.map((t) => (
              <tr data-manual-tag={t.tag}>
                <td>
                  <TagPill tag={t.tag} source="manual" />
                </td>
                <td>
                  {t.addedBy ? `added by ${t.addedBy} on ` : 'added on '}
                  {formatTime(t.createdAt)}
                </td>
                <td>
                  {p.canTag ? (
                    <form method="post" action={`${base}/remove`} class="inline">
                      <CsrfField token={p.csrfToken} />
                      <input type="hidden" name="tag" value={t.tag} />
                      <button class="secondary" type="submit">
                        Remove
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p.canTag ? (
        <>
          <FormErrors errors={p.errors} />
          <form class="inline" method="post" action={base}>
            <CsrfField token={p.csrfToken} />
            <label>
              New tag (letters, digits, - and _, up to 32)
              <input
                name="tag"
                required
                maxlength={32}
                pattern="[\p{L}\p{N}_\-]{1,32}"
                value={p.value ?? ''}
              />
            </label>
            <button type="submit">Add tag</button>
          </form>
        </>
      ) : null}
    </section>
  )
}

export function MemberPage(p: {
  staff: StaffView
  member: MemberDetailView
  summary: PointsSummary
  tier: TierStatus | null
  consents: ConsentEvent[]
  consentState: ConsentState[]
  privacy: { kind: string; at: number }[]
  history: { items: HistoryItem[]; page: number; hasMore: boolean }
  tags: MemberTag[]
  canAdjust: boolean
  canTag: boolean
  canMerge: boolean
  values?: AdjustValues
  errors?: string[]
  tagErrors?: string[]
  tagValue?: string
  notice?: string
}) {
  const m = p.member
  const base = `/admin/members/${m.id}`
  const isCurrent = m.deletedAt === null && m.mergedIntoId === null
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
      {m.mergedIntoId ? (
        <p class="warn">
          This member was merged into{' '}
          <a href={`/admin/members/${m.mergedIntoId}`}>member #{m.mergedIntoId}</a>; the row stays for
          history.
        </p>
      ) : null}
      <div class="grid2">
        <section class="card">
          <h2>Profile</h2>
          <dl>
            <dt>Phone</dt>
            <dd class="mono">{m.deletedAt ? '—' : (m.phone ?? '—')}</dd>
            <dt>Email</dt>
            <dd class="mono">{m.deletedAt ? '—' : (m.email ?? '—')}</dd>
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
          {p.canMerge && isCurrent ? (
            <p>
              <a href={`${base}/merge`}>Merge this member into another (this one is emptied)…</a>
            </p>
          ) : null}
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
          {p.tier ? (
            <p data-tier={p.tier.current ?? ''}>
              Tier: {p.tier.current ?? 'none'} · {p.tier.earned} points earned in {p.tier.windowDays} days
              {p.tier.next ? ` · ${p.tier.next.needed} more for ${p.tier.next.name}` : ''}
            </p>
          ) : null}
        </section>
      </div>

      {p.canAdjust && isCurrent ? (
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

      <TagsSection
        memberId={m.id}
        tags={p.tags}
        canTag={p.canTag && isCurrent}
        csrfToken={p.staff.csrfToken}
        errors={p.tagErrors}
        value={p.tagValue}
      />

      <h2>Consents</h2>
      <table>
        <thead>
          <tr>
            <th>Consent</th>
            <th>Now</th>
            <th>Text version</th>
            <th>Since</th>
          </tr>
        </thead>
        <tbody>
          {p.consentState.map((s) => (
            <tr data-consent-now={s.kind}>
              <td>{s.kind}</td>
              <td>{s.event ? (s.event.granted ? 'granted' : 'withdrawn') : 'never asked'}</td>
              <td class="mono">{s.event?.version ?? '—'}</td>
              <td>{formatTime(s.event?.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <details>
        <summary>Consent history ({p.consents.length})</summary>
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
      </details>

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
      <p class="muted">Scans, claims, redemptions, expiries and adjustments, newest first.</p>
      {p.history.items.length === 0 ? (
        <div class="empty">No scans or points yet.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th>Product, place and verdict, or reward and note</th>
              <th class="num">Points</th>
            </tr>
          </thead>
          <tbody>
            {p.history.items.map((h) => (
              <tr data-kind={h.type}>
                <td>{formatTime(h.at)}</td>
                <td>{h.type}</td>
                <td>{describe(h)}</td>
                <td class="num">
                  {h.type === 'scan' || h.type === 'held'
                    ? ''
                    : h.amount > 0
                      ? `+${h.amount}`
                      : String(h.amount)}
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
