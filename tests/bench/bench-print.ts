import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import QRCode from 'qrcode'
import { findBatch } from '../../src/batches/batch-store.ts'
import type { PrintFormat } from '../../src/batches/print-formats.ts'
import { openPrintFile } from '../../src/batches/print-job.ts'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { type BenchContext, formatCount, formatMb, formatSeconds, type Row, timed } from './bench-row.ts'
import { type BrandFixture, mintBatch, openBrandFixture } from './brand-fixture.ts'
import { countingSink } from './counting-sink.ts'

const BASE_URL = 'https://oc.example.com'
/** Rows per format: enough for a stable rate, small enough that the slow formats take ~1–3 s. */
const ROWS_BY_FORMAT: Record<PrintFormat, number> = {
  csv: 20_000,
  txt: 20_000,
  'csv-zip': 20_000,
  'svg-zip': 3_000,
  pdf: 1_000,
}
/** A short first pass per format, so the timed pass runs optimised code. */
const WARM_UP_FRACTION = 0.1
const QRCODE_BASELINE_COUNT = 2_000

/**
 * Print-file throughput per format: the real `openPrintFile` stream (export record, row paging,
 * rendering) drained into a sink that discards, as rows/s and MB/s. `qrcode`'s own SVG output is
 * the baseline for svg-zip, the format whose cost is one QR per row.
 */
export async function run(ctx: BenchContext): Promise<Row[]> {
  const largest = Math.min(ctx.codes, Math.max(...Object.values(ROWS_BY_FORMAT)))
  const fx = openBrandFixture(join(ctx.tmpDir, 'print.db'))
  ctx.log(`print: minting a ${largest}-code batch`)
  const { batchId } = mintBatch(fx, largest)

  const svgPerSecond = await qrcodeSvgPerSecond(ctx)
  const formats = Object.entries(ROWS_BY_FORMAT) as [PrintFormat, number][]
  // Warm every format up before timing any, so the first one does not pay for shared code's JIT.
  for (const [format, wanted] of formats) {
    await streamPrintFile(
      fx,
      batchId,
      format,
      Math.max(1, Math.floor(Math.min(wanted, largest) * WARM_UP_FRACTION)),
    )
  }
  const rows: Row[] = []
  for (const [format, wanted] of formats) {
    const count = Math.min(wanted, largest)
    resetToGenerated(fx, batchId)
    let bytes = 0
    const t = await timed(async () => {
      bytes = await streamPrintFile(fx, batchId, format, count)
    })
    const rowsPerSecond = (count / t.ms) * 1000
    ctx.log(`print: ${format}: ${count} rows in ${formatSeconds(t.ms)}`)
    const isSvg = format === 'svg-zip'
    rows.push({
      bench: 'print',
      case: `${format}, ${formatCount(count)} rows`,
      measured: `${formatCount(rowsPerSecond)} rows/s · ${((bytes / 1024 / 1024 / t.ms) * 1000).toFixed(1)} MB/s (${formatMb(bytes)})`,
      baseline: isSvg ? `qrcode.toString svg: ${formatCount(svgPerSecond)}/s` : '—',
      // Cost ratio like every row: time per row ÷ time per baseline SVG.
      ratio: isSvg ? svgPerSecond / rowsPerSecond : null,
      target: isSvg ? 'context' : '—',
      verdict: '—',
    })
  }
  fx.db.$client.close()
  return rows
}

/**
 * Streams one print file of the first `count` codes into a discarding sink; answers its size.
 */
async function streamPrintFile(fx: BrandFixture, batchId: number, format: PrintFormat, count: number) {
  const batch = findBatch(fx.bdb, batchId)
  if (!batch) throw new Error(`batch ${batchId} vanished`)
  const file = openPrintFile(fx.bdb, fx.actor, batch, format, { from: 1, to: count }, BASE_URL, Date.now())
  const sink = countingSink()
  await pipeline(file.stream, sink)
  return sink.bytes
}

/** Untimed: every format's export then moves the same codes from `generated` to `exported`. */
function resetToGenerated(fx: BrandFixture, batchId: number): void {
  fx.db.$client.prepare("UPDATE codes SET state = 'generated' WHERE batch_id = ?").run(batchId)
}

async function qrcodeSvgPerSecond(ctx: BenchContext): Promise<number> {
  // URLs of the printed length and shape (upper-case short URLs), all different.
  const urls = Array.from({ length: QRCODE_BASELINE_COUNT }, (_, i) =>
    shortCodeUrl(BASE_URL, `A1${String(i).padStart(29, '0')}`),
  )
  const render = async (list: string[]) => {
    for (const url of list) await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M' })
  }
  await render(urls.slice(0, QRCODE_BASELINE_COUNT / 10))
  const t = await timed(() => render(urls))
  ctx.log(`print: qrcode baseline: ${QRCODE_BASELINE_COUNT} SVGs in ${formatSeconds(t.ms)}`)
  return (QRCODE_BASELINE_COUNT / t.ms) * 1000
}
