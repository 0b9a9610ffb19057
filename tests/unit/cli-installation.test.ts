import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../codegen/cli.ts'
import { loadConfig } from '../../src/config.ts'
import { openRuntime } from '../../src/runtime.ts'
import { seedDemo } from '../../src/seed-demo.ts'
import { capture } from '../support/cli-io.ts'

describe('onecode-codegen and the installation in DATA_DIR', () => {
  let tmp: string
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-cli-install-'))
  })
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }))

  const envFor = (dataDir: string) => ({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: 'https://oc.example.com',
  })

  it.each([
    [['batch', '--product', 'DEMO-001', '--count', '5']],
    [['export', '--batch', '1', '--format', 'csv', '--out', path.join(os.tmpdir(), 'oc-never.csv')]],
    [['activate', '--batch', '1']],
    [['ship', '--brand', 'demo', '--distributor', 'SC-001', '--batch', '1']],
    [['brand', 'list']],
    [['brand', 'create', '--slug', 'tea', '--name', 'Tea', '--owner-email', 'boss@tea.example']],
    [['key', 'rotate', '--brand', 'demo']],
    [['staff', 'disable', '--email', 'boss@tea.example']],
    [['staff', 'reset-password', '--email', 'boss@tea.example']],
    [['jobs', 'run']],
    [['backup', '--out', path.join(os.tmpdir(), 'oc-never.db')]],
  ])('refuses %j for a DATA_DIR without a database and creates nothing there', async (argv) => {
    const typo = path.join(tmp, 'typo')
    const run = capture(envFor(typo))
    expect(await main(argv, run.io)).toBe(2)
    expect(run.stderr().trim()).toBe(
      `onecode-codegen: no onecode database at ${path.join(typo, 'onecode.db')} (check DATA_DIR; the server creates it at its first start)`,
    )
    expect(fs.existsSync(typo)).toBe(false)
  })

  it('starts a first installation with brand create --init, which the other commands then use', async () => {
    const dataDir = path.join(tmp, 'new')
    const env = envFor(dataDir)
    const created = capture(env)
    const argv = ['brand', 'create', '--slug', 'tea', '--name', 'Tea', '--owner-email', 'boss@tea.example']
    expect(await main([...argv, '--init'], created.io)).toBe(0)
    expect(created.stdout()).toMatch(/brand tea created\nowner: boss@tea.example\npassword: \S+/)
    expect(created.stderr()).toContain('new installation')
    expect(fs.existsSync(path.join(dataDir, 'onecode.db'))).toBe(true)
    expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(true)

    const listed = capture(env)
    expect(await main(['brand', 'list'], listed.io)).toBe(0)
    expect(listed.stdout()).toBe('tea\tTea\n')
    const again = capture(env)
    const second = [
      'brand',
      'create',
      '--slug',
      'tea-2',
      '--name',
      'Tea 2',
      '--owner-email',
      'b@tea2.example',
    ]
    expect(await main([...second, '--init'], again.io)).toBe(0)
    expect(again.stderr()).toBe('')
  })

  it('refuses a database whose master key is missing rather than make a new key that opens nothing', async () => {
    const dataDir = path.join(tmp, 'restored')
    const env = envFor(dataDir)
    const rt = openRuntime(loadConfig(env))
    await seedDemo(rt.db, rt.masterKey, rt.keyring, Date.now())
    rt.db.$client.close()
    fs.rmSync(path.join(dataDir, 'master.key'))

    for (const argv of [
      ['key', 'rotate', '--brand', 'demo'],
      ['brand', 'list'],
    ]) {
      const run = capture(env)
      expect(await main(argv, run.io)).toBe(2)
      expect(run.stderr()).toMatch(
        /no master key for .*onecode\.db: .*master\.key is missing and ONECODE_MASTER_KEY is unset/,
      )
      expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false)
    }
  })
})
