import type { CliIo } from '../../codegen/cli.ts'

/**
 * The CLI's I/O captured in memory, with the environment it reads (DATA_DIR, …).
 *
 * @example
 * const run = capture({ DATA_DIR: dir }); await main(['batch', '--count', '5'], run.io); run.stdout()
 */
export function capture(env: Record<string, string>) {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
  }
  return { io, stdout: () => out.join(''), stderr: () => err.join('') }
}
