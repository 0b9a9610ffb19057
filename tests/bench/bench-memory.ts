import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type BenchContext,
  formatCount,
  formatMb,
  formatSeconds,
  type MintedBatch,
  type Row,
} from './bench-row.ts'
import { mintBatch, openBrandFixture } from './brand-fixture.ts'
import type { MemoryReport } from './memory-child.ts'

/** DESIGN.md: print files stream in constant memory; the budget for a 1M-code CSV. */
const MAX_PEAK_RSS_BYTES = 200 * 1024 * 1024
const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url))

/**
 * Peak memory while a whole batch streams out as CSV, measured in a child process so that this
 * process's heap (the benches before it) does not count. Reuses the mint bench's batch.
 */
export async function run(ctx: BenchContext): Promise<Row[]> {
  const minted = ctx.mintedBatch ?? mintOwnBatch(ctx)
  ctx.log(`memory: streaming ${minted.quantity} rows of CSV in a child process`)
  const report = await runChild(minted)
  ctx.log(`memory: peak RSS ${formatMb(report.peakRss)} after ${formatSeconds(report.ms)}`)
  const growth = report.peakRss - report.startRss
  return [
    {
      bench: 'memory',
      case: `csv export of ${formatCount(report.rows)} codes (child RSS, 50 ms samples)`,
      measured:
        `peak ${formatMb(report.peakRss)}, start ${formatMb(report.startRss)}, peak − start ${formatMb(growth)}; ` +
        `peak of 1st half ${formatMb(report.firstHalfPeakRss)} → 2nd half ${formatMb(report.secondHalfPeakRss)} ` +
        `(${formatMb(report.bytes)} in ${formatSeconds(report.ms)})`,
      baseline: '—',
      ratio: null,
      target: `peak < ${formatMb(MAX_PEAK_RSS_BYTES)}, flat`,
      verdict: report.peakRss < MAX_PEAK_RSS_BYTES ? 'ok' : 'over',
    },
  ]
}

function mintOwnBatch(ctx: BenchContext): MintedBatch {
  const file = join(ctx.tmpDir, 'memory.db')
  ctx.log(`memory: no batch from the mint bench; minting ${ctx.codes} codes`)
  const fx = openBrandFixture(file)
  const { batchId } = mintBatch(fx, ctx.codes)
  fx.db.$client.close()
  return { file, batchId, brandId: fx.bdb.brandId, quantity: ctx.codes }
}

function runChild(minted: MintedBatch): Promise<MemoryReport> {
  const args = ['--import', 'tsx', CHILD, minted.file, String(minted.brandId), String(minted.batchId)]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`memory child exited with ${code}`))
      resolve(JSON.parse(out) as MemoryReport)
    })
  })
}
