/**
 * A fixed-window counter per key (IP, device, account), in memory: enough for one process, and the
 * place to swap in a shared store when several app servers run.
 *
 * @example
 * const limiter = createRateLimiter({ limit: 20, windowMs: 60_000 })
 * const r = limiter.hit(`ip:${ip}`, now); if (!r.allowed) return tooMany(r.retryAfterS)
 */
export type RateLimiter = {
  hit(key: string, now: number): { allowed: boolean; retryAfterS: number }
  /** Whether the key is over its limit now, without counting this look. */
  peek(key: string, now: number): { allowed: boolean; retryAfterS: number }
  reset(key: string): void
}

const MAX_KEYS = 100_000

export function createRateLimiter(opts: { limit: number; windowMs: number }): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>()
  return {
    hit(key, now) {
      let w = windows.get(key)
      if (!w || now - w.start >= opts.windowMs) {
        // Bound memory under a flood of distinct keys: drop the oldest windows first.
        if (windows.size >= MAX_KEYS) {
          for (const k of windows.keys()) {
            windows.delete(k)
            if (windows.size < MAX_KEYS / 2) break
          }
        }
        w = { start: now, count: 0 }
        windows.set(key, w)
      }
      w.count++
      const allowed = w.count <= opts.limit
      return {
        allowed,
        retryAfterS: allowed ? 0 : Math.max(1, Math.ceil((w.start + opts.windowMs - now) / 1000)),
      }
    },
    peek(key, now) {
      const w = windows.get(key)
      if (!w || now - w.start >= opts.windowMs || w.count < opts.limit)
        return { allowed: true, retryAfterS: 0 }
      return { allowed: false, retryAfterS: Math.max(1, Math.ceil((w.start + opts.windowMs - now) / 1000)) }
    },
    reset(key) {
      windows.delete(key)
    },
  }
}
