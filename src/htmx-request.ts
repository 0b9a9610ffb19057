import type { Context } from 'hono'

/**
 * Whether to answer a fragment for the element htmx swaps: an htmx request that is not a history
 * restore (going Back re-fetches a whole page; htmx 4.0 sends no HX-Request then, but says so).
 *
 * @example
 * return wantsFragment(c) ? c.html(<Results …/>) : c.html(<Page …/>)
 */
export function wantsFragment(c: Context): boolean {
  return c.req.header('hx-request') === 'true' && c.req.header('hx-history-restore-request') !== 'true'
}

/**
 * The address bar's path and query when an htmx request names a page of this site under `prefix`
 * (HX-Current-URL), else undefined: where a person was, rather than the fragment's own URL.
 *
 * @example
 * currentPagePath(c, '/admin') // '/admin/batches/3/codes?after=50'
 */
export function currentPagePath(c: Context, prefix: string): string | undefined {
  const current = c.req.header('hx-current-url')
  if (!current) return undefined
  let url: URL
  let own: URL
  try {
    url = new URL(current)
    own = new URL(c.req.url)
  } catch {
    return undefined
  }
  if (url.origin !== own.origin) return undefined
  if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return undefined
  return url.pathname + url.search
}
