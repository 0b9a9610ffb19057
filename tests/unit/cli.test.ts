import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../codegen/cli.ts'
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
      { env: { ...process.env, ...env }, stdio: 'ignore' },
    )
    const exited = once(child, 'exit')
    await vi.waitFor(() => expect(fs.statSync(`${out}.partial`).size).toBeGreaterThan(0), {
      timeout: 10_000,
      interval: 20,
    })
    child.kill('SIGINT')
    const [code] = await exited
    expect(code).toBe(130)
    expect(fs.existsSync(`${out}.partial`)).toBe(false)
    expect(fs.existsSync(out)).toBe(false)
  }, 20_000)

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
