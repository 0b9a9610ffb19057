import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startServerOnce } from '../support/server-process.ts'

async function listeningPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  }
}

describe('starting the server', () => {
  let dataDir: string
  const dirs: string[] = []
  const freshDataDir = () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-start-'))
    dirs.push(dataDir)
    return dataDir
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
  })

  it('says in one line, without a stack trace, that the port is taken, and exits 1', async () => {
    const taken = await listeningPort()
    try {
      const run = await startServerOnce(
        {
          PORT: String(taken.port),
          DATA_DIR: freshDataDir(),
          SEED_DEMO: '0',
          PUBLIC_BASE_URL: 'https://oc.example.com',
        },
        /listening on/,
      )
      expect(run.code).toBe(1)
      expect(run.output).toContain(`cannot listen on 127.0.0.1:${taken.port}: the port is already in use`)
      expect(run.output).toContain('set PORT')
      expect(run.output).not.toMatch(/^\s+at /m)
    } finally {
      await taken.close()
    }
  }, 30_000)

  it('tells a first start without demo data how to make the first brand, and warns that PUBLIC_BASE_URL is unset', async () => {
    const free = await listeningPort()
    await free.close()
    const run = await startServerOnce(
      { PORT: String(free.port), DATA_DIR: freshDataDir(), SEED_DEMO: '0' },
      /listening on/,
    )
    expect(run.output).toContain('No brand yet')
    expect(run.output).toContain(
      'npx onecode-codegen brand create --slug SLUG --name NAME --owner-email EMAIL',
    )
    expect(run.output).toMatch(
      /PUBLIC_BASE_URL is not set: code URLs, print files and printer links start with http:\/\/localhost:\d+/,
    )
    expect(run.output).not.toContain('Demo brand created')
  }, 30_000)

  it('says neither once a brand exists and PUBLIC_BASE_URL is set', async () => {
    const free = await listeningPort()
    await free.close()
    const env = {
      PORT: String(free.port),
      DATA_DIR: freshDataDir(),
      PUBLIC_BASE_URL: 'https://oc.example.com',
    }
    const run = await startServerOnce(env, /listening on/)
    expect(run.output).toContain('Demo brand created')
    expect(run.output).not.toContain('No brand yet')
    expect(run.output).not.toContain('PUBLIC_BASE_URL is not set')
  }, 30_000)
})
