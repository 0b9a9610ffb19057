/**
 * Runs in its own process (started by bench-memory.ts): streams a whole batch as CSV through the
 * real `openPrintFile` into a discarding sink while sampling RSS every 50 ms, then prints one JSON
 * MemoryReport on stdout. Arguments: database file, brand id, batch id.
 */
import { pipeline } from 'node:stream/promises'
import { findBatch } from '../../src/batches/batch-store.ts'
import { openPrintFile } from '../../src/batches/print-job.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { openDatabase } from '../../src/db/index.ts'
import { countingSink } from './counting-sink.ts'

export type MemoryReport = {
  rows: number
  bytes: number
  ms: number
  startRss: number
  peakRss: number
  firstHalfPeakRss: number
  secondHalfPeakRss: number
}

const SAMPLE_INTERVAL_MS = 50

async function main(): Promise<void> {
  const [file, brandId, batchId] = process.argv.slice(2)
  if (!file || !brandId || !batchId) throw new Error('usage: memory-child.ts <db file> <brand id> <batch id>')
  const db = openDatabase(file)
  const bdb = brandDb(db, Number(brandId))
  const batch = findBatch(bdb, Number(batchId))
  if (!batch) throw new Error(`batch ${batchId} not found`)

  const startRss = process.memoryUsage().rss
  const samples: number[] = [startRss]
  const sampler = setInterval(() => samples.push(process.memoryUsage().rss), SAMPLE_INTERVAL_MS)
  const start = performance.now()
  const actor = { staffId: null, label: 'bench' }
  const range = { from: 1, to: batch.quantity }
  const printFile = openPrintFile(bdb, actor, batch, 'csv', range, 'https://oc.example.com', Date.now())
  const sink = countingSink()
  await pipeline(printFile.stream, sink)
  const ms = performance.now() - start
  clearInterval(sampler)
  samples.push(process.memoryUsage().rss)
  db.$client.close()

  const half = Math.floor(samples.length / 2)
  const report: MemoryReport = {
    rows: batch.quantity,
    bytes: sink.bytes,
    ms,
    startRss,
    peakRss: Math.max(...samples),
    firstHalfPeakRss: Math.max(...samples.slice(0, half + 1)),
    secondHalfPeakRss: Math.max(...samples.slice(half)),
  }
  process.stdout.write(JSON.stringify(report))
}

await main()
