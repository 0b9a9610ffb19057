import type { ServerResponse } from 'node:http'
import type { MiddlewareHandler } from 'hono'

/** Our Content-Security-Policy: our own origin only; images may also come from https (product photos). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data: https:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** The headers of hono/secure-headers' defaults, with our policy; every response carries them. */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['content-security-policy', CONTENT_SECURITY_POLICY],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
  ['origin-agent-cluster', '?1'],
  ['referrer-policy', 'no-referrer'],
  ['strict-transport-security', 'max-age=15552000; includeSubDomains'],
  ['x-content-type-options', 'nosniff'],
  ['x-dns-prefetch-control', 'off'],
  ['x-download-options', 'noopen'],
  ['x-frame-options', 'SAMEORIGIN'],
  ['x-permitted-cross-domain-policies', 'none'],
  ['x-xss-protection', '0'],
]

/**
 * Sets the security headers on every response. Under @hono/node-server they go straight onto
 * Node's response before the handler runs (Node merges them with the handler's headers when it
 * writes the head); hono/secure-headers set them one by one on the WHATWG Headers of each response
 * after the handler, whose validation and the copy back into Node's headers cost 4 % of the scan
 * page's CPU (npm run bench, http row). Elsewhere (`app.request()` in tests) they are set on the
 * response as secureHeaders would. A handler may still set its own value of one of them.
 *
 * @example
 * app.use(securityHeaders())
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing
    if (outgoing && typeof outgoing.setHeader === 'function' && !outgoing.headersSent) {
      for (const [name, value] of SECURITY_HEADERS) outgoing.setHeader(name, value)
      return next()
    }
    await next()
    for (const [name, value] of SECURITY_HEADERS) if (!c.res.headers.has(name)) c.res.headers.set(name, value)
  }
}
