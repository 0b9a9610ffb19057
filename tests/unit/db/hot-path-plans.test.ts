import { describe, expect, it } from 'vitest'
import { type openDatabase, optimizeDatabase } from '../../../src/db/index.ts'
import { BALANCE_SQL } from '../../../src/points/ledger-store.ts'
import { SCAN_HISTORY_SQL } from '../../../src/scans/scan-store.ts'
import { fileDatabases } from '../../support/file-database.ts'

const fileDatabase = fileDatabases('oc-plans-')

/**
 * A database file with some history (a few thousand scans over a few hundred codes, a ledger with
 * members and the brand's side) and the statistics the server keeps, so the planner chooses as it
 * does in production.
 */
function databaseWithHistory() {
  const { db } = fileDatabase()
  const c = db.$client
  c.prepare("INSERT INTO brands (slug, name, created_at) VALUES ('b', 'B', 0)").run()
  const scan = c.prepare(
    `INSERT INTO scans (brand_id, code_id, device_id, ip_prefix, user_agent, verdict, counted, at, place_zh)
     VALUES (1, ?, ?, '127.0.0.0', 'ua', 'genuine-seen', ?, ?, '上海')`,
  )
  const tx = c.prepare(
    "INSERT INTO ledger_transactions (brand_id, kind, memo, created_at) VALUES (1, 'claim', 'm', ?)",
  )
  const entry = c.prepare(
    `INSERT INTO ledger_entries (tx_id, brand_id, account, member_id, amount, expires_at, created_at)
     VALUES (?, 1, ?, ?, ?, NULL, ?)`,
  )
  c.transaction(() => {
    for (let i = 0; i < 4_000; i++) scan.run(1 + (i % 300), `device-${i}`, i % 7 === 0 ? 0 : 1, i * 1_000)
    for (let i = 0; i < 1_000; i++) {
      const txId = Number(tx.run(i).lastInsertRowid)
      entry.run(txId, 'member', 1 + (i % 50), 10, i)
      entry.run(txId, 'brand:issued', null, -10, i)
    }
  })()
  optimizeDatabase(db)
  return db
}

const planOf = (db: ReturnType<typeof openDatabase>, sql: string, params: unknown) =>
  (db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail)

describe('the hot paths read their indexes alone', () => {
  it("judges a scan from scans_code_history_idx without reading an earlier scan's row", () => {
    const db = databaseWithHistory()
    const plan = planOf(db, SCAN_HISTORY_SQL, { code: 5, device: 'device-9', since: 0 })
    const reads = plan.filter((d) => /^(SEARCH|SCAN) (scans|f)\b/.test(d))
    // The summary and the first counted scan each walk the covering index; only the first scan's
    // own row is read (by its id) for its place.
    expect(reads).toEqual([
      'SEARCH scans USING COVERING INDEX scans_code_history_idx (code_id=?)',
      'SEARCH f USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN',
      'SEARCH scans USING COVERING INDEX scans_code_history_idx (code_id=?)',
    ])
    // (at, id) is the index's own order: finding the first counted scan sorts nothing.
    expect(plan.some((d) => d.includes('ORDER BY'))).toBe(false)
  })

  it("sums a member's balance from ledger_entries_member_idx alone", () => {
    const db = databaseWithHistory()
    expect(planOf(db, BALANCE_SQL, [1, 7])).toEqual([
      'SEARCH ledger_entries USING COVERING INDEX ledger_entries_member_idx (member_id=?)',
    ])
  })
})
