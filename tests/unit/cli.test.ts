import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../codegen/cli.ts'
import { mintChunk } from '../../src/batches/batch-store.ts'
import { MAX_BASE_URL_LENGTH } from '../../src/codes/code-url.ts'
import { loadConfig } from '../../src/config.ts'
import { openRuntime } from '../../src/runtime.ts'
import { seedDemo } from '../../src/seed-demo.ts'
import { capture } from '../support/cli-io.ts'

describe('the onecode-codegen command line', () => {
  let dataDir: string
  let env: Record<string, string>

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-cli-'))
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', PUBLIC_BASE_URL: 'https://oc.example.com' }
    const rt = openRuntime(loadConfig(env))
    await seedDemo(rt.db, rt.masterKey, rt.keyring, Date.now())
    rt.db.$client.close()
  })
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }))

  it('creates a batch and prints its id alone on the last line of stdout', async () => {
    const run = capture(env)
    expect(await main(['batch', '--product', 'DEMO-001', '--count', '250', '--lot', 'L7'], run.io)).toBe(0)
    const lines = run.stdout().trim().split('\n')
    expect(lines.at(-1)).toMatch(/^\d+$/)
    expect(run.stderr()).toContain('100%')
  })

  it('writes a CSV print file whose rows are the batch codes with their URLs', async () => {
    const made = capture(env)
    await main(['batch', '--product', 'DEMO-001', '--count', '40'], made.io)
    const id = made.stdout().trim().split('\n').at(-1)!
    const out = path.join(dataDir, 'codes.csv')
    expect(await main(['export', '--batch', id, '--format', 'csv', '--out', out], capture(env).io)).toBe(0)
    const lines = fs.readFileSync(out, 'utf8').trim().split(/\r?\n/)
    expect(lines[0]).toBe('seq,serial,url')
    expect(lines).toHaveLength(41)
    expect(lines[1]).toMatch(/^1,[0-9A-Z-]{38},HTTPS:\/\/OC\.EXAMPLE\.COM\/C\/[0-9A-Z]{31}$/)
  })

  /** What the database recorded of print exports: their rows and their audit entries. */
  function recordedExports() {
    const rt = openRuntime(loadConfig(env))
    const count = (sql: string) => rt.db.$client.prepare(sql).pluck().get() as number
    try {
      return {
        exports: count('select count(*) from print_exports'),
        audited: count("select count(*) from audit_log where action = 'export.download'"),
      }
    } finally {
      rt.db.$client.close()
    }
  }

  it.each([
    ['an existing directory', (dir: string) => dir, /is a directory/],
    ['a file in a missing folder', (dir: string) => path.join(dir, 'out', 'codes.csv'), /does not exist/],
  ])('refuses --out naming %s before any code is written or recorded', async (_, target, reason) => {
    const before = recordedExports()
    const out = target(dataDir)
    const run = capture(env)
    expect(await main(['export', '--batch', '1', '--format', 'csv', '--out', out], run.io)).toBe(2)
    expect(run.stderr()).toMatch(reason)
    expect(run.stderr().trim().split('\n')).toHaveLength(1)
    expect(fs.existsSync(`${out}.partial`)).toBe(false)
    expect(recordedExports()).toEqual(before)
  })

  it('refuses to print codes for localhost when PUBLIC_BASE_URL is not set, unless told to', async () => {
    const before = recordedExports()
    const { PUBLIC_BASE_URL: _, ...unset } = env
    const out = path.join(dataDir, 'codes.csv')
    const refused = capture(unset)
    expect(await main(['export', '--batch', '1', '--format', 'csv', '--out', out], refused.io)).toBe(2)
    expect(refused.stderr()).toMatch(/PUBLIC_BASE_URL is not set/)
    expect(refused.stderr()).toContain('--allow-localhost')
    expect(refused.stderr().trim().split('\n')).toHaveLength(1)
    expect(fs.existsSync(out)).toBe(false)
    expect(recordedExports()).toEqual(before)

    const argv = ['export', '--batch', '1', '--format', 'csv', '--out', out, '--allow-localhost']
    expect(await main(argv, capture(unset).io)).toBe(0)
    expect(fs.readFileSync(out, 'utf8').split(/\r?\n/)[1]).toMatch(/,HTTP:\/\/LOCALHOST:3000\/C\//)
  })

  it('warns when PUBLIC_BASE_URL is too long for version-4 QR codes, and still prints', async () => {
    const long = `https://${'x'.repeat(MAX_BASE_URL_LENGTH)}.example.com`
    const run = capture({ ...env, PUBLIC_BASE_URL: long })
    const out = path.join(dataDir, 'codes.csv')
    expect(await main(['export', '--batch', '1', '--format', 'csv', '--out', out], run.io)).toBe(0)
    expect(run.stderr()).toContain(
      `warning: PUBLIC_BASE_URL is longer than ${MAX_BASE_URL_LENGTH} characters`,
    )
    expect(fs.existsSync(out)).toBe(true)
  })

  it('removes the partial print file and exits 130 when the export is interrupted (Ctrl-C)', async () => {
    const made = capture(env)
    // Long enough (about 5 s of svg-zip) that the signal lands while the file is being written.
    expect(await main(['batch', '--product', 'DEMO-001', '--count', '20000'], made.io)).toBe(0)
    const id = made.stdout().trim().split('\n').at(-1)!
    const out = path.join(dataDir, 'labels.zip')
    const child = spawn(
      path.resolve('codegen/onecode-codegen.mjs'),
      ['export', '--batch', id, '--format', 'svg-zip', '--out', out],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const exited = once(child, 'exit')
    await vi.waitFor(() => expect(fs.statSync(`${out}.partial`).size).toBeGreaterThan(0), {
      timeout: 10_000,
      interval: 20,
    })
    child.kill('SIGINT')
    const [code] = await exited
    expect(code).toBe(130)
    expect(stderr).toContain(`export interrupted: ${out} was not written`)
    expect(fs.existsSync(`${out}.partial`)).toBe(false)
    expect(fs.existsSync(out)).toBe(false)
  }, 20_000)

  /** The batch row's status and progress, and how many codes it holds. */
  function mintState(batchId: string) {
    const rt = openRuntime(loadConfig(env))
    try {
      const row = rt.db.$client
        .prepare('select status, minted_count as minted, quantity from batches where id = ?')
        .get(Number(batchId)) as { status: string; minted: number; quantity: number }
      const codes = rt.db.$client
        .prepare('select count(*) from codes where batch_id = ?')
        .pluck()
        .get(Number(batchId))
      return { ...row, codes }
    } finally {
      rt.db.$client.close()
    }
  }

  it('stops minting between chunks on Ctrl-C, says how to resume, and --resume finishes the batch', async () => {
    const stderr: string[] = []
    // About 3 s of minting here: the signal lands while chunks are still being stored.
    const child = spawn(
      path.resolve('codegen/onecode-codegen.mjs'),
      ['batch', '--product', 'DEMO-001', '--count', '200000'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
    const exited = once(child, 'exit')
    await vi.waitFor(() => expect(stderr.join('')).toMatch(/minting: \d+\/200000 \(10%\)/), {
      timeout: 15_000,
      interval: 20,
    })
    child.kill('SIGINT')
    const [code] = await exited
    expect(code).toBe(130)
    const id = /batch (\d+): minting/.exec(stderr.join(''))![1]!
    const stopped = mintState(id)
    expect(stopped.status).toBe('minting')
    expect(stopped.minted).toBeLessThan(200_000)
    expect(stopped.codes).toBe(stopped.minted)
    expect(stderr.join('')).toContain(`onecode-codegen batch --resume ${id}`)

    const resumed = capture(env)
    expect(await main(['batch', '--resume', id], resumed.io)).toBe(0)
    expect(resumed.stdout().trim().split('\n').at(-1)).toBe(id)
    expect(mintState(id)).toEqual({ status: 'ready', minted: 200_000, quantity: 200_000, codes: 200_000 })
  }, 40_000)

  it('shares a batch with the server resuming it at start while the CLI still mints it', async () => {
    const stderr: string[] = []
    const child = spawn(
      path.resolve('codegen/onecode-codegen.mjs'),
      ['batch', '--product', 'DEMO-001', '--count', '150000'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
    const exited = once(child, 'exit')
    await vi.waitFor(() => expect(stderr.join('')).toMatch(/minting: \d+\/150000 \(10%\)/), {
      timeout: 15_000,
      interval: 20,
    })
    const id = Number(/batch (\d+): minting/.exec(stderr.join(''))![1])
    // What the server's mint runner does with an unfinished batch at start: a chunk per turn.
    const rt = openRuntime(loadConfig(env))
    try {
      for (;;) {
        const p = mintChunk(rt.db, rt.keyring, id, Date.now())
        if (p.done) break
        await new Promise((resolve) => setImmediate(resolve))
      }
    } finally {
      rt.db.$client.close()
    }
    const [code] = await exited
    expect(code).toBe(0)
    const state = mintState(String(id))
    expect(state).toEqual({ status: 'ready', minted: 150_000, quantity: 150_000, codes: 150_000 })
  }, 40_000)

  it('answers --resume of a batch that is already minted with its id, and refuses a failed one', async () => {
    const made = capture(env)
    await main(['batch', '--product', 'DEMO-001', '--count', '5'], made.io)
    const id = made.stdout().trim().split('\n').at(-1)!
    const again = capture(env)
    expect(await main(['batch', '--resume', id], again.io)).toBe(0)
    expect(again.stdout().trim()).toBe(id)
    expect(again.stderr()).toContain('already minted')

    const rt = openRuntime(loadConfig(env))
    rt.db.$client
      .prepare("update batches set status = 'failed', error = 'disk full' where id = ?")
      .run(Number(id))
    rt.db.$client.close()
    const failed = capture(env)
    expect(await main(['batch', '--resume', id], failed.io)).toBe(1)
    expect(failed.stderr()).toContain('failed')
  })

  it.each([
    [['batch', '--count', '5'], '--product is required'],
    [['batch', '--product', 'DEMO-001', '--count', 'ten'], 'quantity'],
    [['batch', '--product', 'DEMO-001', '--count', '10000001'], 'at most'],
    [['batch', '--product', 'NOPE', '--count', '5'], 'no product with SKU "NOPE"'],
    [['batch', '--product', 'DEMO-002', '--count', '5', '--gs1'], 'GTIN'],
    [['batch', '--product', 'DEMO-001', '--count', '5', '--colour', 'red'], 'colour'],
    [['export', '--batch', '1', '--format', 'docx', '--out', 'x'], '--format must be one of'],
    [['export', '--batch', '999', '--format', 'csv', '--out', 'x'], 'no batch 999'],
    [['frobnicate'], 'unknown command'],
    [['batch', '--resume', '999'], 'no batch 999'],
    [['batch', '--resume', '1', '--count', '5'], '--resume takes no'],
    [
      ['export', '--batch', '1', '--format', 'pdf', '--out', 'x', '--columns', '20', '--rows', '20'],
      'too small to scan',
    ],
  ])('refuses %j with exit status 2 and a one-line reason', async (argv, reason) => {
    const run = capture(env)
    expect(await main(argv, run.io)).toBe(2)
    expect(run.stderr()).toContain(reason)
    expect(run.stderr().trim().split('\n')).toHaveLength(1)
  })

  it('answers --help for every command', async () => {
    for (const cmd of ['batch', 'export', 'activate', 'brand', 'key']) {
      const run = capture(env)
      expect(await main([cmd, '--help'], run.io)).toBe(0)
      expect(run.stdout()).toContain('Usage: onecode-codegen')
    }
  })

  it('works as the bin declared in package.json (smoke test)', async () => {
    const bin = path.resolve('codegen/onecode-codegen.mjs')
    const { stdout } = await promisify(execFile)(bin, ['batch', '--product', 'DEMO-001', '--count', '3'], {
      env: { ...process.env, ...env },
    })
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^\d+$/)
  })
})
