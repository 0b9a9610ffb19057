import type BetterSqlite3 from 'better-sqlite3'
import type { DbLike } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import type { LedgerKind } from './points-schema.ts'

export const BRAND_ACCOUNTS = {
  issued: 'brand:issued',
  redeemed: 'brand:redeemed',
  expired: 'brand:expired',
  adjusted: 'brand:adjusted',
} as const
export const MEMBER_ACCOUNT = 'member'

/** `expiresAt` on a member's credit line makes it an earning lot that expires then (null: never). */
export type Entry = { account: string; memberId?: number | null; amount: number; expiresAt?: number | null }

/**
 * Posts one balanced transaction. Entries must sum to zero and be whole numbers: a violation is a
 * bug in the caller, so it throws (and the surrounding transaction rolls back).
 *
 * @example
 * postTransaction(tx, brandId, { kind: 'claim', memo: 'code 42', entries: [
 *   { account: 'member', memberId, amount: 10 }, { account: 'brand:issued', amount: -10 }] }, now)
 */
export function postTransaction(
  tx: DbLike,
  brandId: number,
  input: { kind: LedgerKind; memo: string; entries: Entry[] },
  now: number,
): number {
  const sum = input.entries.reduce((s, e) => s + e.amount, 0)
  if (sum !== 0 || input.entries.some((e) => !Number.isSafeInteger(e.amount)) || input.entries.length < 2) {
    throw new Error(`unbalanced ledger transaction (${input.kind}): entries sum to ${sum}`)
  }
  const q = statementsFor(tx)
  const id = Number(q.insertTransaction.run(brandId, input.kind, input.memo, now).lastInsertRowid)
  for (const e of input.entries) {
    q.insertEntry.run(id, brandId, e.account, e.memberId ?? null, e.amount, e.expiresAt ?? null, now)
  }
  return id
}

/** A member's balance: the sum of their ledger lines. */
export function balanceOf(db: DbLike, brandId: number, memberId: number): number {
  return (statementsFor(db).balance.get(brandId, memberId) as { total: number }).total
}

/**
 * A member's balance (brand, member): read from ledger_entries_member_idx alone, which carries
 * brand_id and amount for it (tests/unit/db/hot-path-plans.test.ts holds the plan to that).
 */
export const BALANCE_SQL =
  'SELECT coalesce(sum(amount), 0) AS total FROM ledger_entries WHERE brand_id = ? AND member_id = ?'

// Every claim posts a transaction and reads a balance: these statements are prepared once per
// connection (the tables are ledger_transactions and ledger_entries of points-schema.ts).
const statementsFor = preparedPerConnection((c) => ({
  // The new id from lastInsertRowid: RETURNING made SQLite buffer the row (6 µs of a claim's 11 µs here).
  insertTransaction: c.prepare(
    'INSERT INTO ledger_transactions (brand_id, kind, memo, created_at) VALUES (?, ?, ?, ?)',
  ),
  insertEntry: c.prepare(
    `INSERT INTO ledger_entries (tx_id, brand_id, account, member_id, amount, expires_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ),
  balance: c.prepare(BALANCE_SQL),
}))

export type LedgerProblem = { rule: string; detail: string }

/**
 * The ledger's invariants, checked over a whole database: every transaction sums to zero, no
 * member balance is negative, no code was claimed twice, every claim's credit matches it and went
 * to its member (or to a member merged into them since). `npm run check:ledger` runs it.
 */
export function checkLedger(c: BetterSqlite3.Database): LedgerProblem[] {
  const problems: LedgerProblem[] = []
  for (const r of c
    .prepare(
      'SELECT tx_id AS tx, sum(amount) AS s FROM ledger_entries GROUP BY tx_id HAVING sum(amount) <> 0',
    )
    .all() as { tx: number; s: number }[]) {
    problems.push({ rule: 'zero-sum', detail: `transaction ${r.tx} sums to ${r.s}` })
  }
  for (const r of c
    .prepare(
      'SELECT t.id AS tx FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.tx_id = t.id GROUP BY t.id HAVING count(e.id) < 2',
    )
    .all() as { tx: number }[]) {
    problems.push({ rule: 'double-entry', detail: `transaction ${r.tx} has fewer than two entries` })
  }
  for (const r of c
    .prepare(
      'SELECT brand_id AS b, member_id AS m, sum(amount) AS s FROM ledger_entries WHERE member_id IS NOT NULL GROUP BY brand_id, member_id HAVING sum(amount) < 0',
    )
    .all() as { b: number; m: number; s: number }[]) {
    problems.push({ rule: 'no-negative-balance', detail: `member ${r.m} of brand ${r.b} has ${r.s}` })
  }
  for (const r of c
    .prepare('SELECT code_id AS code, count(*) AS n FROM claims GROUP BY code_id HAVING count(*) > 1')
    .all() as {
    code: number
    n: number
  }[]) {
    problems.push({ rule: 'one-claim-per-code', detail: `code ${r.code} claimed ${r.n} times` })
  }
  // A claim's transaction has one member line: the credit. It stays on the member who claimed even
  // when an owner later merges them into another member and the claim row moves with the merge.
  for (const r of c
    .prepare(
      `SELECT cl.id AS claim FROM claims cl JOIN ledger_entries e ON e.tx_id = cl.tx_id AND e.member_id IS NOT NULL
       GROUP BY cl.id HAVING sum(e.amount) <> max(cl.points)`,
    )
    .all() as { claim: number }[]) {
    problems.push({ rule: 'claim-matches-ledger', detail: `claim ${r.claim} credits a different amount` })
  }
  const mergedInto = new Map(
    (
      c
        .prepare('SELECT id, merged_into_id AS intoId FROM members WHERE merged_into_id IS NOT NULL')
        .all() as {
        id: number
        intoId: number
      }[]
    ).map((m) => [m.id, m.intoId]),
  )
  for (const r of c
    .prepare(
      `SELECT cl.id AS claim, cl.member_id AS owner, e.member_id AS credited FROM claims cl
       JOIN ledger_entries e ON e.tx_id = cl.tx_id AND e.member_id IS NOT NULL AND e.member_id <> cl.member_id`,
    )
    .all() as { claim: number; owner: number; credited: number }[]) {
    if (!mergeChainReaches(mergedInto, r.credited, r.owner)) {
      problems.push({
        rule: 'claim-owner',
        detail: `claim ${r.claim} belongs to member ${r.owner} but credited member ${r.credited}, who was not merged into them`,
      })
    }
  }
  return problems
}

/** Whether following merges from member `from` (A into B, B into C, …) arrives at member `to`. */
function mergeChainReaches(mergedInto: Map<number, number>, from: number, to: number): boolean {
  const seen = new Set<number>()
  for (let m = mergedInto.get(from); m !== undefined && !seen.has(m); m = mergedInto.get(m)) {
    if (m === to) return true
    seen.add(m)
  }
  return false
}
