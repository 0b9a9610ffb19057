import type { Db } from './index.ts'

type Pending<I, O> = { input: I; resolve: (output: O) => void; reject: (err: unknown) => void }

const wrapped = new WeakMap<Db, <T>(work: () => T) => T>()

/** One transaction around `work`, wrapped once per connection (wrapping costs on a hot path). */
function inOneTransaction(db: Db): <T>(work: () => T) => T {
  let run = wrapped.get(db)
  if (!run) {
    run = db.$client.transaction((work: () => unknown) => work()) as <T>(work: () => T) => T
    wrapped.set(db, run)
  }
  return run
}

/**
 * Group commit for the hot write paths (the scan page, claims): the calls that arrive in one turn
 * of the event loop run in one transaction, are committed once, and only then answered.
 * Committing is most of a small write's cost — each commit writes every page it touched (the row,
 * its index pages, the ledger's) to the WAL — so under load a group shares those pages and that
 * one write.
 *
 * Each call's outcome stays what one transaction per call gives: the group runs synchronously on
 * the one connection, call after call in arrival order, each inside `work`'s own transaction (a
 * savepoint within the group), so each call's reads see every call before it and nothing else runs
 * on the connection in between. Nothing is answered before COMMIT, so no answer promises a write
 * that a crash could lose. A call that throws rolls back only its savepoint and is rejected; if the
 * commit itself fails, each call of the group is run again in its own transaction.
 *
 * `work` must open its own transaction (better-sqlite3's `db.transaction`, which nests as a
 * savepoint) so that a failing call cannot leave half its writes in the group — unless all it
 * writes is one statement, which SQLite applies whole or not at all (the scan recorder).
 *
 * @example
 * const claim = createGroupCommit(db, (input: ClaimInput) => claimCode(db, input))
 * const outcome = await claim(input)
 */
export function createGroupCommit<I, O>(db: Db, work: (input: I) => O): (input: I) => Promise<O> {
  const transaction = inOneTransaction(db)
  let pending: Pending<I, O>[] = []
  const settle = (p: Pending<I, O>): (() => void) => {
    try {
      const output = work(p.input)
      return () => p.resolve(output)
    } catch (err) {
      return () => p.reject(err)
    }
  }
  const flush = () => {
    const group = pending
    pending = []
    let answers: (() => void)[]
    try {
      answers = transaction(() => group.map(settle))
    } catch {
      answers = group.map(settle)
    }
    for (const answer of answers) answer()
  }
  return (input) =>
    new Promise<O>((resolve, reject) => {
      // setImmediate runs after the I/O callbacks of this turn: every request parsed so far joins.
      if (pending.push({ input, resolve, reject }) === 1) setImmediate(flush)
    })
}
