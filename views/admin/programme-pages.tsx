import type { ProgrammeSettings } from '../../src/members/programme-settings-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'

export type ProgrammeSettingsValues = Partial<Record<keyof ProgrammeSettings, string>>

/** The form values of saved settings. */
export function programmeSettingsValues(s: ProgrammeSettings): ProgrammeSettingsValues {
  return {
    newDays: String(s.newDays),
    activeDays: String(s.activeDays),
    churnDays: String(s.churnDays),
    birthdayPoints: String(s.birthdayPoints),
    churnFactor: String(s.churnFactor),
  }
}

export type JobRunView = {
  day: string
  at: number
  trigger: string
  by?: string
  summary: string
  detail: string
}
export type JobRunsView = { job: string; title: string; runs: JobRunView[] }[]

export type ChurnWarningView = {
  memberId: number
  name: string | null
  phone: string | null
  email: string | null
  lastScanAt: number
  daysSinceLastScan: number
  usualIntervalDays: number
}

export type ChurnListProps = { rows: ChurnWarningView[]; page: number; hasMore: boolean; total: number }

export const CHURN_LIST_ID = 'churn-warnings'

/**
 * The churn warning list with its pager: the page embeds it, and `/admin/programme/churn` answers
 * it alone to htmx (the pager swaps just this list; without JavaScript the links load the page).
 */
