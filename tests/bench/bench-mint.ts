import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { MINT_CHUNK_SIZE } from '../../src/batches/batch-store.ts'
import { computeTag, mintSerial } from '../../src/codes/token.ts'
import { openDatabase } from '../../src/db/index.ts'
import {
  type BenchContext,
  formatCount,
  formatSeconds,
  type Row,
  type Timing,
  timed,
  verdictFor,
} from './bench-row.ts'
import { mintBatch, openBrandFixture, tenths } from './brand-fixture.ts'

/** DESIGN.md, "Performance budgets": a batch minted and stored ≤ 1.5× the bare mint+insert loop. */
const MAX_MINT_RATIO = 1.5
/**
 * Up to this N, baseline and real path alternate twice (B M B M) and each keeps its best round, so
 * a burst of load from another process on the shared machine cannot land on one side only; above
 * it one round each keeps the whole bench within a few minutes.
 */
const TWO_ROUNDS_UP_TO = 500_000

/**
 * Batch minting: the real path (`createBatch` + `mintChunk` until done) against a bare loop of
 * `mintSerial()` + `computeTag()` + one prepared INSERT in transactions of the same size, each
 * into its own fresh WAL file database with the real schema.
 */
export async function run(ctx: BenchContext): Promise<Row[]> {
  const n = ctx.codes
  let baseline: Timing | undefined
  let measured: Timing | undefined
  const rounds = n <= TWO_ROUNDS_UP_TO ? 2 : 1
  for (let round = 1; round <= rounds; round++) {
    const b = await timedBaseline(ctx, n, round)
    if (!baseline || b.ms < baseline.ms) baseline = b
    const m = await timedRealPath(ctx, n, round, round === rounds)
    if (!measured || m.ms < measured.ms) measured = m
  }
  if (!baseline || !measured) throw new Error('no mint round ran')
  const ratio = measured.ms / baseline.ms
  const describe = (t: Timing) =>
    `${formatSeconds(t.ms)} · ${formatCount((n / t.ms) * 1000)} codes/s (CPU ${formatSeconds(t.cpuMs)})`
  return [
    {
      bench: 'mint',
      case: `${formatCount(n)} codes: createBatch + mintChunk vs bare loop (best of ${rounds})`,
      measured: describe(measured),
      baseline: describe(baseline),
      ratio,
      target: `≤ ${MAX_MINT_RATIO}×`,
      verdict: verdictFor(ratio, MAX_MINT_RATIO),
    },
  ]
}

async function timedBaseline(ctx: BenchContext, n: number, round: number): Promise<Timing> {
  const file = join(ctx.tmpDir, `mint-baseline-${round}.db`)
  const db = openDatabase(file)
  const sqlite = db.$client
  const kid = 'B1'
  const secret = randomBytes(32)
  const insert = sqlite.prepare(
    "INSERT INTO codes (brand_id, batch_id, seq, serial, kid, tag, state) VALUES (?, ?, ?, ?, ?, ?, 'generated')",
  )
  const insertRange = sqlite.transaction((from: number, to: number) => {
    for (let seq = from; seq <= to; seq++) {
      const serial = mintSerial()
      insert.run(1, 1, seq, serial, kid, computeTag(secret, kid, serial))
    }
  })
  const progress = tenths(n, (done) => ctx.log(`mint: baseline round ${round}: ${done}/${n}`))
  const timing = await timed(() => {
    for (let from = 1; from <= n; from += MINT_CHUNK_SIZE) {
      const to = Math.min(n, from + MINT_CHUNK_SIZE - 1)
      insertRange(from, to)
      progress(to)
    }
  })
  sqlite.close()
  removeDatabase(file)
  ctx.log(`mint: baseline round ${round}: ${formatSeconds(timing.ms)}`)
  return timing
}

async function timedRealPath(ctx: BenchContext, n: number, round: number, keep: boolean): Promise<Timing> {
  const file = join(ctx.tmpDir, `mint-real-${round}.db`)
  const fx = openBrandFixture(file)
  const progress = tenths(n, (done) => ctx.log(`mint: real path round ${round}: ${done}/${n}`))
  let batchId = 0
  const timing = await timed(() => {
    batchId = mintBatch(fx, n, progress).batchId
  })
  fx.db.$client.close()
  ctx.log(`mint: real path round ${round}: ${formatSeconds(timing.ms)}`)
  if (keep) ctx.mintedBatch = { file, batchId, brandId: fx.bdb.brandId, quantity: n }
  else removeDatabase(file)
  return timing
}

export function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
}
