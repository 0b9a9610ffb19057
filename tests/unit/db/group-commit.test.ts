import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createGroupCommit } from '../../../src/db/group-commit.ts'
import type { Db } from '../../../src/db/index.ts'
import { fileDatabases } from '../../support/file-database.ts'

const fileDatabase = fileDatabases('oc-group-')

function fileDb(): { db: Db; file: string } {
  const { db, file } = fileDatabase()
  db.$client.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)')
  return { db, file }
}

describe('group commit', () => {
  it('runs the calls of one turn in one transaction and answers only after it is committed', async () => {
    const { db, file } = fileDb()
    const insert = db.$client.prepare('INSERT INTO t (v) VALUES (?)')
    const seenInTransaction: boolean[] = []
    const run = createGroupCommit(db, (v: string) => {
      seenInTransaction.push(db.$client.inTransaction)
      return Number(insert.run(v).lastInsertRowid)
    })
    const other = new Database(file, { readonly: true })
    try {
      const answers = Promise.all(['a', 'b', 'c'].map((v) => run(v)))
      // Nothing has run yet: the group waits for the turn to end.
      expect(seenInTransaction).toEqual([])
      const ids = await answers
      expect(ids).toEqual([1, 2, 3])
      expect(seenInTransaction).toEqual([true, true, true])
      // Answered means committed: another connection sees every row.
      expect(other.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['a', 'b', 'c'])
    } finally {
      other.close()
    }
  })

  it('rejects only the call that throws; the others of its group are kept', async () => {
    const { db } = fileDb()
    const insert = db.$client.prepare('INSERT INTO t (v) VALUES (?)')
    const inOwnSavepoint = db.$client.transaction((v: string) => {
      insert.run(`${v}-first`)
      if (v === 'bad') throw new Error('no')
      return insert.run(v).changes
    })
    const run = createGroupCommit(db, inOwnSavepoint)
    const results = await Promise.allSettled(['x', 'bad', 'y'].map((v) => run(v)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(db.$client.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual([
      'x-first',
      'x',
      'y-first',
      'y',
    ])
  })

  it('runs each call again on its own when the group cannot commit, so one bad call does not sink the rest', async () => {
    const { db } = fileDb()
    // A deferred foreign key is checked at COMMIT: a child without its parent fails the commit.
    db.$client.exec(`
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (id INTEGER PRIMARY KEY,
        parent_id INTEGER NOT NULL REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
      INSERT INTO parent (id) VALUES (1);`)
    const insert = db.$client.prepare('INSERT INTO child (parent_id) VALUES (?)')
    let calls = 0
    const run = createGroupCommit(
      db,
      db.$client.transaction((parentId: number) => {
        calls++
        return Number(insert.run(parentId).lastInsertRowid)
      }),
    )
    const results = await Promise.allSettled([run(1), run(99), run(1)])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    // Three calls in the failed group, then each again on its own.
    expect(calls).toBe(6)
    expect(db.$client.prepare('SELECT parent_id FROM child ORDER BY id').pluck().all()).toEqual([1, 1])
  })
})
