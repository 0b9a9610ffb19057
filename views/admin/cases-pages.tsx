import type { CaseEvidence, CasePage, CaseRow, FilterOptions } from '../../src/channels/case-store.ts'
import type { CaseStatus } from '../../src/channels/channel-schema.ts'
import { type RegionName, regionLabel } from '../../src/channels/region-names.ts'
import { reasonsText } from '../../src/channels/report-csv.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'
import { type MapScope, RegionMap, rollUpToCountries } from './region-map.tsx'

export type RegionNameOf = (code: string) => RegionName

const STATUS_STYLE: Record<CaseStatus, string> = {
  open: 'background:#fff4e5;border-color:#f0c36d',
  confirmed: 'background:#fdecea;border-color:#e6a39e',
  dismissed: 'background:#eef1f5',
}

export function StatusPill({ status }: { status: CaseStatus }) {
  return (
    <span class={`pill case-${status}`} style={STATUS_STYLE[status]} data-status={status}>
      {status}
    </span>
  )
}

export function percent(confidence: number): string {
  return `${Math.round(confidence * 100)}%`
}

export function distributorLabel(r: { distributorCode: string | null; distributorName: string | null }) {
  return r.distributorCode
    ? `${r.distributorCode} · ${r.distributorName ?? ''}`
    : 'No distributor (unshipped codes)'
}

