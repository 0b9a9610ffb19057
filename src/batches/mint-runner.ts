import type { Logger } from 'pino'
import type { Clock } from '../clock.ts'
import type { Keyring } from '../codes/keyring.ts'
import type { Db } from '../db/index.ts'
import { failBatch, mintChunk, unfinishedBatchIds } from './batch-store.ts'

/**
 * Mints batches in the background of the server, one batch at a time (SQLite has one writer), one
 * chunk per event-loop turn, so pages and scans keep answering while ten million codes are made.
 *
 * @example
 * const runner = createMintRunner({ db, keyring, clock, logger }); runner.enqueue(batch.id)
 */
export type MintRunner = {
  enqueue(batchId: number): void
  /** Resumes batches left in `minting` by a stop or a crash. */
  resumeUnfinished(): void
  /** Resolves when the queue is empty (tests, graceful shutdown). */
  idle(): Promise<void>
  stop(): void
}

export function createMintRunner(deps: {
  db: Db
  keyring: Keyring
  clock: Clock
  logger: Logger
}): MintRunner {
  const queue: number[] = []
  let running: Promise<void> | null = null
  let stopped = false

  async function drain(): Promise<void> {
    while (queue.length > 0 && !stopped) {
      const batchId = queue.shift()!
      try {
        for (;;) {
          if (stopped) return
          const progress = mintChunk(deps.db, deps.keyring, batchId, deps.clock.now())
          if (progress.done) break
          await new Promise((resolve) => setImmediate(resolve))
        }
        deps.logger.info({ batchId }, 'batch minted')
      } catch (err) {
        deps.logger.error({ err, batchId }, 'batch minting failed')
        failBatch(
          deps.db,
          batchId,
          'Minting stopped because of an internal error; see the server log.',
          deps.clock.now(),
        )
      }
    }
  }

  function kick(): void {
    if (running || stopped) return
    running = drain().finally(() => {
      running = null
      if (queue.length > 0) kick()
    })
  }

  return {
    enqueue(batchId) {
      if (!queue.includes(batchId)) queue.push(batchId)
      kick()
    },
    resumeUnfinished() {
      for (const id of unfinishedBatchIds(deps.db)) this.enqueue(id)
    },
    async idle() {
      while (running) await running
    },
    stop() {
      stopped = true
    },
  }
}