export function ChurnWarningList(p: ChurnListProps) {
  const link = (page: number, label: string, rel: string) => (
    <a
      href={`/admin/programme?page=${page}#${CHURN_LIST_ID}`}
      rel={rel}
      hx-get={`/admin/programme/churn?page=${page}`}
      hx-target={`#${CHURN_LIST_ID}`}
      hx-swap="outerHTML"
    >
      {label}
    </a>
  )
  return (
    <div id={CHURN_LIST_ID}>
      {p.rows.length === 0 ? (
        <div class="empty">
          {p.page > 1
            ? 'No more members on the list.'
            : 'No churn warnings: no member is past their usual interval by the churn factor (or the churn job has not run yet).'}
        </div>
      ) : (
        <>
          <p class="muted">
            {p.total.toLocaleString('en')} member{p.total === 1 ? '' : 's'} on the list, those who lapsed most
            recently first.
          </p>
          <table>
            <thead>
              <tr>
                <th>Member</th>
                <th>Phone</th>
                <th>Email</th>
                <th>Last scan</th>
                <th class="num">Days since</th>
                <th class="num">Usual interval (days)</th>
                <th class="num">× usual</th>
              </tr>
            </thead>
            <tbody>
              {p.rows.map((r) => (
                <tr>
                  <td>
                    <a href={`/admin/members/${r.memberId}`}>{r.name ?? `Member #${r.memberId}`}</a>
                  </td>
                  <td class="mono">{r.phone ?? '—'}</td>
                  <td class="mono">{r.email ?? '—'}</td>
                  <td>{formatTime(r.lastScanAt)}</td>
                  <td class="num">{r.daysSinceLastScan}</td>
                  <td class="num">{r.usualIntervalDays}</td>
                  <td class="num">{(r.daysSinceLastScan / r.usualIntervalDays).toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {p.page > 1 || p.hasMore ? (
        <div class="pager">
          {p.page > 1 ? link(p.page - 1, '← Previous', 'prev') : null}{' '}
          {p.hasMore ? link(p.page + 1, 'Next →', 'next') : null}
        </div>
      ) : null}
    </div>
  )
}

/**
 * The member programme (/admin/programme): lifecycle thresholds, the birthday bonus and the churn
 * factor (owners edit, analysts read); "Run jobs now" for owners; what the jobs did lately; the
 * churn warning list; and how each automatic tag is computed.
 */
export function ProgrammePage(props: {
  staff: StaffView
  canConfigure: boolean
  settings: ProgrammeSettings
  /** The settings form's values: the saved ones, or what was sent with errors. */
  values: ProgrammeSettingsValues
  errors?: { form: 'settings' | 'run'; messages: string[] }
  notice?: string
  runs: JobRunsView
  churn: ChurnListProps
}) {
  const { canConfigure, errors, settings: s } = props
  const v = props.values
  const errorsOf = (form: 'settings' | 'run') => (errors?.form === form ? errors.messages : undefined)
  const csrf = <CsrfField token={props.staff.csrfToken} />
  return (
    <AdminPage staff={props.staff} title="Member programme" current="/admin/programme">
      <h1>Member programme</h1>
      {props.notice ? (
        <div class="notice" role="status">
          {props.notice}
        </div>
      ) : null}
      <section class="card">
        <h2>Settings</h2>
        <FormErrors errors={errorsOf('settings')} />
        <form class="stack" method="post" action="/admin/programme/settings">
          {csrf}
          <fieldset disabled={!canConfigure}>
            <label>
              A member is new for this many days after joining
              <input name="newDays" inputmode="numeric" required value={v.newDays ?? ''} />
            </label>
            <label>
              … active while their last scan is at most this many days old
              <input name="activeDays" inputmode="numeric" required value={v.activeDays ?? ''} />
            </label>
            <label>
              … dormant after that, and churned once the last scan is more than this many days old
              <input name="churnDays" inputmode="numeric" required value={v.churnDays ?? ''} />
            </label>
            <label>
              Birthday bonus in points (0 turns it off; at most 100,000)
              <input name="birthdayPoints" inputmode="numeric" required value={v.birthdayPoints ?? ''} />
            </label>
            <label>
              Churn warning when the days since the last scan pass this many times the member's usual interval
              (1.5–20)
              <input name="churnFactor" inputmode="decimal" required value={v.churnFactor ?? ''} />
            </label>
          </fieldset>
          {canConfigure ? <button type="submit">Save settings</button> : null}
        </form>
        <p class="muted">Changes apply from the next run of the jobs, which run once a day.</p>
      </section>

      {canConfigure ? (
        <section class="card">
          <h2>Run jobs now</h2>
          <FormErrors errors={errorsOf('run')} />
          <form class="stack" method="post" action="/admin/programme/run">
            {csrf}
            <label>
              Job
              <select name="job">
                <option value="all">All: tags, then birthday bonus, then churn warnings</option>
                <option value="tags">Automatic tags and member activity</option>
                <option value="birthday">Birthday bonus</option>
                <option value="churn">Churn warnings</option>
              </select>
            </label>
            <label class="check">
              <input type="checkbox" name="confirm" value="yes" required /> Run now. The birthday job credits
              today's birthday bonus ({s.birthdayPoints > 0 ? `${s.birthdayPoints} points` : 'off'}) to
              members who have not had this year's; running again credits nobody twice.
            </label>
            <button type="submit">Run jobs now</button>
          </form>
        </section>
      ) : null}

      <section class="card">
        <h2>Recent runs</h2>
        {props.runs.map((j) => (
          <>
            <h3>{j.title}</h3>
            {j.runs.length === 0 ? (
              <div class="empty">Not run yet.</div>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Day (China)</th>
                    <th>Finished</th>
                    <th>Started by</th>
                    <th>What it did</th>
                  </tr>
                </thead>
                <tbody>
                  {j.runs.map((r) => (
                    <tr>
                      <td>{r.day}</td>
                      <td>{formatTime(r.at)}</td>
                      <td>{r.by ? `${r.trigger} (${r.by})` : r.trigger}</td>
                      <td>
                        {r.summary}
                        <details>
                          <summary class="muted">Details</summary>
                          <pre class="pre mono">{r.detail}</pre>
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        ))}
      </section>

      <section class="card">
        <h2>Churn warnings</h2>
        <p class="muted">
          Members with a usual interval (the median number of days between their scanning days, from three
          scanning days on) whose days since the last scan are more than {s.churnFactor} times that interval.
        </p>
        <ChurnWarningList {...props.churn} />
      </section>

      <section class="card">
        <h2>Automatic tags</h2>
        <p class="muted">
          Recomputed for every member once a day. Days are calendar days in China time; "a scan" is a scan
          made while signed in, or a claim (its scan was made before signing in). Each member's tag carries
          its reason with their own figures.
        </p>
        <dl>
          <dt>
            <code>lifecycle:new</code>
          </dt>
          <dd>Joined at most {s.newDays} days ago, whether or not they scanned.</dd>
          <dt>
            <code>lifecycle:active</code>
          </dt>
          <dd>Not new, and the last scan is at most {s.activeDays} days old.</dd>
          <dt>
            <code>lifecycle:dormant</code>
          </dt>
          <dd>
            The last scan is {s.activeDays + 1} to {s.churnDays} days old; or the member never scanned and
            joined {s.newDays + 1} to {s.churnDays} days ago.
          </dd>
          <dt>
            <code>lifecycle:churned</code>
          </dt>
          <dd>
            The last scan (or, for a member who never scanned, joining) is more than {s.churnDays} days ago.
          </dd>
          <dt>
            <code>rfm:r1</code> … <code>rfm:r5</code>
          </dt>
          <dd>
            Recency: the day of the last scan, scored in fifths of the brand's members who ever scanned (5 =
            the most recent fifth). Equal figures get equal scores.
          </dd>
          <dt>
            <code>rfm:f1</code> … <code>rfm:f5</code>
          </dt>
          <dd>Frequency: scans in the last 365 days, scored the same way.</dd>
          <dt>
            <code>rfm:m1</code> … <code>rfm:m5</code>
          </dt>
          <dd>Monetary: points earned by claims in the last 365 days, scored the same way.</dd>
          <dt>
            <code>product:SKU</code>, <code>category:name</code>
          </dt>
          <dd>
            The product and the product category the member claimed most; a tie goes to the more recent claim.
          </dd>
          <dt>
            <code>region:code</code>
          </dt>
          <dd>The region of most of the member's located scans; a tie goes to the more recent scan.</dd>
        </dl>
      </section>
    </AdminPage>
  )
}