/** A query string of the non-empty values, e.g. `?status=open&page=2`. */
export function queryOf(values: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** The cases of one page, newest activity first; shared by the cases list and the report. */
export function CaseTable({ rows, regionName }: { rows: CaseRow[]; regionName: RegionNameOf }) {
  return (
    <table class="cases">
      <thead>
        <tr>
          <th>Case</th>
          <th>Status</th>
          <th>Distributor</th>
          <th>Product</th>
          <th>Scanned in</th>
          <th class="num">Signals</th>
          <th class="num">Confidence</th>
          <th>Last activity</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr data-case={String(r.id)}>
            <td>
              <a href={`/admin/diversion/cases/${r.id}`}>#{r.id}</a>
            </td>
            <td>
              <StatusPill status={r.status} />
            </td>
            <td>{distributorLabel(r)}</td>
            <td>
              <span class="mono">{r.productSku}</span> {r.productName}
            </td>
            <td>{regionLabel(regionName(r.regionCode))}</td>
            <td class="num">{r.signalCount}</td>
            <td class="num">{percent(r.maxConfidence)}</td>
            <td>{formatTime(r.lastAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Page links that keep the filters; with htmx they swap `target` and push the URL. */
export function Pager(p: {
  page: number
  pageCount: number
  total: number
  path: string
  fragmentPath: string
  target: string
  values: Record<string, string>
  noun: string
}) {
  if (p.pageCount <= 1) return <p class="muted">{`${p.total} ${p.noun}${p.total === 1 ? '' : 's'}`}</p>
  const link = (page: number, text: string, rel: string) => {
    const q = queryOf({ ...p.values, page })
    return (
      <a
        href={`${p.path}${q}`}
        rel={rel}
        hx-get={`${p.fragmentPath}${q}`}
        hx-target={p.target}
        hx-swap="outerHTML"
        hx-push-url={`${p.path}${q}`}
      >
        {text}
      </a>
    )
  }
  return (
    <div class="pager">
      {p.page > 1 ? link(p.page - 1, '← Newer', 'prev') : null}
      <span class="muted">
        Page {p.page} of {p.pageCount} · {p.total} {p.noun}s
      </span>
      {p.page < p.pageCount ? link(p.page + 1, 'Older →', 'next') : null}
    </div>
  )
}

export type CaseListValues = { status: string; distributor: string; product: string; region: string }

function FilterSelect(p: {
  name: string
  label: string
  value: string
  options: { value: string; text: string }[]
  any: string
}) {
  return (
    <label>
      {p.label}
      <select name={p.name}>
        <option value="">{p.any}</option>
        {p.options.map((o) => (
          <option value={o.value} selected={o.value === p.value}>
            {o.text}
          </option>
        ))}
      </select>
    </label>
  )
}

/** The filter fields shared by the cases list and the report. */
export function CaseFilterFields(p: {
  values: CaseListValues
  options: FilterOptions
  regionName: RegionNameOf
}) {
  return (
    <>
      <FilterSelect
        name="status"
        label="Status"
        value={p.values.status}
        any="any"
        options={['open', 'confirmed', 'dismissed'].map((s) => ({ value: s, text: s }))}
      />
      <FilterSelect
        name="distributor"
        label="Distributor"
        value={p.values.distributor}
        any="all distributors"
        options={p.options.distributors.map((d) => ({ value: String(d.id), text: `${d.code} · ${d.name}` }))}
      />
      <FilterSelect
        name="product"
        label="Product"
        value={p.values.product}
        any="all products"
        options={p.options.products.map((d) => ({ value: String(d.id), text: `${d.sku} · ${d.name}` }))}
      />
      <FilterSelect
        name="region"
        label="Scanned in"
        value={p.values.region}
        any="all regions"
        options={p.options.regionCodes.map((code) => ({
          value: code === '' ? '-' : code,
          text: regionLabel(p.regionName(code)),
        }))}
      />
    </>
  )
}

/** The swappable part of the cases list: the table and its pager. */
export function CaseListBody(p: {
  page: CasePage
  values: CaseListValues
  regionName: RegionNameOf
  filtered: boolean
}) {
  return (
    <div id="case-list">
      {p.page.rows.length === 0 ? (
        <div class="empty">
          {p.filtered
            ? 'No case matches these filters.'
            : 'No cases yet. A case opens when a scan of a shipped code looks diverted.'}
        </div>
      ) : (
        <CaseTable rows={p.page.rows} regionName={p.regionName} />
      )}
      <Pager
        page={p.page.page}
        pageCount={p.page.pageCount}
        total={p.page.total}
        path="/admin/diversion/cases"
        fragmentPath="/admin/diversion/cases"
        target="#case-list"
        values={p.values}
        noun="case"
      />
    </div>
  )
}

export function CasesPage(p: {
  staff: StaffView
  page: CasePage
  values: CaseListValues
  options: FilterOptions
  regionName: RegionNameOf
  filtered: boolean
  errors?: string[]
}) {
  return (
    <AdminPage staff={p.staff} title="Diversion cases" current="/admin/diversion">
      <p>
        <a href="/admin/diversion">← Diversion report</a>
      </p>
      <h1>Diversion cases</h1>
      <form
        class="inline"
        method="get"
        action="/admin/diversion/cases"
        hx-get="/admin/diversion/cases"
        hx-target="#case-list"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <CaseFilterFields values={p.values} options={p.options} regionName={p.regionName} />
        <button class="secondary" type="submit">
          Filter
        </button>
      </form>
      <FormErrors errors={p.errors} />
      <CaseListBody page={p.page} values={p.values} regionName={p.regionName} filtered={p.filtered} />
    </AdminPage>
  )
}

export type DecisionValues = { decision?: string; note?: string }

/** The decision form of an open case, or the decision of a closed one; swapped after an htmx POST. */
export function DecidePanel(p: {
  c: CaseRow
  decidedBy?: string
  heldCount: number
  canDecide: boolean
  csrfToken: string
  values?: DecisionValues
  errors?: string[]
}) {
  const { c } = p
  if (c.status !== 'open')
    return (
      <section class="card" id="decide">
        <h2>Decision</h2>
        <FormErrors errors={p.errors} />
        <p>
          <StatusPill status={c.status} /> by {p.decidedBy ?? 'unknown'} on {formatTime(c.decidedAt)}
        </p>
        <blockquote class="decision-note" style="white-space:pre-wrap;margin:0">
          {c.note ?? ''}
        </blockquote>
      </section>
    )
  if (!p.canDecide)
    return (
      <section class="card" id="decide">
        <h2>Decision</h2>
        <p class="muted">This case is open. An owner or a channel manager of this distributor decides it.</p>
      </section>
    )
  const action = `/admin/diversion/cases/${c.id}/decide`
  const held = p.heldCount
  const heldText = (verb: string) =>
    held === 0 ? '' : ` ${held} held claim${held === 1 ? '' : 's'} will be ${verb}.`
  const button = (decision: 'confirm' | 'dismiss', text: string, question: string, cls: string) => (
    <button
      type="submit"
      name="decision"
      value={decision}
      class={cls}
      hx-post={action}
      hx-target="#decide"
      hx-swap="outerHTML"
      hx-confirm={question}
      hx-validate="true"
    >
      {text}
    </button>
  )
  return (
    <section class="card" id="decide">
      <h2>Decision</h2>
      <FormErrors errors={p.errors} />
      <form class="stack" method="post" action={action}>
        <CsrfField token={p.csrfToken} />
        <label>
          Note (what you checked and why; kept in the audit log)
          <textarea name="note" required minlength={3} maxlength={1000} rows={3}>
            {p.values?.note ?? ''}
          </textarea>
        </label>
        <div class="inline" style="display:flex;gap:0.5rem;flex-wrap:wrap">
          {button(
            'confirm',
            'Confirm diversion',
            `Confirm case #${c.id} as diversion?${heldText('refused')} The decision is final.`,
            'danger',
          )}
          {button(
            'dismiss',
            'Dismiss',
            `Dismiss case #${c.id}?${heldText('released and their points awarded')} The decision is final.`,
            'secondary',
          )}
        </div>
        <p class="muted">
          Confirming records the diversion{held > 0 ? ' and refuses the held claims' : ''}; dismissing closes
          the case{held > 0 ? ' and releases the held claims' : ''}. Either is final.
        </p>
      </form>
    </section>
  )
}

function mapScopeOf(codes: string[]): MapScope {
  return codes.every((c) => c === '' || c.startsWith('CN-')) ? 'china' : 'world'
}

function placeOf(s: { placeEn: string | null; placeZh: string | null }): string {
  if (s.placeEn && s.placeZh && s.placeEn !== s.placeZh) return `${s.placeEn} (${s.placeZh})`
  return s.placeEn ?? s.placeZh ?? '—'
}

/** The signal's reason in words, with the figures it was computed from folded away under it. */
function ReasonList({ reasons }: { reasons: Record<string, unknown> }) {
  const { text, ...figures } = reasons
  const entries = Object.entries(figures)
  if (typeof text !== 'string' && entries.length === 0) return <span class="muted">—</span>
  return (
    <div title={reasonsText(reasons)}>
      {typeof text === 'string' ? <p style="margin:0">{text}</p> : null}
      {entries.length > 0 ? (
        <details>
          <summary class="muted">How it was computed</summary>
          <ul style="margin:0;padding-left:1rem">
            {entries.map(([k, v]) => (
              <li>
                {k}: {typeof v === 'string' ? v : JSON.stringify(v)}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  )
}

export function CaseDetailPage(p: {
  staff: StaffView
  c: CaseRow
  evidence: CaseEvidence
  regionName: RegionNameOf
  canDecide: boolean
  notice?: string
  values?: DecisionValues
  errors?: string[]
}) {
  const { c, evidence: e } = p
  const serialOf = new Map(e.codes.map((k) => [k.id, k.serial]))
  const signalledScans = new Set(e.signals.flatMap((s) => (s.scanId ? [s.scanId] : [])))
  const scanCounts = new Map<string, number>()
  for (const s of e.scans)
    if (s.regionCode) scanCounts.set(s.regionCode, (scanCounts.get(s.regionCode) ?? 0) + 1)
  const salesRegions = e.distributor?.regionCodes ?? []
  const scope = mapScopeOf([...scanCounts.keys(), ...salesRegions, c.regionCode])
  const mapCounts = scope === 'china' ? scanCounts : rollUpToCountries(scanCounts)
  const outlined =
    scope === 'china' ? salesRegions : [...rollUpToCountries(new Map(salesRegions.map((r) => [r, 1]))).keys()]
  const points = e.scans.flatMap((s) =>
    s.lat !== null && s.lon !== null
      ? [
          {
            lon: s.lon,
            lat: s.lat,
            label: `${formatTime(s.at)} · ${placeOf(s)} · ${s.locationSource ?? '?'}${s.accuracyM ? ` ${formatAccuracy(s.accuracyM)}` : ''}`,
          },
        ]
      : [],
  )
  const region = regionLabel(p.regionName(c.regionCode))
  return (
    <AdminPage staff={p.staff} title={`Case #${c.id}`} current="/admin/diversion">
      <p>
        <a href="/admin/diversion/cases">← Cases</a> · <a href="/admin/diversion">Diversion report</a>
      </p>
      <h1>
        Case #{c.id}: {c.productName} scanned in {region}
      </h1>
      {p.notice ? (
        <p class="notice" role="status">
          {p.notice}
        </p>
      ) : null}
      <div class="grid2">
        <section class="card">
          <h2>Summary</h2>
          <dl>
            <dt>Status</dt>
            <dd>
              <StatusPill status={c.status} />
            </dd>
            <dt>Product</dt>
            <dd>
              <span class="mono">{c.productSku}</span> {c.productName}
            </dd>
            <dt>Scanned in</dt>
            <dd>{region}</dd>
            <dt>Signals</dt>
            <dd>
              {c.signalCount}, highest confidence {percent(c.maxConfidence)}
            </dd>
            <dt>Activity</dt>
            <dd>
              {formatTime(c.firstAt)} – {formatTime(c.lastAt)}
            </dd>
          </dl>
        </section>
        <section class="card">
          <h2>Distributor</h2>
          {e.distributor ? (
            <dl>
              <dt>Distributor</dt>
              <dd>
                <span class="mono">{e.distributor.code}</span> {e.distributor.name} ({e.distributor.status})
              </dd>
              <dt>Contact</dt>
              <dd>{e.distributor.contactName ?? '—'}</dd>
              <dt>Sales regions</dt>
              <dd>
                {salesRegions.length === 0 ? (
                  <span class="muted">none set</span>
                ) : (
                  <ul class="sales-regions" style="margin:0;padding-left:1rem">
                    {salesRegions.map((code) => (
                      <li data-region={code}>{regionLabel(p.regionName(code))}</li>
                    ))}
                  </ul>
                )}
              </dd>
            </dl>
          ) : (
            <p class="muted">
              No shipment bound these codes to a distributor: the signals are about codes that never left the
              warehouse through a recorded shipment.
            </p>
          )}
        </section>
      </div>

      <DecidePanel
        c={c}
        decidedBy={e.decidedBy}
        heldCount={e.heldClaims.length}
        canDecide={p.canDecide}
        csrfToken={p.staff.csrfToken}
        values={p.values}
        errors={p.errors}
      />

      <h2>Map</h2>
      <RegionMap
        title="Scans of these codes by region"
        scope={scope}
        counts={mapCounts}
        points={points}
        outlined={outlined}
      />

      <h2>Held claims</h2>
      {e.heldClaims.length === 0 ? (
        <div class="empty">No claim is waiting on this case.</div>
      ) : (
        <table class="held-claims">
          <thead>
            <tr>
              <th>Held claim</th>
              <th>Code</th>
              <th>Member</th>
              <th>Held since</th>
            </tr>
          </thead>
          <tbody>
            {e.heldClaims.map((h) => (
              <tr>
                <td>#{h.id}</td>
                <td class="mono">{serialOf.get(h.codeId) ?? `code ${h.codeId}`}</td>
                <td>#{h.memberId}</td>
                <td>{formatTime(h.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Signals</h2>
      {e.signals.length === 0 ? (
        <div class="empty">No signals.</div>
      ) : (
        <table class="signals">
          <thead>
            <tr>
              <th>Time</th>
              <th>Check</th>
              <th>Code</th>
              <th>Region</th>
              <th class="num">Confidence</th>
              <th class="num">Distance</th>
              <th>Reasons</th>
            </tr>
          </thead>
          <tbody>
            {e.signals.map((s) => (
              <tr data-signal={String(s.id)}>
                <td>{formatTime(s.at)}</td>
                <td>{s.kind}</td>
                <td class="mono">{serialOf.get(s.codeId) ?? `code ${s.codeId}`}</td>
                <td>{regionLabel(p.regionName(s.regionCode))}</td>
                <td class="num">{percent(s.confidence)}</td>
                <td class="num">{s.distanceKm === null ? '—' : `${Math.round(s.distanceKm)} km`}</td>
                <td>
                  <ReasonList reasons={s.reasons} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.signalCount > e.signals.length ? (
        <p class="muted">
          The newest {e.signals.length} of {c.signalCount} signals; the report's CSV export has them all.
        </p>
      ) : null}

      <h2>Codes</h2>
      {e.codes.length === 0 ? (
        <div class="empty">No codes.</div>
      ) : (
        <table class="codes">
          <thead>
            <tr>
              <th>Serial</th>
              <th>Batch</th>
              <th>Lot</th>
              <th>State</th>
              <th>Bound by</th>
            </tr>
          </thead>
          <tbody>
            {e.codes.map((k) => (
              <tr>
                <td class="mono">{k.serial}</td>
                <td>#{k.batchId}</td>
                <td>{k.lot ?? '—'}</td>
                <td>
                  <span class={`pill ${k.state}`}>{k.state}</span>
                </td>
                <td>{k.shipmentId ? `shipment #${k.shipmentId}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {e.codeCount > e.codes.length ? (
        <p class="muted">
          {e.codes.length} of {e.codeCount} codes shown.
        </p>
      ) : null}

      <h2>Scans of these codes</h2>
      {e.scans.length === 0 ? (
        <div class="empty">No scans recorded.</div>
      ) : (
        <table class="scans">
          <thead>
            <tr>
              <th>Time</th>
              <th>Code</th>
              <th>Verdict</th>
              <th>Place</th>
              <th>Location</th>
              <th class="num">Accuracy</th>
              <th>Device</th>
              <th>Signal</th>
            </tr>
          </thead>
          <tbody>
            {e.scans.map((s) => (
              <tr data-scan={String(s.id)}>
                <td>{formatTime(s.at)}</td>
                <td class="mono">{s.codeId ? (serialOf.get(s.codeId) ?? `code ${s.codeId}`) : '—'}</td>
                <td>{s.verdict}</td>
                <td>{placeOf(s)}</td>
                <td>
                  {s.locationSource === 'gps' ? 'GPS' : s.locationSource === 'ip' ? 'IP (coarse)' : 'none'}
                </td>
                <td class="num">{s.accuracyM === null ? '—' : formatAccuracy(s.accuracyM)}</td>
                <td class="mono" title="First characters of the device token">
                  {s.deviceId.slice(0, 8)}
                </td>
                <td>{signalledScans.has(s.id) ? 'yes' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {e.scanCount > e.scans.length ? (
        <p class="muted">
          The newest {e.scans.length} of {e.scanCount} scans.
        </p>
      ) : null}

      <h2>Shipments that bound these codes</h2>
      {e.shipments.length === 0 ? (
        <div class="empty">No recorded shipment bound these codes.</div>
      ) : (
        <table class="shipments">
          <thead>
            <tr>
              <th>Shipment</th>
              <th>To</th>
              <th>Codes</th>
              <th>By</th>
              <th>When</th>
              <th>Reason / note</th>
            </tr>
          </thead>
          <tbody>
            {e.shipments.map((s) => (
              <tr data-shipment={String(s.id)}>
                <td>#{s.id}</td>
                <td>{s.distributorName}</td>
                <td>
                  {s.kind === 'list'
                    ? `${s.codeCount} listed codes`
                    : `batch #${s.batchId}${s.seqFrom !== null ? ` #${s.seqFrom}–#${s.seqTo}` : ''} (${s.codeCount} codes)`}
                  {s.reboundCount > 0 ? `, ${s.reboundCount} re-bound` : ''}
                </td>
                <td>{s.actorLabel}</td>
                <td>{formatTime(s.createdAt)}</td>
                <td>{[s.reason, s.note].filter(Boolean).join(' · ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminPage>
  )
}

/**
 * A location's accuracy as people say it: metres for a phone's fix, kilometres from 1 km (an IP
 * location's radius is tens of kilometres).
 *
 * @example
 * formatAccuracy(18) // '±18 m'
 * formatAccuracy(50_000) // '±50 km'
 */
export function formatAccuracy(metres: number): string {
  if (metres < 1000) return `±${Math.round(metres)} m`
  const km = metres / 1000
  return `±${km < 10 ? km.toFixed(1).replace(/\.0$/, '') : Math.round(km)} km`
}
