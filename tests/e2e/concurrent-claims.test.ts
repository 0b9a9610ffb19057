import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliIo, main as codegen } from '../../codegen/cli.ts'
import {
  createPhone,
  type Phone,
  pathsFromCsv,
  type Reply,
  type ScannedPage,
  signInOnPage,
} from './support/member-phone.ts'
import { type RunningServer, startServer } from './support/server.ts'

/** The issue asks for at least 50 phones claiming one code at once. */
const MEMBERS = 50
/**
 * Every phone has its own loopback source address, as phones in the field do: from one address the
 * per-IP limit (OTP_STARTS_PER_IP_PER_HOUR = 20) answers the 21st sign-in with 429, and the limit stays on.
 */
const sourceAddress = (i: number) => `127.0.0.${10 + i}`
const run = promisify(execFile)

describe('many phones claiming the same code at the same moment', () => {
  let server: RunningServer
  let target: string
  /** One activated code per member to sign in on (signing in claims the page's code). */
  let signInCodes: string[]

  /** The CLI core against the server's DATA_DIR (WAL lets it write while the server runs). */
  async function cli(args: string[]): Promise<string> {
    let out = ''
    const io: CliIo = {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: () => true },
      env: { DATA_DIR: server.dataDir, PUBLIC_BASE_URL: server.baseUrl, LOG_LEVEL: 'silent' },
    }
    expect(await codegen(args, io), `onecode-codegen ${args.join(' ')}`).toBe(0)
    return out
  }

  async function exportedPaths(batchId: string): Promise<string[]> {
    const file = path.join(server.dataDir, `batch-${batchId}.csv`)
    await cli(['export', '--batch', batchId, '--format', 'csv', '--out', file])
    return pathsFromCsv(fs.readFileSync(file, 'utf8'))
  }

  beforeAll(async () => {
    server = await startServer()
    // The demo seed's batch #1 is activated; the printed CSV holds the code everyone will race for.
    target = (await exportedPaths('1'))[0]!
    const created = await cli(['batch', '--product', 'DEMO-001', '--count', String(MEMBERS)])
    const batchId = created.trim().split('\n').at(-1)!
    await cli(['activate', '--batch', batchId])
    signInCodes = await exportedPaths(batchId)
    expect(signInCodes).toHaveLength(MEMBERS)
  })

  afterAll(async () => {
    await server?.stop()
  })

  const dbFile = () => path.join(server.dataDir, 'onecode.db')

  /** A member on their own phone, holding the target code's scan page; signed in on another code. */
  async function signedInMemberHolding(i: number): Promise<{ phone: Phone; page: ScannedPage }> {
    const phone = createPhone(server.baseUrl, { localAddress: sourceAddress(i) })
    const page = await phone.scan(target)
    expect(page.html).toContain('领取 10 积分')
    // Signing in completes the claim of the page it happens on: do it on another code of the
    // member's own, so the target code's claim is still to come.
    const other = await phone.scan(signInCodes[i]!)
    const phoneNumber = `+86138${String(10_000_000 + i).slice(1)}`
    const verified = await signInOnPage(phone, server.dataDir, other, phoneNumber)
    expect(verified.status, verified.body.slice(0, 300)).toBe(200)
    expect(phone.jar.get('oc_m1')).toBeTruthy()
    return { phone, page }
  }

  it('awards the points once: one phone hears "claimed", every other "already claimed", none an error, and the ledger checks out', async () => {
    const members = []
    for (let i = 0; i < MEMBERS; i++) members.push(await signedInMemberHolding(i))
    expect(new Set(members.map((m) => m.phone.jar.get('oc_m1'))).size).toBe(MEMBERS)

    // Every claim waits on a connection of its own; then all are sent in one synchronous loop.
    const opened = await Promise.all(members.map((m) => m.phone.openClaim(m.page)))
    const replies: Reply[] = await Promise.all(opened.map((o) => o.fire()))

    const kinds = replies.map((r) => `${r.status} ${/data-claim="([a-z-]+)"/.exec(r.body)?.[1] ?? r.body}`)
    expect(replies.filter((r) => r.status >= 500)).toEqual([])
    expect(kinds.filter((k) => k === '200 claimed')).toHaveLength(1)
    expect(kinds.filter((k) => k === '409 already-claimed')).toHaveLength(MEMBERS - 1)
    const winner = replies.find((r) => r.status === 200)!
    expect(winner.body).toContain('已领取 10 积分')

    const db = new Database(dbFile(), { readonly: true, fileMustExist: true })
    try {
      const { codeId } = db
        .prepare('SELECT code_id AS codeId FROM scans WHERE id = ?')
        .get(members[0]!.page.scanId) as {
        codeId: number
      }
      const claims = db
        .prepare('SELECT member_id AS memberId, points FROM claims WHERE code_id = ?')
        .all(codeId)
      expect(claims).toHaveLength(1)
      expect(claims[0]).toMatchObject({ points: 10 })
      expect(db.prepare('SELECT state FROM codes WHERE id = ?').get(codeId)).toEqual({ state: 'claimed' })
    } finally {
      db.close()
    }
    // `npm run check:ledger -- <db>`: execFile rejects unless the check exits 0.
    const checked = await run(process.execPath, ['--import', 'tsx', 'scripts/check-ledger.ts', dbFile()])
    expect(checked.stdout).toContain('ledger ok')
  })
})
