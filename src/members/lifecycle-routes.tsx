import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../app-deps.ts'

/** Programme settings, automatic tags, birthday bonus and churn warnings (issue 7). */
export function createLifecycleRoutes(_deps: AppDeps) {
  const app = new Hono<AppEnv>()
  return app
}
