import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../app-deps.ts'

/** Diversion cases and the diversion report (issue 5). */
export function createDiversionRoutes(_deps: AppDeps) {
  const app = new Hono<AppEnv>()
  return app
}
