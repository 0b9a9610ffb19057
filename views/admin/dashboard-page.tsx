import type { Dashboard, Estimate } from '../../src/dashboard/dashboard-store.ts'
import { AdminPage, FormErrors, formatTime, type StaffView } from './admin-page.tsx'
import { RegionMap, rollUpToCountries } from './region-map.tsx'
import { DailyChart, FunnelChart, formatNumber, formatPercent, MeterBar } from './svg-charts.tsx'

export const DASHBOARD_PATH = '/admin/dashboard'
export const CHARTS_ID = 'dashboard-charts'
export const RANGE_ID = 'dashboard-range'
const PRESETS = [7, 30, 90] as const

export type RangeView = { from: string; to: string; preset: number | null }

export type DashboardPageProps = {
  staff: StaffView
  /** What the form shows (the range in force, or what was typed when it was refused). */
  values: { from: string; to: string; preset: number | null }
  today: string
  errors?: string[]
  dashboard?: Dashboard
}

/** htmx attributes of a range request: fetch the charts, swap them, keep the URL shareable. */
function rangeRequest(url: string) {
  return { 'hx-get': url, 'hx-target': `#${CHARTS_ID}`, 'hx-swap': 'outerHTML', 'hx-push-url': 'true' }
}

/**
 * The range form: preset links and a custom from/to, plain GETs that htmx turns into swaps of the
 * charts. An htmx answer carries the form again out of band (`oob`), so the preset in force and the
 * dates shown follow the charts.
 */
export function RangeForm(props: { values: DashboardPageProps['values']; today: string; oob?: boolean }) {
  return (
    <div
      id={RANGE_ID}
      class="card"
      style="display:flex;flex-wrap:wrap;gap:1rem;align-items:end"
      hx-swap-oob={props.oob ? 'true' : undefined}
    >
      <nav aria-label="Preset ranges" style="display:flex;gap:0.5rem">
        {PRESETS.map((n) => (
          <a
            class={`button${props.values.preset === n ? '' : ' secondary'}`}
            href={`${DASHBOARD_PATH}?days=${n}`}
            aria-current={props.values.preset === n ? 'true' : undefined}
            {...rangeRequest(`${DASHBOARD_PATH}?days=${n}`)}
          >
            Last {n} days
          </a>
        ))}
      </nav>
      <form class="inline" method="get" action={DASHBOARD_PATH} {...rangeRequest(DASHBOARD_PATH)}>
        <label>
          From
          <input type="date" name="from" value={props.values.from} max={props.today} required />
        </label>
        <label>
          To
          <input type="date" name="to" value={props.values.to} max={props.today} required />
        </label>
        <button type="submit">Show</button>
      </form>
      <span class="muted">Days are China time (UTC+8). At most 366 days.</span>
    </div>
  )
}

function approx(e: Estimate): string {
  return `${e.exact ? '' : '≈ '}${formatNumber(e.value)}`
}

function Figures(props: { d: Dashboard; showMembers: boolean; brandWide: boolean }) {
  const { d } = props
  return (
    <div class="stats" data-figures="">
      <div data-figure="scans">
        <b>{formatNumber(d.totals.scans)}</b>scans
      </div>
      {props.brandWide ? (
        <div data-figure="unique-scanners">
          <b>{approx(d.totals.uniqueScanners)}</b>unique scanners
        </div>
      ) : null}
      {props.showMembers ? (
        <>
          <div data-figure="sign-ins">
            <b>{formatNumber(d.totals.signIns)}</b>sign-ins
          </div>
          <div data-figure="claims">
            <b>{formatNumber(d.totals.claims)}</b>claims
          </div>
          <div data-figure="redemptions">
            <b>{formatNumber(d.totals.redemptions)}</b>redemptions
          </div>
          <div data-figure="new-members">
            <b>{formatNumber(d.totals.newMembers)}</b>new members
          </div>
        </>
      ) : null}
      <div data-figure="open-cases">
        <b>
          <a href="/admin/diversion/cases?status=open">{formatNumber(d.openCases)}</a>
        </b>
        open diversion cases
      </div>
    </div>
  )
}

