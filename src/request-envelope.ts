import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { AppEnv } from './app-deps.ts'

const REQUEST_ID_HEADER = 'x-request-id'
const MAX_REQUEST_ID_LENGTH = 255
/** hono/request-id's rule for an id the client sends: word characters, '-' and '='. */
const REQUEST_ID = /^[\w\-=]+$/

/** Our Content-Security-Policy: our own origin only; images may also come from https (product photos). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data: https:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * The headers every response carries: hono/secure-headers' defaults with our policy, less three
 * that no browser we serve acts on any more — X-XSS-Protection (the XSS auditors it switched are
 * gone; sending "0" and sending nothing now mean the same), X-Download-Options (Internet Explorer 8)
 * and X-DNS-Prefetch-Control (a prefetch hint, not a protection; our pages link our own origin
 * only). Every consumer page pays for each header on a weak connection.
 */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['content-security-policy', CONTENT_SECURITY_POLICY],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
  ['origin-agent-cluster', '?1'],
  ['referrer-policy', 'no-referrer'],
  ['strict-transport-security', 'max-age=15552000; includeSubDomains'],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'SAMEORIGIN'],
  ['x-permitted-cross-domain-policies', 'none'],
]

/**
 * Paths whose last segment is a bearer secret: a printer's one-time download link (the whole
 * batch's codes) and a staff invitation or password reset. Logs travel further than the database.
 */
const SECRET_PATH = /^(\/dl|\/admin\/invite)\/[^/]+/

/**
 * The path as the access log keeps it: a secret link's token replaced by "…". A code's token
 * (`/c/…`) stays: it is printed on the product for anyone to read, and support needs it.
 *
 * @example
 * loggedPath('/dl/Uh0G_Wb_XX') // '/dl/…'
 */
export function loggedPath(path: string): string {
  const secret = SECRET_PATH.exec(path)
  return secret ? `${secret[1]}/…` : path
}

/**
 * The request's envelope, every request's first and only global middleware layer: its request id
 * (the client's X-Request-Id if sane, else a fresh UUID; echoed in the response and the log), the
 * security headers, and the access log line (only when the level is info or finer).
 *
 * Under @hono/node-server the headers go straight onto Node's response before the handler runs
 * (Node merges them with the handler's headers when it writes the head; a handler may still set
 * its own value). hono/request-id and hono/secure-headers set them on the WHATWG Headers of each
 * response, one by one, each in its own middleware layer: with the access log that was three
 * async layers and a dozen validated header writes on every request (npm run bench, http row).
 * Elsewhere (`app.request()` in tests) the headers are set on the response after the handler.
 *
 * @example
 * app.use(requestEnvelope(logger))
 */
export function requestEnvelope(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing
    const node = outgoing && typeof outgoing.setHeader === 'function' && !outgoing.headersSent
    const offered = c.req.header(REQUEST_ID_HEADER)
    const id =
      offered && offered.length <= MAX_REQUEST_ID_LENGTH && REQUEST_ID.test(offered) ? offered : randomUUID()
    c.set('requestId', id)
    if (node) {
      outgoing.setHeader(REQUEST_ID_HEADER, id)
      for (const [name, value] of SECURITY_HEADERS) outgoing.setHeader(name, value)
    } else {
      c.header(REQUEST_ID_HEADER, id)
    }
    // At warn or above (LOG_LEVEL) no access line is written: skip the timing and the object.
    const logging = logger.isLevelEnabled('info')
    if (node && !logging) return next()
    const started = logging ? performance.now() : 0
    await next()
    if (!node)
      for (const [name, value] of SECURITY_HEADERS)
        if (!c.res.headers.has(name)) c.res.headers.set(name, value)
    if (logging)
      logger.info(
        {
          reqId: id,
          method: c.req.method,
          path: loggedPath(c.req.path),
          status: c.res.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      )
  }
}
