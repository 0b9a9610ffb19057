import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Db } from './index.ts'

/** How often the background thread copies committed WAL frames into the database file. */
export const CHECKPOINT_INTERVAL_MS = 100
/**
 * The serving connection's own automatic checkpoint, kept as a safety net should the background
 * thread stop: 16,000 pages of 4 KiB, a 64 MB WAL (SQLite's default is 1,000 pages).
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_000

export type WalCheckpointer = {
  /** Stops the thread after its checkpoint in progress; resolves once its connection is closed. */
  stop(): Promise<void>
}

// Plain CommonJS evaluated in the worker, so it runs the same under tsx, vitest and plain node.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file)
db.pragma('busy_timeout = 0')
let failures = 0
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
    failures = 0
  } catch (err) {
    // SQLITE_BUSY while another checkpoint runs is expected; anything persistent is reported once.
    if (++failures === 50) parentPort.postMessage({ kind: 'failing', message: String(err && err.message) })
  }
}, workerData.intervalMs)
parentPort.on('message', () => {
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

/**
 * Moves WAL checkpointing off the request thread. In WAL mode each commit only appends the pages
 * it changed to the WAL; every 1,000 pages SQLite's automatic checkpoint copies them back into the
 * database file and fsyncs both, inside whichever commit crossed the line — on this project's hot
 * paths that was over half of a commit's cost (measured: 120 µs per scan insert with it, 50 µs
 * without). A worker thread with its own connection runs PASSIVE checkpoints every 100 ms instead:
 * they never block the serving connection's reads or writes, and their fsyncs wait on another
 * core. The serving connection keeps a far larger automatic checkpoint in case the thread dies.
 *
 * Only for a long-lived file database (the server); the CLI and the tests keep SQLite's default.
 *
 * @example
 * const checkpointer = startWalCheckpointer(db, config.databaseFile, (m) => logger.warn(m))
 * await checkpointer.stop()
 */
export function startWalCheckpointer(db: Db, file: string, warn: (message: string) => void): WalCheckpointer {
  db.$client.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      file,
      intervalMs: CHECKPOINT_INTERVAL_MS,
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
    },
  })
  worker.unref()
  let exited = false
  const exit = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.on('message', (m: { kind: string; message: string }) =>
    warn(`WAL checkpoints are failing in the background: ${m.message}`),
  )
  worker.on('error', (err) => warn(`the WAL checkpoint thread stopped: ${err.message}`))
  worker.once('exit', () => {
    exited = true
    // The serving connection checkpoints for itself again, at SQLite's usual threshold.
    if (db.$client.open) db.$client.pragma('wal_autocheckpoint = 1000')
  })
  return {
    stop: () => {
      if (!exited) worker.postMessage('stop')
      return exit
    },
  }
}
