import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../app-deps.ts'

/** The brand dashboard: activity per day, funnel, scan rate per batch, map, top products, open cases (issue 7). */
export function createDashboardRoutes(_deps: AppDeps) {
  const app = new Hono<AppEnv>()
  return app
}
