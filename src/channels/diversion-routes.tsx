import { Readable } from 'node:stream'
import { type Context, Hono } from 'hono'
import {
  CaseDetailPage,
  CaseListBody,
  CasesPage,
  DecidePanel,
  type DecisionValues,
} from '../../views/admin/cases-pages.tsx'
import { ReportBody, ReportPage } from '../../views/admin/diversion-report-page.tsx'
import type { AppDeps, AppEnv, SignedInStaff } from '../app-deps.ts'
import { streamDownload } from '../batches/batch-routes.tsx'
import { wantsFragment } from '../htmx-request.ts'
import { recordAudit } from '../staff/audit-store.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import {
  type CaseRow,
  caseEvidence,
  decideCase,
  distributorVisible,
  filterOptions,
  findCase,
  listCases,
} from './case-store.ts'
import { channelScopeOf } from './channel-scope.ts'
import { regionNamer } from './region-names.ts'
import { reportCsvBlocks } from './report-csv.ts'
import {
  CaseListQuery,
  caseFilters,
  DecisionForm,
  type ReportFormValues,
  ReportQuery,
  reportFilters,
  utcDay,
} from './report-input.ts'
import { diversionMatrix, exportRows } from './report-store.ts'

const NOT_FOUND_TEXT = 'There is nothing at this address.'

function scopeOf(deps: AppDeps, s: SignedInStaff) {
  return channelScopeOf(deps.db, s)
}

/**
 * Diversion cases and the diversion report (issue 5). Every query runs through the staff member's
 * channel scope: a channel manager sees the cases of the distributors assigned to them, and any
 * other case, distributor filter or export answers 404 as if it did not exist.
 */
