import { eq } from 'drizzle-orm'
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { brandDb } from '../db/brand-scope.ts'
import { currentPagePath } from '../htmx-request.ts'
import { can, type Permission } from './permissions.ts'
import { brands } from './staff-schema.ts'
import { csrfTokenFor, isValidCsrfToken, readStaffSession, STAFF_COOKIE } from './staff-session.ts'
import { findStaff } from './staff-store.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Signs the request in from the session cookie (JWT checked, then the staff row: a disabled account,
 * a changed role or a sign-out ends the session at once) and checks the CSRF token of every POST.
 */
export function requireStaff(
  deps: AppDeps & { sessionKey: Uint8Array; csrfKey: Uint8Array },
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const jwt = getCookie(c, STAFF_COOKIE)
    const claims = jwt ? await readStaffSession(deps.sessionKey, jwt, deps.clock.now()) : undefined
    const row = claims ? findStaff(deps.db, claims.staffId) : undefined
    if (!claims || !row || row.disabledAt !== null || row.sessionVersion !== claims.sessionVersion) {
      return toSignIn(c)
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      const form = c.req.header('content-type')?.includes('form') ? await c.req.parseBody() : {}
      const token = c.req.header('x-csrf-token') ?? (typeof form._csrf === 'string' ? form._csrf : undefined)
      if (!isValidCsrfToken(deps.csrfKey, claims, token)) {
        return c.text('This form has expired. Reload the page and try again.', 403)
      }
    }
    const brand = deps.db.select().from(brands).where(eq(brands.id, row.brandId)).get()!
    c.set('staff', {
      staffId: row.id,
      brandId: row.brandId,
      brandName: brand.name,
      brandSlug: brand.slug,
      email: row.email,
      name: row.name,
      role: row.role,
      sessionVersion: row.sessionVersion,
      csrfToken: csrfTokenFor(deps.csrfKey, { staffId: row.id, sessionVersion: row.sessionVersion }),
      bdb: brandDb(deps.db, row.brandId),
    })
    await next()
  }
}

/**
 * Sends a request without a valid session to the sign-in page, with the way back: the page the
 * person was on (an htmx request's fragment URL would come back as a bare, unstyled fragment), or
 * a plain GET's own path and query.
 */
function toSignIn(c: Context<AppEnv>) {
  const htmx = c.req.header('hx-request') === 'true'
  const here = c.req.method === 'GET' ? c.req.path + new URL(c.req.url).search : '/admin'
  const next = (htmx && currentPagePath(c, '/admin')) || here
  const target = `/admin/sign-in?next=${encodeURIComponent(next)}`
  if (htmx) {
    c.header('HX-Redirect', target)
    return c.body(null, 401)
  }
  return c.req.method === 'GET' ? c.redirect(target, 303) : c.text('Please sign in again.', 401)
}

/** Answers 403 unless the signed-in role has the permission (DESIGN.md "Roles"). */
export function requireRole(permission: Permission): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!can(c.get('staff').role, permission)) {
      return c.text('Your role does not allow this. Ask an owner of your brand.', 403)
    }
    await next()
  }
}
