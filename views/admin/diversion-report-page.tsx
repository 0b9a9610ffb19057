import type { CasePage, FilterOptions } from '../../src/channels/case-store.ts'
import { regionLabel } from '../../src/channels/region-names.ts'
import type { ReportFormValues } from '../../src/channels/report-input.ts'
import type { DiversionMatrix } from '../../src/channels/report-store.ts'
import { AdminPage, FormErrors, type StaffView } from './admin-page.tsx'
import {
  CaseFilterFields,
  CaseTable,
  distributorLabel,
  Pager,
  queryOf,
  type RegionNameOf,
} from './cases-pages.tsx'
import { RegionMap, rollUpToCountries } from './region-map.tsx'

export type ReportData = { matrix: DiversionMatrix; cases: CasePage }

/** Distributors × regions of diverted scans, with totals; each count links to its cases. */
function MatrixTable(p: { matrix: DiversionMatrix; values: ReportFormValues; regionName: RegionNameOf }) {
  const { matrix } = p
  // Up to distributors × regions links: the filters' part of the query is built once.
  const base = queryOf({ ...p.values, distributor: undefined, region: undefined })
  const casesLink = (distributor: number | null, region: string) => {
    const extra = new URLSearchParams()
    if (distributor !== null) extra.set('distributor', String(distributor))
    extra.set('region', region === '' ? '-' : region)
    return `/admin/diversion${base}${base ? '&' : '?'}${extra}#cases`
  }
  return (
    <div style="overflow-x:auto">
      <table class="matrix" data-total={String(matrix.total)}>
        <caption style="text-align:left;padding:0.3rem 0" class="muted">
          Distinct scans with an off-region signal in the period; rows are distributors, columns the regions
          where the scans were made.
        </caption>
        <thead>
          <tr>
            <th scope="col">Distributor</th>
            {matrix.regions.map((code) => (
              <th scope="col" class="num" data-region={code} title={regionLabel(p.regionName(code))}>
                {p.regionName(code).nameEn}
              </th>
            ))}
            <th scope="col" class="num">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {matrix.rows.map((row) => (
            <tr data-distributor={row.distributorId === null ? 'none' : String(row.distributorId)}>
              <th scope="row">{distributorLabel(row)}</th>
              {matrix.regions.map((code) => {
                const n = row.cells.get(code)
                return (
                  <td class="num" data-region={code}>
                    {n ? <a href={casesLink(row.distributorId, code)}>{n}</a> : ''}
                  </td>
                )
              })}
              <td class="num">
                <b>{row.total}</b>
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            {matrix.regions.map((code) => (
              <td class="num" data-region={code}>
                <b>{matrix.columnTotals.get(code) ?? 0}</b>
              </td>
            ))}
            <td class="num" data-total="">
              <b>{matrix.total}</b>
            </td>
          </tr>
        </tfoot>
      </table>
    </div>
  )
}

/** The maps of the matrix's column totals: China by province, and the world when scans left China. */
function ReportMaps(p: { matrix: DiversionMatrix }) {
  const counts = p.matrix.columnTotals
  const codes = [...counts.keys()]
  const inChina = codes.some((c) => c.startsWith('CN-'))
  const abroad = codes.some((c) => c !== '' && !c.startsWith('CN-'))
  return (
    <>
      {inChina || !abroad ? (
        <RegionMap title="Diverted scans by province" scope="china" counts={counts} />
      ) : null}
      {abroad ? (
        <RegionMap title="Diverted scans by country" scope="world" counts={rollUpToCountries(counts)} />
      ) : null}
    </>
  )
}

/** Everything the filters change: swapped as one fragment by the filter form and the pager. */
export function ReportBody(p: {
  data?: ReportData
  values: ReportFormValues
  regionName: RegionNameOf
  errors?: string[]
}) {
  const exportHref = `/admin/diversion/export.csv${queryOf({ ...p.values })}`
  return (
    <div id="report">
      <FormErrors errors={p.errors} />
      {p.data ? (
        <>
          <p>
            <a class="button secondary" href={exportHref} download>
              Export CSV (one row per signal)
            </a>
          </p>
          <h2>Diverted scans by distributor and region</h2>
          {p.data.matrix.total === 0 ? (
            <div class="empty">No diverted scans in this period for these filters.</div>
          ) : (
            <>
              <MatrixTable matrix={p.data.matrix} values={p.values} regionName={p.regionName} />
              <ReportMaps matrix={p.data.matrix} />
            </>
          )}
          <h2 id="cases">Cases</h2>
          {p.data.cases.rows.length === 0 ? (
            <div class="empty">No case was active in this period for these filters.</div>
          ) : (
            <CaseTable rows={p.data.cases.rows} regionName={p.regionName} />
          )}
          <Pager
            page={p.data.cases.page}
            pageCount={p.data.cases.pageCount}
            total={p.data.cases.total}
            path="/admin/diversion"
            fragmentPath="/admin/diversion"
            target="#report"
            values={{ ...p.values }}
            noun="case"
          />
        </>
      ) : null}
    </div>
  )
}

export function ReportPage(p: {
  staff: StaffView
  values: ReportFormValues
  options: FilterOptions
  regionName: RegionNameOf
  data?: ReportData
  errors?: string[]
}) {
  return (
    <AdminPage staff={p.staff} title="Diversion report" current="/admin/diversion">
      <h1>Diversion report</h1>
      <p>
        <a href="/admin/diversion/cases">All cases</a> ·{' '}
        <a href="/admin/diversion/cases?status=open">Open cases</a>
      </p>
      <form
        class="inline report-filters"
        method="get"
        action="/admin/diversion"
        hx-get="/admin/diversion"
        hx-target="#report"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <label>
          From
          <input type="date" name="from" value={p.values.from} />
        </label>
        <label>
          To
          <input type="date" name="to" value={p.values.to} />
        </label>
        <CaseFilterFields values={p.values} options={p.options} regionName={p.regionName} />
        <label>
          Batch #
          <input name="batch" inputmode="numeric" pattern="[0-9]*" size={6} value={p.values.batch} />
        </label>
        <button type="submit">Apply</button>
        <a href="/admin/diversion">Reset</a>
      </form>
      <ReportBody data={p.data} values={p.values} regionName={p.regionName} errors={p.errors} />
    </AdminPage>
  )
}
