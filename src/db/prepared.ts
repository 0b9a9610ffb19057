import type BetterSqlite3 from 'better-sqlite3'
import type { DbLike } from './index.ts'

/**
 * The better-sqlite3 connection under a drizzle handle or one of its transactions. A transaction
 * runs on that same connection, so a statement prepared on it runs inside the open transaction.
 */
export function clientOf(db: DbLike): BetterSqlite3.Database {
  if ('$client' in db) return db.$client
  // A drizzle transaction keeps the connection in its session (drizzle-orm/better-sqlite3).
  const client = (db as unknown as { session?: { client?: BetterSqlite3.Database } }).session?.client
  if (!client) throw new Error('no better-sqlite3 connection under this drizzle handle')
  return client
}

/**
 * Statements prepared once per connection, for the hot paths: building a query through drizzle and
 * preparing it again on every call cost more than SQLite's own work (measured in the claim bench).
 *
 * @example
 * const statementsFor = preparedPerConnection((c) => ({ balance: c.prepare('SELECT …') }))
 * statementsFor(tx).balance.get(brandId, memberId)
 */
export function preparedPerConnection<T>(build: (client: BetterSqlite3.Database) => T): (db: DbLike) => T {
  const cache = new WeakMap<BetterSqlite3.Database, T>()
  return (db) => {
    const client = clientOf(db)
    let statements = cache.get(client)
    if (!statements) {
      statements = build(client)
      cache.set(client, statements)
    }
    return statements
  }
}
