import fs from 'node:fs'
import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import { MessagePage } from '../views/admin/sign-in-page.tsx'
import { FragmentAlert } from '../views/fragment-alert.tsx'
import { renderWithoutAsyncLocalStorage } from '../views/render-without-als.ts'
import type { Lang } from '../views/scan/messages.ts'
import { HTMX_FILE, HTMX_PATH } from '../views/static-assets.ts'
import type { AppDeps, AppEnv } from './app-deps.ts'
import { createBatchRoutes } from './batches/batch-routes.tsx'
import { createPrinterRoutes } from './batches/printer-routes.tsx'
import { createChannelAdminRoutes } from './channels/channel-admin-routes.tsx'
import { createDiversionRoutes } from './channels/diversion-routes.tsx'
import { createKeyringRefresher } from './codes/key-store.ts'
import { consumerLang } from './consumer-lang.ts'
import { createDashboardRoutes } from './dashboard/dashboard-routes.tsx'
import { isDatabaseUsable } from './db/index.ts'
import { preloadForm } from './form-body.ts'
import { wantsFragment } from './htmx-request.ts'
import { createAccountRoutes } from './members/account-routes.tsx'
import { createLifecycleRoutes } from './members/lifecycle-routes.tsx'
import { createMemberAdminRoutes } from './members/member-admin-routes.tsx'
import { createMemberMergeRoutes } from './members/member-merge-routes.tsx'
import { createMemberRoutes } from './members/member-routes.tsx'
import { createSegmentRoutes } from './members/segment-routes.tsx'
import { createPointsAdminRoutes } from './points/points-admin-routes.tsx'
import { createRewardAdminRoutes, createRewardRoutes } from './points/reward-routes.tsx'
import { createProductRoutes } from './products/product-routes.tsx'
import { loggedPath, requestEnvelope } from './request-envelope.ts'
import { defaultPlaces } from './scans/places.ts'
import { createScanRoutes } from './scans/scan-routes.tsx'
import { requireStaff } from './staff/staff-auth.ts'
import { createStaffPublicRoutes, createStaffRoutes } from './staff/staff-routes.tsx'
import { deriveKey } from './staff/staff-session.ts'

/** Request bodies above this answer 413; uploads of void lists get their own, larger limit. */
export const MAX_BODY_BYTES = 256 * 1024
export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024
/** Forms that carry a file: void lists, GeoJSON regions (checked at 1 MB by their route), shipment lists. */
const UPLOAD_PATHS = new Set(['/admin/codes/void', '/admin/regions', '/admin/shipments'])
const BODY_TOO_LARGE = 'The request body is too large.'
/** The methods that can change something: they alone pass the CSRF check and the body limits. */
const UNSAFE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE']

renderWithoutAsyncLocalStorage()

const CSS = fs.readFileSync(new URL('../views/static/app.css', import.meta.url))
const HTMX = fs.readFileSync(HTMX_FILE)

const NOT_FOUND_FRAGMENT = {
  'zh-CN': '找不到这项内容，请刷新页面或重新扫码。',
  en: 'This is no longer here. Reload the page and try again.',
}
const FAILED_FRAGMENT = {
  'zh-CN': (ref: string) => `出了点问题，请稍后再试。参考编号：${ref}`,
  en: (ref: string) => `Something went wrong. Please try again. Reference: ${ref}`,
}
/** A form refused by the cross-site check (csrf()'s 403): most often a page open too long. */
const FORBIDDEN_FRAGMENT = {
  'zh-CN': '页面已过期，请刷新后重试。',
  en: 'This page has expired. Reload it and try again.',
}

/** The console speaks English; the consumer pages the language the person chose or their browser's. */
function fragmentLang(c: Context<AppEnv>): Lang {
  if (c.req.path === '/admin' || c.req.path.startsWith('/admin/')) return 'en'
  return consumerLang(c)
}

/**
 * Builds the whole HTTP app from its dependencies; server.ts and the tests call this.
 *
 * @example
 * const app = createApp(deps); const res = await app.request('/healthz')
 */
