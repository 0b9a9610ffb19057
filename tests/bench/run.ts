/**
 * `npm run bench`: runs the bench modules in order and prints one markdown table of ratios measured
 * in this run (also written to tests/bench/latest.md with the machine it ran on).
 *
 *   npm run bench                          every bench, N = 1,000,000 codes
 *   npm run bench -- --only mint,print     some benches
 *   BENCH_CODES=200000 npm run bench       a smaller N
 *
 * A bench is a module exporting `run(ctx): Promise<Row[]>`; add it to BENCHES.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run as claim } from './bench-claim.ts'
import { run as http } from './bench-http.ts'
import { run as members } from './bench-members.ts'
import { run as memory } from './bench-memory.ts'
import { run as mint } from './bench-mint.ts'
import { run as print } from './bench-print.ts'
import { run as regions } from './bench-regions.ts'
import { run as report } from './bench-report.ts'
import type { Bench, BenchContext, Row } from './bench-row.ts'

/** In run order: the memory bench streams the batch the mint bench made. */
const BENCHES: Bench[] = [
  { name: 'mint', run: mint },
  { name: 'print', run: print },
  { name: 'memory', run: memory },
  { name: 'http', run: http },
  { name: 'regions', run: regions },
  { name: 'report', run: report },
  { name: 'claim', run: claim },
  { name: 'members', run: members },
]
const DEFAULT_CODES = 1_000_000
const LATEST = fileURLToPath(new URL('./latest.md', import.meta.url))

function selectedBenches(argv: string[]): Bench[] {
  const at = argv.indexOf('--only')
  const inline = argv.find((a) => a.startsWith('--only='))
  const list = inline ? inline.slice('--only='.length) : at >= 0 ? argv[at + 1] : undefined
  if (list === undefined) return BENCHES
  const names = list.split(',').map((s) => s.trim())
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n))
  if (unknown.length > 0) {
    throw new Error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`)
  }
  return BENCHES.filter((b) => names.includes(b.name))
}

function codesFromEnv(): number {
  const raw = process.env.BENCH_CODES
  if (raw === undefined || raw === '') return DEFAULT_CODES
  const n = Number(raw.replaceAll('_', ''))
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`BENCH_CODES must be a positive integer, got "${raw}"`)
  return n
}

/** A markdown table with padded columns, laid out the way biome formats markdown. */
function markdownTable(rows: Row[]): string {
  const header = [
    'Bench',
    'Case',
    'Measured',
    'Baseline (same run)',
    'Ratio (measured ÷ baseline cost)',
    'Target',
    'Verdict',
  ]
  const body = rows.map((r) => [
    r.bench,
    r.case,
    r.measured,
    r.baseline,
    r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
    r.target,
    r.verdict,
  ])
  const cells = [header, ...body].map((line) => line.map((c) => c.replaceAll('|', '\\|')))
  const widths = header.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)))
  const format = (line: string[]) => `| ${line.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  const [head, ...rest] = cells
  return [format(head!), format(widths.map((w) => '-'.repeat(w))), ...rest.map(format)].join('\n')
}

function machineLine(codes: number): string {
  const cpus = os.cpus()
  return (
    `${cpus[0]?.model ?? 'unknown CPU'} · ${cpus.length} cores · Node ${process.version} · ` +
    `${new Date().toISOString()} · N = ${codes.toLocaleString('en')} codes`
  )
}

async function main(): Promise<void> {
  const benches = selectedBenches(process.argv.slice(2))
  const codes = codesFromEnv()
  const tmpDir = mkdtempSync(join(os.tmpdir(), 'onecode-bench-'))
  const removeTmp = () => rmSync(tmpDir, { recursive: true, force: true })
  process.once('SIGINT', () => {
    removeTmp()
    process.exit(130)
  })
  const started = performance.now()
  const ctx: BenchContext = {
    codes,
    tmpDir,
    log: (message) =>
      process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`),
  }
  const rows: Row[] = []
  try {
    for (const bench of benches) {
      ctx.log(`${bench.name}: start`)
      rows.push(...(await bench.run(ctx)))
    }
  } finally {
    removeTmp()
  }
  const table = markdownTable(rows)
  process.stdout.write(`${table}\n`)
  writeFileSync(LATEST, `# onecode bench\n\n${machineLine(codes)}\n\n${table}\n`)
  ctx.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; table written to ${LATEST}`)
}

await main()
