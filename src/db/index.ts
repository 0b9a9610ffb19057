import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema.ts'

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url))
const BUSY_TIMEOUT_MS = 5_000
const CACHE_KIB = 32 * 1024

/**
 * Opens (creating if needed) the SQLite database, applies the pragmas we rely on, asserts them, and
 * applies the committed migrations. `':memory:'` gives a private database for a test.
 *
 * @example
 * const db = openDatabase(config.databaseFile)
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true })
  const sqlite = new Database(file)
  applyPragmas(sqlite, file === ':memory:')
  const db = drizzle(sqlite, { schema }) as Db
  migrate(db, { migrationsFolder: MIGRATIONS_DIR })
  // Without statistics the planner takes any index that starts with brand_id, even where one brand
  // owns nearly every row (measured on the members list: 1.3 s instead of 0.2 ms for a page's tags).
  // 0x10002 lets SQLite gather them now where they are missing or stale, cheaply (it limits the
  // work per index); the hourly job runs `PRAGMA optimize` again as the data grows.
  refreshStatistics(sqlite, 'optimize = 0x10002')
  return db
}

/** Refreshes the planner's statistics where the data changed a lot; cheap, and safe at any time. */
export function optimizeDatabase(db: Db): void {
  refreshStatistics(db.$client, 'optimize')
}

/**
 * The indexes the scan page and the claim look rows up by, one code, scan or member at a time
 * (scan-store.ts, claim-store.ts, ledger-store.ts, bulk-claim-check.ts, diversion-policy.ts).
 */
const HOT_PATH_INDEXES = [
  'codes_serial_uq',
  'codes_batch_seq_uq',
  'scans_code_history_idx',
  'claims_member_idx',
  'ledger_entries_member_idx',
  'diversion_signals_code_idx',
]

/**
 * Runs `PRAGMA <pragma>` (an optimize), then drops the value samples it took of the hot-path
 * indexes (sqlite_stat4; better-sqlite3's SQLite is built to collect them), keeping their averages
 * (sqlite_stat1). A statement whose `column = ?` meets a sampled index is planned for the value
 * bound, so each new binding recompiles it: 15–30 µs on every run of the scan page's lookups
 * (measured over 60k scans: the scan history 35 → 24 µs, the first counted scan 11.5 → 4.7 µs, the
 * code with its batch, product and brand 22 → 5.6 µs). Those lookups have one plan whatever the
 * value; the samples of the other indexes stay, for the member list, report and dashboard filters
 * whose best plan does depend on the values (without any samples a phone search took 117 ms, not 8).
 */
function refreshStatistics(sqlite: Database.Database, pragma: string): void {
  // One transaction, so another connection reloading the statistics never sees the samples.
  const dropped = sqlite.transaction(() => {
    sqlite.pragma(pragma)
    const sampled = sqlite.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat4'").get()
    if (!sampled) return 0
    const list = HOT_PATH_INDEXES.map(() => '?').join(', ')
    return sqlite.prepare(`DELETE FROM sqlite_stat4 WHERE idx IN (${list})`).run(...HOT_PATH_INDEXES).changes
  })()
  // The documented way to make the planner reload the statistics tables after changing them.
  if (dropped > 0) sqlite.exec('ANALYZE sqlite_schema')
}

function applyPragmas(sqlite: Database.Database, inMemory: boolean): void {
  // WAL lets the scan pages read while a batch is being minted; NORMAL is durable across process
  // crashes in WAL mode (only an OS crash can lose the last transactions).
  if (!inMemory) sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  // Minting inserts random serials into a unique index; with SQLite's default 2 MB cache the index
  // pages thrash past a few hundred thousand codes. 32 MiB keeps most of a 1M-code batch's index in
  // memory while a 1M-code export stays under 200 MB of RSS (npm run bench, memory row).
  sqlite.pragma(`cache_size = -${CACHE_KIB}`)
  sqlite.pragma('foreign_keys = ON')
  const problems: string[] = []
  if (!inMemory && sqlite.pragma('journal_mode', { simple: true }) !== 'wal')
    problems.push('journal_mode is not WAL')
  if (sqlite.pragma('foreign_keys', { simple: true }) !== 1) problems.push('foreign_keys is off')
  if (sqlite.pragma('busy_timeout', { simple: true }) !== BUSY_TIMEOUT_MS)
    problems.push('busy_timeout not set')
  if (problems.length > 0) throw new Error(`SQLite pragmas not in force: ${problems.join(', ')}`)
}

/** Whether the database answers a trivial query (for /readyz). */
export function isDatabaseUsable(db: Db): boolean {
  try {
    return db.$client.prepare('select 1 as ok').get() !== undefined
  } catch {
    return false
  }
}

/** A transaction handle, usable wherever a query runs; `DbLike` accepts either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export type DbLike = Db | Tx