export function createApp(appDeps: AppDeps) {
  const deps: AppDeps = {
    ...appDeps,
    refreshKeys:
      appDeps.refreshKeys ??
      createKeyringRefresher(appDeps.db, appDeps.masterKey, appDeps.keyring, () => appDeps.clock.now()),
  }
  const keys = {
    sessionKey: deriveKey(deps.masterKey, 'staff session'),
    csrfKey: deriveKey(deps.masterKey, 'staff csrf'),
  }
  const staffDeps = { ...deps, ...keys }
  const app = new Hono<AppEnv>()

  app.use(requestEnvelope(deps.logger))
  // Cross-site form posts are refused by Origin (and Sec-Fetch-Site) before any handler runs. Only
  // the methods that can change something pass through it and the body limits (GETs skip both).
  app.on(UNSAFE_METHODS, '*', csrf())
  const uploadLimit = bodyLimit({
    maxSize: MAX_UPLOAD_BYTES,
    onError: (c) => c.text('The upload is larger than 8 MB. Split the list.', 413),
  })
  const formLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.text(BODY_TOO_LARGE, 413),
  })
  app.on(UNSAFE_METHODS, '*', async (c, next) => {
    if (UPLOAD_PATHS.has(c.req.path)) return uploadLimit(c, next)
    // The consumer posts (claim, sign-in, location) are small url-encoded forms: read them directly.
    const preload = await preloadForm(c, MAX_BODY_BYTES)
    if (preload === 'loaded') return next()
    if (preload === 'too-large') return c.text(BODY_TOO_LARGE, 413)
    if (preload === 'incomplete') return c.text('The request body was cut short.', 400)
    return formLimit(c, next)
  })

  app.get('/healthz', (c) => c.text('ok'))
  app.get('/readyz', (c) =>
    isDatabaseUsable(deps.db) ? c.text('ready') : c.text('database unavailable', 503),
  )
  app.get('/static/app.css', (c) => {
    c.header('content-type', 'text/css; charset=utf-8')
    c.header('cache-control', 'public, max-age=3600')
    return c.body(CSS)
  })
  app.get(HTMX_PATH, (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8')
    c.header('cache-control', 'public, max-age=31536000, immutable')
    return c.body(HTMX)
  })
  // Browsers ask for it on every site; the pages are the brands', so no icon of ours, and no 404
  // in every console (nor its bytes on a consumer's weak connection).
  app.get('/favicon.ico', (c) => {
    c.header('cache-control', 'public, max-age=604800')
    return c.body(null, 204)
  })
  app.get('/', (c) => c.redirect('/admin', 303))

  app.route('/', createScanRoutes({ ...deps, ...(deps.places ?? defaultPlaces()) }))
  app.route('/', createMemberRoutes(deps))
  app.route('/', createAccountRoutes(deps))
  app.route('/', createRewardRoutes(deps))
  app.route('/', createPrinterRoutes(deps))
  app.route('/admin', createStaffPublicRoutes(staffDeps))
  const admin = new Hono<AppEnv>()
  admin.use(requireStaff(staffDeps))
  admin.get('/', (c) =>
    c.redirect(c.get('staff').role === 'channel_manager' ? '/admin/diversion' : '/admin/batches', 303),
  )
  admin.route('/', createStaffRoutes(staffDeps))
  admin.route('/', createProductRoutes(deps))
  admin.route('/', createBatchRoutes(deps))
  admin.route('/', createMemberAdminRoutes(deps))
  admin.route('/', createSegmentRoutes(deps))
  admin.route('/', createPointsAdminRoutes(deps))
  admin.route('/', createRewardAdminRoutes(deps))
  admin.route('/', createChannelAdminRoutes(deps))
  admin.route('/', createDiversionRoutes(deps))
  admin.route('/', createMemberMergeRoutes(deps))
  admin.route('/', createLifecycleRoutes(deps))
  admin.route('/', createDashboardRoutes(deps))
  app.route('/admin', admin)

  // htmx 4 swaps error answers too: an htmx request gets a line for the box it swaps, in the
  // consumer's language outside the console, rather than a whole page inside that box.
  app.notFound((c) =>
    wantsFragment(c)
      ? c.html(<FragmentAlert message={NOT_FOUND_FRAGMENT[fragmentLang(c)]} />, 404)
      : c.html(
          <MessagePage title="Not found" message="There is nothing at this address." status="error" />,
          404,
        ),
  )
  app.onError((err, c) => {
    // Middleware answers such as csrf()'s 403 arrive as HTTPExceptions: they are answers, not bugs.
    if (err instanceof HTTPException) {
      if (err.status === 403 && wantsFragment(c))
        return c.html(<FragmentAlert message={FORBIDDEN_FRAGMENT[fragmentLang(c)]} />, 403)
      return err.getResponse()
    }
    // A body that says multipart/form-data but is not (c.req.parseBody() throws): bad input, not a bug.
    if (err instanceof TypeError && err.message.startsWith('Failed to parse body')) {
      return c.text('The form data could not be read. Reload the page and try again.', 400)
    }
    const reqId = c.get('requestId')
    deps.logger.error({ err, reqId, path: loggedPath(c.req.path) }, 'unhandled error')
    if (wantsFragment(c))
      return c.html(<FragmentAlert message={FAILED_FRAGMENT[fragmentLang(c)](reqId)} />, 500)
    return c.html(
      <MessagePage
        title="Something went wrong"
        message={`We could not finish this request. Reference: ${reqId}`}
        status="error"
      />,
      500,
    )
  })
  return app
}
