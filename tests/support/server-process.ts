import { spawn } from 'node:child_process'
import { once } from 'node:events'

/**
 * What `npm start` tells a person at the terminal: the real server process (src/server.ts) with
 * `env` (DATA_DIR, PORT, …) on loopback at LOG_LEVEL info, stopped once its output matches `until`,
 * or ended by itself. Answers everything it wrote and its exit code.
 *
 * @example
 * const run = await startServerOnce({ DATA_DIR: dir, PORT: '0' }, /listening on/)
 */
export async function startServerOnce(
  env: Record<string, string>,
  until: RegExp,
): Promise<{ output: string; code: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = once(child, 'exit')
  const read = (d: Buffer) => {
    output += String(d)
    if (until.test(output) && child.exitCode === null) child.kill('SIGTERM')
  }
  child.stdout.on('data', read)
  child.stderr.on('data', read)
  const [code] = (await exited) as [number | null]
  return { output, code }
}
