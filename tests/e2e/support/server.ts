import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { type CliIo, main as codegen } from '../../../codegen/cli.ts'

export type RunningServer = {
  baseUrl: string
  dataDir: string
  port: number
  output: () => string
  stop(): Promise<void>
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
 * Starts the real server (`node --import tsx src/server.ts`) on a free loopback port over a fresh
 * DATA_DIR with the demo data, and waits until /readyz answers. `beforeStart` may seed the data
 * directory (the database file, the master key) before the server opens it.
 */
export async function startServer(
  env: Record<string, string> = {},
  opts: { beforeStart?: (dataDir: string, baseUrl: string) => void | Promise<void> } = {},
): Promise<RunningServer> {
  const port = await freePort()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-e2e-'))
  const baseUrl = `http://127.0.0.1:${port}`
  await opts.beforeStart?.(dataDir, baseUrl)
  let output = ''
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
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
  child.stdout?.on('data', (d) => {
    output += String(d)
  })
  child.stderr?.on('data', (d) => {
    output += String(d)
  })
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`)
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) break
    } catch {}
    if (Date.now() > deadline) throw new Error(`server did not become ready:\n${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    baseUrl,
    dataDir,
    port,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * The code URLs of the demo batch (#1, activated at seeding), taken from a real print file the CLI
 * exports from the server's DATA_DIR, as a printer gets them.
 *
 * @example
 * const urls = await demoCodeUrls(server); await page.goto(urls[0]!)
 */
export async function demoCodeUrls(server: RunningServer): Promise<string[]> {
  const out = path.join(server.dataDir, 'demo.csv')
  const quiet = { write: () => true }
  const io: CliIo = {
    stdout: quiet,
    stderr: quiet,
    env: { DATA_DIR: server.dataDir, PUBLIC_BASE_URL: server.baseUrl, LOG_LEVEL: 'silent' },
  }
  const status = await codegen(['export', '--batch', '1', '--format', 'csv', '--out', out], io)
  if (status !== 0) throw new Error(`exporting the demo batch exited ${status}`)
  return fs
    .readFileSync(out, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(',')[2]!)
}
