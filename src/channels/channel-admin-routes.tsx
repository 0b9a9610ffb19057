import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../app-deps.ts'

/** Distributors, sales regions, brand regions, manager assignments, warehouse-out shipments and channel settings (issue 5). */
export function createChannelAdminRoutes(_deps: AppDeps) {
  const app = new Hono<AppEnv>()
  return app
}
