import fs from 'node:fs'
import type { Config } from '../src/config.ts'
import { openRuntime } from '../src/runtime.ts'

export type Installation =
  | { kind: 'opened'; rt: ReturnType<typeof openRuntime> }
  | { kind: 'missing'; problem: string }

/**
 * Opens DATA_DIR's database, master key and signing keys for a command, never creating them:
 * openRuntime would otherwise start an empty installation (database and master key) wherever a
 * mistyped or unset DATA_DIR points, and the command would answer "no product" or, worse, succeed
 * there. `init` lets `brand create --init` start a first installation on purpose.
 *
 * @example
 * const opened = openInstallation(config)
 * if (opened.kind === 'missing') return usage(io, opened.problem)
 */
export function openInstallation(config: Config, opts: { init?: boolean } = {}): Installation {
  const problem = installationProblem(config, opts)
  return problem ? { kind: 'missing', problem } : { kind: 'opened', rt: openRuntime(config) }
}

/** Why DATA_DIR holds no usable installation, or null when it does (or `init` may start one). */
export function installationProblem(config: Config, opts: { init?: boolean } = {}): string | null {
  const database = missingDatabase(config)
  if (database) return opts.init ? null : database
  // A new master key would not open the signing keys sealed in this database; and once written,
  // the real one could no longer be put back without deleting it first.
  if (!hasMasterKey(config))
    return `no master key for ${config.databaseFile}: ${config.masterKeyFile} is missing and ONECODE_MASTER_KEY is unset (put back this installation's master key)`
  return null
}

/** The refusal for a DATA_DIR without a database, or null when the database file exists. */
export function missingDatabase(config: Config): string | null {
  return fs.existsSync(config.databaseFile)
    ? null
    : `no onecode database at ${config.databaseFile} (check DATA_DIR; the server creates it at its first start)`
}

/** Whether the master key is configured (ONECODE_MASTER_KEY) or its file exists. */
export function hasMasterKey(config: Config): boolean {
  return Boolean(config.masterKeyEnv?.trim()) || fs.existsSync(config.masterKeyFile)
}
