import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { type Db, openDatabase } from '../db/index.ts'
import { checkLedger } from '../points/ledger-store.ts'

/** The old database is kept beside the restored one under this suffix and a timestamp. */
export const BEFORE_RESTORE_SUFFIX = '.before-restore-'
/** SQLite's companions of a database in WAL mode: they belong to the file they sit beside. */
const SIDE_FILES = ['-wal', '-shm'] as const
const MAX_PROBLEMS = 20
/**
 * What makes a file an onecode database: drizzle's record of applied migrations and the tables
 * no installation is without. Migrating anything else would turn it into an empty onecode schema.
 */
const ONECODE_TABLES = ['__drizzle_migrations', 'brands', 'signing_keys', 'codes'] as const

/**
 * Writes a consistent copy of the live database to `file` with SQLite's online backup API, so the
 * server keeps answering (readers and the writer go on; pages changed meanwhile are copied again).
 * The copy is written under a temporary name, checked, and renamed, so `file` is never half a
 * backup.
 *
 * @example
 * const { bytes } = await backupDatabase(rt.db, '/backups/onecode-2026-11-23.db')
 */
export async function backupDatabase(db: Db, file: string): Promise<{ file: string; bytes: number }> {
  const target = path.resolve(file)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const tmp = `${target}.partial-${process.pid}`
  try {
    await db.$client.backup(tmp)
    const copy = new Database(tmp, { fileMustExist: true })
    try {
      // The copy inherits WAL mode; a backup is one self-contained file, so it goes back to a rollback journal.
      copy.pragma('journal_mode = DELETE')
      const problems = sqliteProblems(copy)
      if (problems.length > 0) throw new Error(`the backup copy failed its check: ${problems.join('; ')}`)
    } finally {
      copy.close()
    }
    fs.renameSync(tmp, target)
    return { file: target, bytes: fs.statSync(target).size }
  } finally {
    for (const f of [tmp, ...SIDE_FILES.map((s) => tmp + s)]) fs.rmSync(f, { force: true })
  }
}

export type RestoreOutcome =
  | { kind: 'restored'; target: string; previous: string | null }
  | { kind: 'target-exists'; target: string }
  | { kind: 'no-backup'; from: string }
  | { kind: 'damaged'; from: string; problems: string[] }
  | { kind: 'not-onecode'; from: string; missing: string[] }

/**
 * Restores a backup into `target` (the DATA_DIR's onecode.db), verified before it replaces
 * anything: the copy must be an onecode database ({@link ONECODE_TABLES}), open, take the migrations, pass `PRAGMA integrity_check` and the
 * foreign-key check ({@link verifyRestored}). An existing database is refused unless `force`, and
 * is then kept as `onecode.db.before-restore-<timestamp>` (with its WAL). Stop the server first:
 * a running server keeps writing to the file it has open.
 *
 * @example
 * const outcome = restoreDatabase('/backups/onecode.db', config.databaseFile, { force: false, now: Date.now() })
 */
export function restoreDatabase(
  from: string,
  target: string,
  opts: { force: boolean; now: number },
): RestoreOutcome {
  const source = path.resolve(from)
  const dest = path.resolve(target)
  if (!fs.existsSync(source) || !fs.statSync(source).isFile()) return { kind: 'no-backup', from: source }
  if (fs.existsSync(dest) && !opts.force) return { kind: 'target-exists', target: dest }
  fs.mkdirSync(path.dirname(dest), { recursive: true })
  const staging = `${dest}.restoring-${opts.now}`
  try {
    fs.copyFileSync(source, staging)
    const checked = checkStaged(staging)
    if (checked.kind === 'not-onecode') return { kind: 'not-onecode', from: source, missing: checked.missing }
    if (checked.problems.length > 0) return { kind: 'damaged', from: source, problems: checked.problems }
    let previous: string | null = null
    if (fs.existsSync(dest)) {
      previous = `${dest}${BEFORE_RESTORE_SUFFIX}${timestamp(opts.now)}`
      foldWal(dest)
      fs.renameSync(dest, previous)
      // A WAL left beside the new file would be replayed into it: it moves with its database.
      for (const s of SIDE_FILES) if (fs.existsSync(dest + s)) fs.renameSync(dest + s, previous + s)
    }
    fs.renameSync(staging, dest)
    return { kind: 'restored', target: dest, previous }
  } finally {
    for (const f of [staging, ...SIDE_FILES.map((s) => staging + s)]) fs.rmSync(f, { force: true })
  }
}

/**
 * The checks a restored database must pass before it is used: SQLite's integrity check, the
 * foreign-key check and the points ledger's invariants (zero-sum transactions, no negative
 * balance, one claim per code). Returns the problems found (empty when the database is sound).
 *
 * @example
 * const problems = verifyRestored(db); if (problems.length) throw new Error(problems.join('\n'))
 */
export function verifyRestored(db: Db): string[] {
  const ledger = checkLedger(db.$client).map((p) => `ledger ${p.rule}: ${p.detail}`)
  return [...sqliteProblems(db.$client), ...ledger].slice(0, MAX_PROBLEMS)
}

function sqliteProblems(sqlite: Database.Database): string[] {
  const problems: string[] = []
  const integrity = sqlite.pragma('integrity_check', { simple: false }) as { integrity_check: string }[]
  for (const row of integrity)
    if (row.integrity_check !== 'ok') problems.push(`integrity: ${row.integrity_check}`)
  const orphans = sqlite.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]
  for (const o of orphans)
    problems.push(`foreign key: ${o.table} row ${o.rowid} points at a missing ${o.parent}`)
  return problems.slice(0, MAX_PROBLEMS)
}

/**
 * Checks that the staged copy is an onecode database, then opens it the way the server will
 * (pragmas, migrations) and verifies it.
 */
function checkStaged(
  file: string,
): { kind: 'not-onecode'; missing: string[] } | { kind: 'checked'; problems: string[] } {
  let db: Db | undefined
  try {
    const missing = missingTables(file)
    if (missing.length > 0) return { kind: 'not-onecode', missing }
    // A truncated or overwritten file often opens fine and fails on first read: read it all.
    db = openDatabase(file)
    return { kind: 'checked', problems: verifyRestored(db) }
  } catch (err) {
    return { kind: 'checked', problems: [err instanceof Error ? err.message : String(err)] }
  } finally {
    db?.$client.close()
  }
}

/** The onecode tables the file lacks, read without migrating it (throws if it is no database). */
function missingTables(file: string): string[] {
  const sqlite = new Database(file, { fileMustExist: true })
  try {
    const tables = new Set(
      sqlite.prepare("select name from sqlite_schema where type = 'table'").pluck().all() as string[],
    )
    return ONECODE_TABLES.filter((t) => !tables.has(t))
  } finally {
    sqlite.close()
  }
}

/** Moves what the WAL holds into the database file, so the kept copy is complete on its own. */
function foldWal(file: string): void {
  try {
    const sqlite = new Database(file, { fileMustExist: true })
    try {
      sqlite.pragma('wal_checkpoint(TRUNCATE)')
    } finally {
      sqlite.close()
    }
  } catch {
    // A damaged old database is kept as it is: the WAL moves with it.
  }
}

function timestamp(now: number): string {
  return new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}
