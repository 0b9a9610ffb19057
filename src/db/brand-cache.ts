import type { DbLike } from './index.ts'
import { clientOf } from './prepared.ts'

/**
 * A per-brand value read from the database at most once per `ttlMs` on each connection, for the
 * hot paths that need a brand's rules on every request (points rules, anti-diversion settings).
 * The functions that save those rules call `forget` once their transaction ends, committed or not,
 * so this process sees a change at once; a change another process writes is seen here at most
 * `ttlMs` after it commits. Values are shared between callers: `load` should freeze them.
 *
 * @example
 * const rules = cachedPerBrand(5_000, (db, brandId) => Object.freeze(readRules(db, brandId)))
 * rules.get(db, brandId); rules.forget(db, brandId)
 */
export function cachedPerBrand<T>(ttlMs: number, load: (db: DbLike, brandId: number) => T) {
  const byConnection = new WeakMap<object, Map<number, { value: T; until: number }>>()
  return {
    get(db: DbLike, brandId: number): T {
      const client = clientOf(db)
      let brands = byConnection.get(client)
      if (!brands) {
        brands = new Map()
        byConnection.set(client, brands)
      }
      const now = Date.now()
      const cached = brands.get(brandId)
      if (cached && cached.until > now) return cached.value
      const value = load(db, brandId)
      brands.set(brandId, { value, until: now + ttlMs })
      return value
    },
    forget(db: DbLike, brandId: number): void {
      byConnection.get(clientOf(db))?.delete(brandId)
    },
  }
}
