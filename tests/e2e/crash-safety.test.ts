import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliIo, main as codegen } from '../../codegen/cli.ts'
import { createPhone, type Phone, pathsFromCsv, type Reply, signInOnPage } from './support/member-phone.ts'
import { type RestartableServer, restartableServer } from './support/restartable-server.ts'

/** The issue asks for at least 20 kills at random moments. */
const KILLS = 20
const MEMBERS = 4
/**
 * Room for 20 rounds of load on a fast machine: a run tried 400–500 codes on the 2026-11 AMD box
 * and ran out of 2,000 on the 2026-12 Intel one (its claims are ~3× faster). Minting is cheap.
 */
const CODES = 10_000
/** Each round's load runs this long (uniformly random, ms) before the SIGKILL. */
const MIN_LOAD_MS = 50
const MAX_LOAD_MS = 400
const sourceAddress = (i: number) => `127.0.0.${60 + i}`
const run = promisify(execFile)

/** A claim the server answered 200 "claimed": what the member was told is theirs. */
type Acknowledged = {
  member: number
  codePath: string
  scanId: number
  csrf: string
  key: string
  points: number
}

const pointsIn = (body: string) => Number(/已领取 (\d+) 积分/.exec(body)?.[1] ?? Number.NaN)
const kindOf = (r: Reply) => /data-claim="([a-z-]+)"/.exec(r.body)?.[1] ?? `?${r.body.slice(0, 120)}`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('claims survive the server being killed at any moment', () => {
  let server: RestartableServer
  let codePaths: string[]
  const phones: Phone[] = []

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

  beforeAll(async () => {
    server = await restartableServer()
    await server.start()
    const created = await cli(['batch', '--product', 'DEMO-001', '--count', String(CODES)])
    const batchId = created.trim().split('\n').at(-1)!
    await cli(['activate', '--batch', batchId])
    const file = path.join(server.dataDir, `batch-${batchId}.csv`)
    await cli(['export', '--batch', batchId, '--format', 'csv', '--out', file])
    codePaths = pathsFromCsv(fs.readFileSync(file, 'utf8'))
    expect(codePaths).toHaveLength(CODES)
    // Each member signs in on a code of their own (signing in claims it), before any kill.
    for (let i = 0; i < MEMBERS; i++) {
      const phone = createPhone(server.baseUrl, { localAddress: sourceAddress(i) })
      const page = await phone.scan(codePaths[i]!)
      const verified = await signInOnPage(
        phone,
        server.dataDir,
        page,
        `+86139${String(10_000_000 + i).slice(1)}`,
      )
      expect(verified.status, verified.body.slice(0, 300)).toBe(200)
      expect(phone.jar.get('oc_m1')).toBeTruthy()
      phones.push(phone)
    }
  })

  afterAll(async () => {
    await server?.dispose()
  })

  const dbFile = () => path.join(server.dataDir, 'onecode.db')

  it('keeps every acknowledged claim with its ledger transaction, a balanced ledger and an intact database after 20+ SIGKILLs', async () => {
    const acknowledged: Acknowledged[] = []
    const outcomes = new Map<string, number>()
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1)
    let next = MEMBERS
    let stopped = false

    /** One member scanning and claiming fresh codes, one after another, until the round ends. */
    async function load(member: number) {
      const phone = phones[member]!
      while (!stopped && next < codePaths.length) {
        const codePath = codePaths[next++]!
        try {
          const page = await phone.scan(codePath)
          if (stopped) return
          if (!Number.isFinite(page.scanId)) {
            count(`scan ${page.status} without a claim form`)
            continue
          }
          const reply = await phone.post(page.scanId, 'claim', { _csrf: page.csrf, key: page.key })
          const kind = kindOf(reply)
          count(`${reply.status} ${kind}`)
          if (reply.status === 200 && kind === 'claimed') {
            acknowledged.push({ member, codePath, ...page, points: pointsIn(reply.body) })
          }
        } catch {
          // The connection died with the server: the claim is not acknowledged, whatever happened to it.
          count('connection lost')
        }
      }
    }

    const started = Date.now()
    for (let round = 0; round < KILLS; round++) {
      if (round > 0) await server.start()
      stopped = false
      const workers = phones.map((_, i) => load(i))
      await sleep(MIN_LOAD_MS + Math.random() * (MAX_LOAD_MS - MIN_LOAD_MS))
      // The signal goes out synchronously; the flag then stops the workers from starting new claims.
      const killed = server.kill()
      stopped = true
      await killed
      await Promise.all(workers)
    }
    const elapsed = Date.now() - started
    console.info(
      `crash-safety: ${KILLS} kills in ${elapsed} ms, ${acknowledged.length} acknowledged claims, ${next - MEMBERS} codes tried`,
      Object.fromEntries(outcomes),
    )
    expect(next, 'the batch ran out of codes: raise CODES').toBeLessThan(codePaths.length)
    // The load really ran: claims were acknowledged in most rounds, not just once.
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILLS)
    expect([...outcomes.keys()].filter((k) => k.startsWith('5'))).toEqual([])

    // After a restart, retrying an acknowledged claim's key answers the first outcome, no second award.
    await server.start()
    const claimsBefore = countClaims()
    for (const ack of acknowledged) {
      const retried = await phones[ack.member]!.post(ack.scanId, 'claim', { _csrf: ack.csrf, key: ack.key })
      expect(`${retried.status} ${kindOf(retried)}`, ack.codePath).toBe('200 claimed')
      expect(pointsIn(retried.body)).toBe(ack.points)
    }
    expect(countClaims()).toBe(claimsBefore)
    // The last crash: the checks below read what a SIGKILL left behind.
    await server.kill()

    const db = new Database(dbFile(), { readonly: true, fileMustExist: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(db.pragma('foreign_key_check')).toEqual([])
      const byKey = db.prepare(
        `SELECT c.points, c.member_id AS memberId, s.code_id = c.code_id AS sameCode, co.state,
                t.kind AS txKind, (SELECT SUM(amount) FROM ledger_entries e WHERE e.tx_id = t.id) AS txSum,
                (SELECT SUM(amount) FROM ledger_entries e WHERE e.tx_id = t.id AND e.member_id = c.member_id) AS credit
           FROM claims c
           JOIN scans s ON s.id = ?
           JOIN codes co ON co.id = c.code_id
           LEFT JOIN ledger_transactions t ON t.id = c.tx_id
          WHERE c.idempotency_key = ?`,
      )
      for (const ack of acknowledged) {
        const row = byKey.get(ack.scanId, ack.key) as
          | { points: number; sameCode: number; state: string; txKind: string; txSum: number; credit: number }
          | undefined
        expect(row, `acknowledged claim of ${ack.codePath} is missing`).toBeDefined()
        expect(row).toMatchObject({
          points: ack.points,
          sameCode: 1,
          state: 'claimed',
          txKind: 'claim',
          txSum: 0,
          credit: ack.points,
        })
      }
      // Each member's balance is what their claims credited (no claim without a transaction or twice).
      const balances = db
        .prepare(
          `SELECT c.member_id AS memberId, SUM(c.points) AS claimed,
                  (SELECT SUM(amount) FROM ledger_entries e WHERE e.member_id = c.member_id) AS balance
             FROM claims c GROUP BY c.member_id`,
        )
        .all() as { claimed: number; balance: number }[]
      for (const b of balances) expect(b.balance).toBe(b.claimed)
    } finally {
      db.close()
    }
    const checked = await run(process.execPath, ['--import', 'tsx', 'scripts/check-ledger.ts', dbFile()])
    expect(checked.stdout).toContain('ledger ok')

    function countClaims(): number {
      const d = new Database(dbFile(), { readonly: true, fileMustExist: true })
      try {
        return (d.prepare('SELECT COUNT(*) AS n FROM claims').get() as { n: number }).n
      } finally {
        d.close()
      }
    }
  }, 120_000)
})
