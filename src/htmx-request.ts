import type { Context } from 'hono'

/**
 * Whether to answer a fragment for the element htmx swaps: an htmx request that is not a history
 * restore (going Back re-fetches a whole page, and says so with HX-History-Restore-Request).
 *
 * @example
 * return wantsFragment(c) ? c.html(<Results …/>) : c.html(<Page …/>)
 */
export function wantsFragment(c: Context): boolean {
  return c.req.header('hx-request') === 'true' && c.req.header('hx-history-restore-request') !== 'true'
}

/**
 * The address bar's path and query when an htmx request says it was made from a page under
 * `prefix` (HX-Current-URL), else undefined: where a person was, rather than the fragment's own
 * URL. Only the path and query are kept, so another origin in the header can name nothing but a
 * page of ours; the origin is not compared, as behind a TLS proxy the browser's https:// never
 * matches the http:// our own request URL is rebuilt with. Callers still vet it (safeNextPath).
 *
 * @example
 * currentPagePath(c, '/admin') // '/admin/batches/3/codes?after=50'
 */
export function currentPagePath(c: Context, prefix: string): string | undefined {
  const current = c.req.header('hx-current-url')
  if (!current) return undefined
  let url: URL
  try {
    url = new URL(current)
  } catch {
    return undefined
  }
  if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return undefined
  return url.pathname + url.search
}
