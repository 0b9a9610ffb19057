import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../app-deps.ts'

/** Merging two members of a brand (issue 7). */
export function createMemberMergeRoutes(_deps: AppDeps) {
  const app = new Hono<AppEnv>()
  return app
}
