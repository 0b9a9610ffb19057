import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

/** How long one start may take to answer /readyz (tsx compiles the app on a cold start). */
const READY_TIMEOUT_MS = 30_000

export type RestartableServer = {
  baseUrl: string
  dataDir: string
  port: number
  /** Everything every start wrote to stdout and stderr, in order. */
  output: () => string
  /** Starts the server (again) on the same DATA_DIR and port and waits for /readyz. */
  start(): Promise<void>
  /** SIGKILL: no shutdown handler runs, the database is left as the kernel found it. */
  kill(): Promise<void>
  /** SIGTERM and wait (graceful shutdown); the DATA_DIR stays. */
  stop(): Promise<void>
  /** Stops the server if it runs and removes the DATA_DIR. */
  dispose(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

/**
 * The real server (`node --import tsx src/server.ts`) bound to one DATA_DIR and one port for its
 * whole life, so it can be killed and started again over the data it left behind — what a crash
 * and a supervisor's restart do. Nothing runs until `start()`.
 *
 * @example
 * const server = await restartableServer()
 * await server.start()
 * await server.kill()
 * await server.start() // same DATA_DIR, same master key, same sessions
 */
export async function restartableServer(env: Record<string, string> = {}): Promise<RestartableServer> {
  const port = await freePort()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-crash-'))
  const baseUrl = `http://127.0.0.1:${port}`
  let output = ''
  let child: ChildProcess | undefined

  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => c.once('exit', () => resolve()))

  async function start() {
    if (child && child.exitCode === null && child.signalCode === null)
      throw new Error('server already running')
    const c = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        PUBLIC_BASE_URL: baseUrl,
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = c
    c.stdout?.on('data', (d) => {
      output += String(d)
    })
    c.stderr?.on('data', (d) => {
      output += String(d)
    })
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`server exited early:\n${output}`)
      try {
        if ((await fetch(`${baseUrl}/readyz`)).ok) return
      } catch {}
      if (Date.now() > deadline) throw new Error(`server did not become ready:\n${output}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async function signal(sig: NodeJS.Signals) {
    if (!child) return
    const c = child
    if (c.exitCode === null && c.signalCode === null) c.kill(sig)
    await exited(c)
  }

  return {
    baseUrl,
    dataDir,
    port,
    output: () => output,
    start,
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    async dispose() {
      await signal('SIGTERM')
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
