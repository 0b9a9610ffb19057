import pino from 'pino'
import { loadOrCreateMasterKey } from './codes/key-crypto.ts'
import { loadKeyring } from './codes/key-store.ts'
import type { Config } from './config.ts'
import { openDatabase } from './db/index.ts'

/**
 * What both process entries (the server and the CLI) open from the configuration: the database
 * (migrated), the master key and every brand's signing keys.
 */
export function openRuntime(config: Config) {
  const logger = pino({ level: config.logLevel })
  const db = openDatabase(config.databaseFile)
  const masterKey = loadOrCreateMasterKey({ envValue: config.masterKeyEnv, keyFile: config.masterKeyFile })
  const keyring = loadKeyring(db, masterKey)
  return { logger, db, masterKey, keyring }
}