function Funnel({ d }: { d: Dashboard }) {
  const f = d.funnel!
  return (
    <section aria-labelledby="funnel-h">
      <h2 id="funnel-h">Funnel</h2>
      <FunnelChart
        title={`From scan to repeat claim, ${d.from} to ${d.to}`}
        steps={[
          {
            label: 'Scanned',
            definition: 'Distinct phones (device cookies) that scanned one of your codes in the range.',
            ...f.scanners,
          },
          {
            label: 'Signed in',
            definition:
              'Members who completed a sign-in (a correct one-time code) or scanned while signed in, in the range.',
            ...f.signers,
          },
          {
            label: 'Claimed',
            definition: 'Members who claimed points for at least one code in the range.',
            ...f.claimers,
          },
          {
            label: 'Claimed again',
            definition:
              'Members who made a claim in the range that was not their first: they had claimed before, in the range or earlier.',
            ...f.repeatClaimers,
          },
        ]}
      />
      {[f.scanners, f.signers, f.claimers, f.repeatClaimers].some((e) => !e.exact) ? (
        <p class="muted">
          ≈: distinct counts over many days are estimated from each day's summary (about ±2%); counts up to a
          few hundred are exact.
        </p>
      ) : null}
    </section>
  )
}

function BatchRates({ d }: { d: Dashboard }) {
  const rows = d.batchRates ?? []
  return (
    <section aria-labelledby="rates-h">
      <h2 id="rates-h">Scan rate per batch</h2>
      <p class="muted">
        Up to 20 batches, the most scanned in the range first. Scan rate = activated codes scanned at least
        once ÷ codes activated, to date (
        {d.ratesAt ? `counted ${formatTime(d.ratesAt)}, refreshed hourly` : 'not counted yet'}
        ).
      </p>
      {rows.length === 0 ? (
        <div class="empty">No batch was scanned in this range.</div>
      ) : (
        <table data-table="batch-rates">
          <thead>
            <tr>
              <th scope="col">Batch</th>
              <th scope="col">Product</th>
              <th scope="col">Lot</th>
              <th scope="col" class="num">
                Scans in range
              </th>
              <th scope="col" class="num">
                Scanned / activated
              </th>
              <th scope="col">Scan rate</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr data-batch={String(b.batchId)}>
                <td>
                  <a href={`/admin/batches/${b.batchId}`}>#{b.batchId}</a>
                </td>
                <td>
                  {b.productName} <span class="muted mono">{b.sku}</span>
                </td>
                <td>{b.lot ?? '—'}</td>
                <td class="num">{formatNumber(b.scans)}</td>
                <td class="num">
                  {b.activated === null
                    ? 'counted at the next hourly run'
                    : `${formatNumber(b.scanned!)} / ${formatNumber(b.activated)}`}
                </td>
                <td>
                  {b.rate === null ? (
                    '—'
                  ) : (
                    <>
                      <MeterBar fraction={b.rate} label={`Scan rate ${formatPercent(b.rate)}`} />{' '}
                      <span data-rate="">{formatPercent(b.rate)}</span>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function TopProducts(props: { title: string; rows: Dashboard['topByScans']; unit: string; id: string }) {
  const rows = props.rows ?? []
  const max = Math.max(1, ...rows.map((r) => r.count))
  return (
    <section aria-labelledby={`${props.id}-h`}>
      <h2 id={`${props.id}-h`}>{props.title}</h2>
      {rows.length === 0 ? (
        <div class="empty">No {props.unit} in this range.</div>
      ) : (
        <table data-table={props.id}>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col" class="num">
                {props.unit}
              </th>
              <th scope="col">
                <span class="muted">relative to the first</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr data-product={String(p.productId)}>
                <td>
                  {p.name} <span class="muted mono">{p.sku}</span>
                </td>
                <td class="num">{formatNumber(p.count)}</td>
                <td>
                  <MeterBar
                    fraction={p.count / max}
                    label={`${p.name}: ${formatNumber(p.count)} ${props.unit}`}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** The part of the page a range change replaces (the htmx target, and a whole page's middle). */
export function DashboardCharts(props: {
  dashboard?: Dashboard
  errors?: string[]
  showMembers: boolean
  brandWide: boolean
}) {
  const d = props.dashboard
  if (!d) {
    return (
      <div id={CHARTS_ID}>
        <FormErrors errors={props.errors} />
        <p class="muted">Correct the dates above to see the dashboard.</p>
      </div>
    )
  }
  const days = d.series.length
  const t = d.totals
  const quiet =
    t.scans === 0 && t.signIns === 0 && t.claims === 0 && t.newMembers === 0 && t.redemptions === 0
  const series = (k: 'scans' | 'uniqueScanners' | 'signIns' | 'claims' | 'redemptions') =>
    d.series.map((p) => ({ day: p.day, value: p[k] }))
  const mapCounts = d.mapScope === 'china' ? d.regions : rollUpToCountries(d.regions)
  return (
    <div id={CHARTS_ID}>
      <h2 style="margin-top:0">
        {d.from} to {d.to} <span class="muted">({days} days, China time)</span>
      </h2>
      {d.liveDays.length > 0 ? (
        <p class="muted">
          {d.liveDays.length === 1
            ? `${d.liveDays[0]} is read live; `
            : `${d.liveDays.length} days (${d.liveDays[0]} to ${d.liveDays.at(-1)}) are read live; `}
          finished days come from the hourly roll-up of each day that ended.
        </p>
      ) : null}
      <Figures d={d} showMembers={props.showMembers} brandWide={props.brandWide} />
      {quiet ? (
        <div class="empty" data-empty="range" style="margin:1rem 0">
          Nothing was scanned, signed in or claimed from {d.from} to {d.to}.
          {props.brandWide
            ? ' Activate a batch and scan one of its codes with a phone: the first scans appear here within the hour.'
            : ' Scans of codes shipped to your distributors appear here.'}
        </div>
      ) : (
        <>
          <div style="display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:0 1.5rem;margin-top:1rem">
            <DailyChart name="scans" title="Scans per day" kind="bar" unit="scans" points={series('scans')} />
            {props.brandWide ? (
              <DailyChart
                name="unique-scanners"
                title="Unique scanners per day"
                total={`${approx(d.totals.uniqueScanners)} distinct over the range`}
                kind="line"
                unit="unique scanners"
                points={series('uniqueScanners')}
              />
            ) : null}
            {props.showMembers ? (
              <>
                <DailyChart
                  name="sign-ins"
                  title="Sign-ins per day"
                  kind="line"
                  unit="sign-ins"
                  points={series('signIns')}
                />
                <DailyChart
                  name="claims"
                  title="Claims per day"
                  kind="bar"
                  unit="claims"
                  points={series('claims')}
                />
                <DailyChart
                  name="redemptions"
                  title="Redemptions per day"
                  kind="bar"
                  unit="redemptions"
                  points={series('redemptions')}
                />
              </>
            ) : null}
          </div>
          {props.showMembers ? <Funnel d={d} /> : null}
        </>
      )}
      <section aria-labelledby="map-h">
        <h2 id="map-h">Scans by region</h2>
        <p class="muted">
          Counted scans whose place is known (shared GPS position or IP location), by{' '}
          {d.mapScope === 'china' ? 'province' : 'country'}.
        </p>
        <RegionMap
          title={d.mapScope === 'china' ? 'Scans by province' : 'Scans by country'}
          scope={d.mapScope}
          counts={mapCounts}
        />
      </section>
      {props.brandWide ? <BatchRates d={d} /> : null}
      {props.brandWide || props.showMembers ? (
        <div class="grid2">
          {props.brandWide ? (
            <TopProducts title="Top products by scans" rows={d.topByScans} unit="scans" id="top-scans" />
          ) : null}
          {props.showMembers ? (
            <TopProducts title="Top products by claims" rows={d.topByClaims} unit="claims" id="top-claims" />
          ) : null}
        </div>
      ) : null}
    </div>
  )
}

/** GET /admin/dashboard: the range form and the charts. */
export function DashboardPage(props: DashboardPageProps & { showMembers: boolean; brandWide: boolean }) {
  return (
    <AdminPage staff={props.staff} title="Dashboard" current={DASHBOARD_PATH}>
      <h1>Dashboard</h1>
      <RangeForm values={props.values} today={props.today} />
      <DashboardCharts
        dashboard={props.dashboard}
        errors={props.errors}
        showMembers={props.showMembers}
        brandWide={props.brandWide}
      />
    </AdminPage>
  )
}
