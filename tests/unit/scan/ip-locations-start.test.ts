import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServerOnce } from '../../support/server-process.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-iploc-start-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** The real server over a fresh DATA_DIR without demo data, on any free port. */
const startOnce = (env: Record<string, string>, until: RegExp) =>
  startServerOnce(
    { PORT: '0', SEED_DEMO: '0', DATA_DIR: fs.mkdtempSync(path.join(dir, 'data-')), ...env },
    until,
  )

describe('IP_LOCATIONS_FILE at start', () => {
  it('stops the start with exit status 2 and one line naming the bad row', async () => {
    const file = path.join(dir, 'bad.csv')
    fs.writeFileSync(file, '1.0.0.0,1.0.0.255,31.2,121.4\n1.0.1.0,1.0.1.255,131.2,121.4\n')
    const run = await startOnce({ IP_LOCATIONS_FILE: file }, /listening/)
    expect(run.code).toBe(2)
    expect(run.output.trim()).toBe(`IP_LOCATIONS_FILE ${file}: line 2: latitude 131.2 is outside -90…90`)
  }, 30_000)

  it('loads a good file and says how many ranges it holds', async () => {
    const file = path.join(dir, 'good.csv')
    fs.writeFileSync(file, '1.0.0.0,1.0.0.255,31.2,121.4\n::1,::1,0,0\n')
    const run = await startOnce({ IP_LOCATIONS_FILE: file }, /listening/)
    expect(run.output).toMatch(/"v4":1,"v6":1.*IP locations loaded/)
    expect(run.output).toMatch(/onecode listening/)
  }, 30_000)
})
