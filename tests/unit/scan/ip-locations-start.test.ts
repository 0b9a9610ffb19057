import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-iploc-start-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** The real server process (src/server.ts) over a fresh DATA_DIR, stopped once `until` matches. */
async function startOnce(env: Record<string, string>, until: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      SEED_DEMO: '0',
      DATA_DIR: fs.mkdtempSync(path.join(dir, 'data-')),
      ...env,
    },
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
