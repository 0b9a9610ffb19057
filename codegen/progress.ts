/**
 * Progress for long CLI work: a redrawn bar on a terminal, plain lines (every 10%) in logs and
 * pipes, so printers' scripts get readable output either way.
 *
 * @example
 * const p = createProgress(process.stderr, 'minting', total); p.update(done); p.finish()
 */
export type ProgressOut = { write(s: string): unknown; isTTY?: boolean; columns?: number }

export function createProgress(out: ProgressOut, label: string, total: number) {
  let lastDecile = -1
  const started = Date.now()
  return {
    update(done: number) {
      const fraction = total === 0 ? 1 : done / total
      if (out.isTTY) {
        const width = Math.max(10, Math.min(40, (out.columns ?? 80) - 40))
        const filled = Math.round(fraction * width)
        const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
        out.write(
          `\r${label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')}`,
        )
        return
      }
      const decile = Math.floor(fraction * 10)
      if (decile > lastDecile) {
        lastDecile = decile
        out.write(`${label}: ${done}/${total} (${decile * 10}%)\n`)
      }
    },
    finish() {
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      out.write(`${out.isTTY ? '\n' : ''}${label}: done in ${seconds} s\n`)
    },
  }
}
