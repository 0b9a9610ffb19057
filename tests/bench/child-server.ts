import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type CliIo, main as codegen } from '../../codegen/cli.ts'

/**
 * The bench's server children: each bench module starts its servers (baselines and the real app)
 * in child processes on loopback ports, measures them from this process, and stops them whatever
 * happens.
 *
 * @example
 * const port = await freePort()
 * const result = await withServer(children, startReady(APP_SERVER, port, env), (p) => measure(p))
 */
export type Starting = { child: ChildProcess; port: Promise<number> }

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const DEFAULT_START_TIMEOUT_MS = 30_000
const STOP_GRACE_MS = 5_000

/** `node [nodeArgs] --import tsx script [args]` from the repo root, stdout and stderr piped. */
export function spawnTsx(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** A child that prints `listening <port>` once it serves on a port the OS chose. */
export function startPrinting(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Starting {
  const child = spawnTsx(script, args, env)
  const port = new Promise<number>((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start: ${err}`)),
      DEFAULT_START_TIMEOUT_MS,
    )
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening (\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited ${code} before serving: ${err.trim()}`))
    })
  })
  return { child, port }
}

/** A child serving on a port chosen beforehand (the app needs it in PUBLIC_BASE_URL); ready at /readyz. */
export function startReady(
  script: string,
  port: number,
  env: NodeJS.ProcessEnv,
  opts: { nodeArgs?: string[]; timeoutMs?: number } = {},
): Starting {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS
  const child = spawnTsx(script, [], env, opts.nodeArgs)
  let err = ''
  let exited: number | null | undefined
  child.stdout?.resume()
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  child.once('exit', (code) => {
    exited = code
  })
  const ready = async () => {
    const deadline = performance.now() + timeoutMs
    while (performance.now() < deadline) {
      if (exited !== undefined) throw new Error(`${script} exited ${exited} before ready: ${err.trim()}`)
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      )
      if (ok) return port
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`${script} not ready on port ${port} after ${timeoutMs} ms: ${err.trim()}`)
  }
  return { child, port: ready() }
}

/** Starts a server child, runs `work` against its port, and stops it whatever happens. */
export async function withServer<T>(
  children: Set<ChildProcess>,
  starting: Starting,
  work: (port: number) => Promise<T>,
): Promise<T> {
  children.add(starting.child)
  try {
    return await work(await starting.port)
  } finally {
    await stop(starting.child)
    children.delete(starting.child)
  }
}

/** SIGTERM (the servers close gracefully, and a CPU profile is written), SIGKILL if it lingers. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

/** Runs the CLI core in this process; returns its stdout, throws with its stderr on failure. */
export async function cli(env: CliIo['env'], args: string[]): Promise<string> {
  let out = ''
  let err = ''
  const io: CliIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
  }
  const status = await codegen(args, io)
  if (status !== 0) throw new Error(`onecode-codegen ${args.join(' ')} exited ${status}: ${err.trim()}`)
  return out
}

/** A new batch of `count` codes of the demo product, activated; the paths of its code URLs. */
export async function activatedBatchPaths(env: CliIo['env'], count: number, file: string): Promise<string[]> {
  const created = await cli(env, ['batch', '--product', 'DEMO-001', '--count', String(count)])
  const batchId = created.trim().split('\n').at(-1) ?? ''
  await cli(env, ['activate', '--batch', batchId])
  const paths = await exportPaths(env, Number(batchId), file)
  if (paths.length !== count) throw new Error(`batch ${batchId} exported ${paths.length} codes, not ${count}`)
  return paths
}

/** `export --format csv`, then the path of each row's URL (3rd column, `HTTP://HOST:PORT/C/<token>`). */
export async function exportPaths(env: CliIo['env'], batchId: number, file: string): Promise<string[]> {
  await cli(env, ['export', '--batch', String(batchId), '--format', 'csv', '--out', file])
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/)
  if (header?.split(',')[2] !== 'url') throw new Error(`unexpected CSV header "${header}"`)
  return lines.map((line) => {
    const url = line.split(',')[2] ?? ''
    const path = url.replace(/^https?:\/\/[^/]+/i, '')
    if (!/^\/C\/[0-9A-Z]+$/i.test(path)) throw new Error(`unexpected code URL "${url}"`)
    return path
  })
}
