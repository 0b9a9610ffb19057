import { parseArgs } from 'node:util'
import { loadOrCreateMasterKey } from '../src/codes/key-crypto.ts'
import { loadKeyring } from '../src/codes/key-store.ts'
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/index.ts'
import { backupDatabase, restoreDatabase } from '../src/ops/backup.ts'
import type { CliIo } from './cli.ts'
import { hasMasterKey, missingDatabase } from './installation.ts'

export const BACKUP_HELP = `Usage: onecode-codegen backup --out FILE

Writes a consistent copy of DATA_DIR's database to FILE with SQLite's online backup API, while the
server keeps running. The copy is checked (integrity and foreign keys) before it is renamed into
place. The master key (DATA_DIR/master.key or ONECODE_MASTER_KEY) is not in the backup: keep it
safe separately, without it the brands' signing keys cannot be read.`

export const RESTORE_HELP = `Usage: onecode-codegen restore --from FILE [--force]

Restores a backup into DATA_DIR after checking it: it must be an onecode database (the
migrations table and the brands, signing_keys and codes tables), open, take the migrations, and
pass SQLite's integrity and foreign-key checks. Stop the server first. If DATA_DIR already has a
database, restore refuses unless --force, and then keeps the old one as
onecode.db.before-restore-<timestamp>.`

const usage = (io: CliIo, message: string) => {
  io.stderr.write(`onecode-codegen: ${message}\n`)
  return 2
}

function options(args: string[], spec: Record<string, { type: 'string' | 'boolean' }>) {
  return parseArgs({ args, options: spec, allowPositionals: false, strict: true }).values as Record<
    string,
    string | boolean | undefined
  >
}

/** `onecode-codegen backup --out FILE`: 0 written, 1 failed, 2 bad arguments. */
export async function backupCommand(args: string[], io: CliIo): Promise<number> {
  const o = options(args, { out: { type: 'string' } })
  const out = typeof o.out === 'string' ? o.out : ''
  if (out === '') return usage(io, '--out is required; see backup --help')
  const config = loadConfig(io.env)
  // Opening a missing database would create an empty one, and back that up.
  const missing = missingDatabase(config)
  if (missing) return usage(io, missing)
  const db = openDatabase(config.databaseFile)
  try {
    const { file, bytes } = await backupDatabase(db, out)
    io.stdout.write(`backup written to ${file} (${bytes} bytes)\n`)
    return 0
  } finally {
    db.$client.close()
  }
}

/**
 * `onecode-codegen restore --from FILE [--force]`: 0 restored, 1 damaged or foreign file, 2 bad
 * arguments.
 */
export async function restoreCommand(args: string[], io: CliIo): Promise<number> {
  const o = options(args, { from: { type: 'string' }, force: { type: 'boolean' } })
  const from = typeof o.from === 'string' ? o.from : ''
  if (from === '') return usage(io, '--from is required; see restore --help')
  const config = loadConfig(io.env)
  const outcome = restoreDatabase(from, config.databaseFile, { force: o.force === true, now: Date.now() })
  switch (outcome.kind) {
    case 'no-backup':
      return usage(io, `no backup file at ${outcome.from}`)
    case 'target-exists':
      return usage(
        io,
        `${outcome.target} already exists; stop the server and add --force to replace it (the old one is kept)`,
      )
    case 'damaged':
      io.stderr.write(
        `onecode-codegen: backup ${outcome.from} is damaged, nothing was changed: ${outcome.problems.join('; ')}\n`,
      )
      return 1
    case 'not-onecode':
      io.stderr.write(
        `onecode-codegen: ${outcome.from} is not an onecode backup (no ${outcome.missing.join(', ')} table), nothing was changed\n`,
      )
      return 1
    case 'restored': {
      io.stdout.write(`restored ${from} into ${outcome.target}\n`)
      if (outcome.previous) io.stdout.write(`the previous database is kept as ${outcome.previous}\n`)
      const warning = masterKeyWarning(config)
      if (warning) io.stderr.write(`onecode-codegen: warning: ${warning}\n`)
      return 0
    }
  }
}

/** The signing keys are sealed with the master key, which lives outside the database. */
function masterKeyWarning(config: ReturnType<typeof loadConfig>): string | null {
  if (!hasMasterKey(config))
    return `no master key in ${config.masterKeyFile} and ONECODE_MASTER_KEY is unset; put back the master key of the backed-up installation before starting the server`
  let master: Buffer
  try {
    // Both exist, so this reads and never creates a key.
    master = loadOrCreateMasterKey({ envValue: config.masterKeyEnv, keyFile: config.masterKeyFile })
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
  const db = openDatabase(config.databaseFile)
  try {
    loadKeyring(db, master)
    return null
  } catch {
    return 'the master key here cannot open the restored signing keys; use the master key of the backed-up installation'
  } finally {
    db.$client.close()
  }
}