export function createDiversionRoutes(deps: AppDeps) {
  function renderCase(
    c: Context<AppEnv>,
    row: CaseRow,
    extra: { values?: DecisionValues; errors?: string[]; notice?: string } = {},
    status: 200 | 409 | 422 = 200,
  ) {
    const s = c.get('staff')
    const scope = scopeOf(deps, s)
    const evidence = caseEvidence(s.bdb, scope, row)
    const canDecide = can(s.role, 'cases.decide')
    c.header('Cache-Control', 'no-store')
    c.header('Vary', 'HX-Request')
    if (wantsFragment(c) && c.req.method === 'POST')
      return c.html(
        <DecidePanel
          c={row}
          decidedBy={evidence.decidedBy}
          heldCount={evidence.heldClaims.length}
          canDecide={canDecide}
          csrfToken={s.csrfToken}
          values={extra.values}
          errors={extra.errors}
        />,
        status,
      )
    const regionName = regionNamer(s.bdb, [
      row.regionCode,
      ...(evidence.distributor?.regionCodes ?? []),
      ...evidence.signals.map((x) => x.regionCode),
    ])
    return c.html(
      <CaseDetailPage
        staff={staffView(s)}
        c={row}
        evidence={evidence}
        regionName={regionName}
        canDecide={canDecide}
        {...extra}
      />,
      status,
    )
  }

  return new Hono<AppEnv>()
    .get('/diversion', requireRole('channels.read'), (c) => {
      const s = c.get('staff')
      const scope = scopeOf(deps, s)
      const parsed = ReportQuery.safeParse(c.req.query())
      const options = filterOptions(s.bdb, scope)
      c.header('Cache-Control', 'no-store')
      c.header('Vary', 'HX-Request')
      const render = (
        values: ReportFormValues,
        data: Parameters<typeof ReportBody>[0]['data'],
        errors: string[] | undefined,
        status: 200 | 400,
      ) => {
        const regionName = regionNamer(s.bdb, [
          ...options.regionCodes,
          ...(data?.matrix.regions ?? []),
          ...(data?.cases.rows.map((r) => r.regionCode) ?? []),
        ])
        return wantsFragment(c)
          ? c.html(<ReportBody data={data} values={values} regionName={regionName} errors={errors} />, status)
          : c.html(
              <ReportPage
                staff={staffView(s)}
                values={values}
                options={options}
                regionName={regionName}
                data={data}
                errors={errors}
              />,
              status,
            )
      }
      if (!parsed.success) {
        const today = utcDay(deps.clock.now())
        const values = {
          from: '',
          to: today,
          status: '',
          distributor: '',
          product: '',
          region: '',
          batch: '',
        }
        return render(values, undefined, issuesOf(parsed.error), 400)
      }
      const report = reportFilters(parsed.data, deps.clock.now())
      if (report.kind === 'invalid') return render(report.values, undefined, report.errors, 400)
      const { filters } = report
      if (filters.distributorId && !distributorVisible(s.bdb, scope, filters.distributorId))
        return c.notFound()
      const data = {
        matrix: diversionMatrix(s.bdb, scope, filters),
        cases: listCases(s.bdb, scope, filters, report.page),
      }
      return render(report.values, data, undefined, 200)
    })
    .get('/diversion/export.csv', requireRole('channels.read'), (c) => {
      const s = c.get('staff')
      const scope = scopeOf(deps, s)
      const parsed = ReportQuery.safeParse(c.req.query())
      if (!parsed.success) return c.text(issuesOf(parsed.error).join('\n'), 400)
      const now = deps.clock.now()
      const report = reportFilters(parsed.data, now)
      if (report.kind === 'invalid') return c.text(report.errors.join('\n'), 400)
      const { filters, values } = report
      if (filters.distributorId && !distributorVisible(s.bdb, scope, filters.distributorId))
        return c.text(NOT_FOUND_TEXT, 404)
      // Who took which part of the channel data, recorded before the first byte leaves.
      recordAudit(deps.db, s.brandId, { staffId: s.staffId, label: s.email }, now, {
        action: 'diversion.report.export',
        subjectType: 'diversion_report',
        subjectId: `${values.from}..${values.to}`,
        detail: { ...values },
      })
      const blocks = reportCsvBlocks(exportRows(s.bdb, scope, filters), (codes) => regionNamer(s.bdb, codes))
      return streamDownload({
        stream: Readable.from(blocks, { objectMode: false }),
        fileName: `diversion-${values.from}-${values.to}.csv`,
        contentType: 'text/csv; charset=utf-8',
      })
    })
    .get('/diversion/cases', requireRole('channels.read'), (c) => {
      const s = c.get('staff')
      const scope = scopeOf(deps, s)
      const parsed = CaseListQuery.safeParse(c.req.query())
      const options = filterOptions(s.bdb, scope)
      const q = parsed.success ? parsed.data : {}
      const filters = caseFilters(q)
      if (filters.distributorId && !distributorVisible(s.bdb, scope, filters.distributorId))
        return c.notFound()
      const page = listCases(s.bdb, scope, filters, q.page ?? 1)
      const values = {
        status: q.status ?? '',
        distributor: q.distributor ? String(q.distributor) : '',
        product: q.product ? String(q.product) : '',
        region: q.region ?? '',
      }
      const regionName = regionNamer(s.bdb, [...options.regionCodes, ...page.rows.map((r) => r.regionCode)])
      const filtered = Object.values(values).some((v) => v !== '')
      const errors = parsed.success ? undefined : issuesOf(parsed.error)
      const status = parsed.success ? 200 : 400
      c.header('Cache-Control', 'no-store')
      c.header('Vary', 'HX-Request')
      if (wantsFragment(c))
        return c.html(
          <CaseListBody page={page} values={values} regionName={regionName} filtered={filtered} />,
          status,
        )
      return c.html(
        <CasesPage
          staff={staffView(s)}
          page={page}
          values={values}
          options={options}
          regionName={regionName}
          filtered={filtered}
          errors={errors}
        />,
        status,
      )
    })
    .get('/diversion/cases/:id{[0-9]{1,15}}', requireRole('channels.read'), (c) => {
      const s = c.get('staff')
      const row = findCase(s.bdb, scopeOf(deps, s), Number(c.req.param('id')))
      if (!row) return c.notFound()
      const decided = c.req.query('decided')
      return renderCase(c, row, {
        notice:
          decided === 'confirm'
            ? 'Case confirmed as diversion.'
            : decided === 'dismiss'
              ? 'Case dismissed.'
              : undefined,
      })
    })
    .post('/diversion/cases/:id{[0-9]{1,15}}/decide', requireRole('cases.decide'), async (c) => {
      const s = c.get('staff')
      const scope = scopeOf(deps, s)
      const caseId = Number(c.req.param('id'))
      const body = await c.req.parseBody()
      const values = {
        decision: typeof body.decision === 'string' ? body.decision : '',
        note: typeof body.note === 'string' ? body.note : '',
      }
      const parsed = DecisionForm.safeParse(body)
      if (!parsed.success) {
        const row = findCase(s.bdb, scope, caseId)
        if (!row) return c.notFound()
        return renderCase(c, row, { values, errors: issuesOf(parsed.error).map(withoutField) }, 422)
      }
      const outcome = decideCase(
        s.bdb,
        scope,
        { staffId: s.staffId, label: s.email },
        caseId,
        parsed.data.decision,
        parsed.data.note,
        deps.clock.now(),
      )
      if (outcome.kind === 'not-found') return c.notFound()
      if (outcome.kind === 'already-decided') {
        const row = findCase(s.bdb, scope, caseId)!
        return renderCase(
          c,
          row,
          {
            errors: [
              `This case was already ${outcome.status} on ${new Date(outcome.decidedAt ?? 0).toISOString().slice(0, 16).replace('T', ' ')} UTC; a decision cannot be changed.`,
            ],
          },
          409,
        )
      }
      const target = `/admin/diversion/cases/${caseId}?decided=${parsed.data.decision}`
      if (wantsFragment(c)) {
        c.header('HX-Redirect', target)
        return c.body(null, 204)
      }
      return c.redirect(target, 303)
    })
}

/** 'note: write a note…' → 'Write a note…': the form has one field a person types in. */
function withoutField(issue: string): string {
  const text = issue.replace(/^(note|decision): /, '')
  return text.charAt(0).toUpperCase() + text.slice(1)
}
