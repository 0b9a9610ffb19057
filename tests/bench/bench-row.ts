/**
 * What every bench module shares: the row it reports, the context run.ts hands it, and the few
 * measuring helpers. Benches report ratios against a baseline measured in the same run, because the
 * machine is shared and absolute numbers move with whatever else is running.
 */

/** One line of the results table. `ratio` is measured cost ÷ baseline cost (lower is better). */
export type Row = {
  bench: string
  case: string
  measured: string
  baseline: string
  ratio: number | null
  target: string
  /** `ok`/`over` when the row has a target, `—` when it is context only. */
  verdict: 'ok' | 'over' | '—'
}

/** A 1M-code batch minted by the real path, kept for later benches (the memory bench streams it). */
export type MintedBatch = { file: string; batchId: number; brandId: number; quantity: number }

export type BenchContext = {
  /** N, the size of the big batch (BENCH_CODES, default 1,000,000). */
  codes: number
  /** A private directory under os.tmpdir(), removed when the run ends. */
  tmpDir: string
  /** Progress for the person watching; goes to stderr so stdout holds only the table. */
  log(message: string): void
  /** Set by the mint bench, reused by the memory bench. */
  mintedBatch?: MintedBatch
}

export type Bench = { name: string; run(ctx: BenchContext): Promise<Row[]> }

export type Timing = { ms: number; cpuMs: number }

/** Wall and CPU time of a synchronous or asynchronous piece of work. */
export async function timed(work: () => unknown): Promise<Timing> {
  const cpu = process.cpuUsage()
  const start = performance.now()
  await work()
  const ms = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { ms, cpuMs: (used.user + used.system) / 1000 }
}

export function verdictFor(ratio: number, max: number): Row['verdict'] {
  return ratio <= max ? 'ok' : 'over'
}

export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`
}

/** 141234 → '141k', 1234567 → '1.23M', 812 → '812'. */
export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return n.toFixed(0)
}

export function formatMb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
