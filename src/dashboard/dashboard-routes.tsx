import { Hono } from 'hono'
import { DashboardCharts, DashboardPage, RangeForm } from '../../views/admin/dashboard-page.tsx'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { channelScopeOf } from '../channels/channel-scope.ts'
import { wantsFragment } from '../htmx-request.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { dayOf } from './dashboard-days.ts'
import { parseRange } from './dashboard-input.ts'
import { loadDashboard } from './dashboard-store.ts'

/**
 * The brand dashboard: activity per day, funnel, scan rate per batch, map, top products, open cases
 * (issue 7). One GET answers the whole page, or, to an htmx request, the charts region plus the
 * range form out of band; a refused range answers 422 with the reasons (htmx 4 swaps 4xx).
 */
export function createDashboardRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/dashboard', requireRole('dashboard.read'), (c) => {
    const s = c.get('staff')
    const now = deps.clock.now()
    const today = dayOf(now)
    const outcome = parseRange(c.req.query(), today)
    const channel = channelScopeOf(deps.db, s)
    const showMembers = can(s.role, 'members.read')
    const brandWide = channel.all
    const ok = outcome.kind === 'ok'
    const values = ok
      ? { from: outcome.from, to: outcome.to, preset: outcome.preset }
      : { ...outcome.values, preset: null }
    const dashboard = ok ? loadDashboard(s.bdb, { showMembers, channel }, outcome, now) : undefined
    const errors = ok ? undefined : outcome.errors
    const status = ok ? 200 : 422
    c.header('Vary', 'HX-Request')
    c.header('Cache-Control', 'no-store')
    if (wantsFragment(c)) {
      return c.html(
        <>
          <DashboardCharts
            dashboard={dashboard}
            errors={errors}
            showMembers={showMembers}
            brandWide={brandWide}
          />
          <RangeForm values={values} today={today} oob />
        </>,
        status,
      )
    }
    return c.html(
      <DashboardPage
        staff={staffView(s)}
        values={values}
        today={today}
        errors={errors}
        dashboard={dashboard}
        showMembers={showMembers}
        brandWide={brandWide}
      />,
      status,
    )
  })
}
