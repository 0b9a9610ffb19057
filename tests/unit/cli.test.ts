import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../codegen/cli.ts'
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
