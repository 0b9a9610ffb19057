import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { FALLBACK_AUTOCHECKPOINT_PAGES, startWalCheckpointer } from '../../../src/db/wal-checkpointer.ts'
import { fileDatabases } from '../../support/file-database.ts'

const fileDatabase = fileDatabases('oc-ckpt-')

async function until(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return check()
}

describe('the background WAL checkpointer', () => {
  it('copies committed pages into the database file while the serving connection only appends', async () => {
    const { db, file } = fileDatabase()
    const warnings: string[] = []
    const checkpointer = startWalCheckpointer(db, file, (m) => warnings.push(m))
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES)

    db.$client.exec('CREATE TABLE blob_rows (id INTEGER PRIMARY KEY, v BLOB NOT NULL)')
    const insert = db.$client.prepare('INSERT INTO blob_rows (v) VALUES (?)')
    const sizeBefore = fs.statSync(file).size
    // 1,500 pages: past SQLite's default threshold, far below the fallback one, so only the
    // background thread can have moved them into the database file.
    for (let i = 0; i < 150; i++) db.$client.transaction(() => insert.run(Buffer.alloc(40_000, i)))()

    const grown = await until(() => fs.statSync(file).size > sizeBefore + 5_000_000)
    expect(grown).toBe(true)
    await checkpointer.stop()
    // Once the thread is gone the serving connection checkpoints for itself again.
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
    expect(warnings).toEqual([])
    expect((db.$client.prepare('SELECT count(*) AS n FROM blob_rows').get() as { n: number }).n).toBe(150)
    db.$client.close()
  })

  it('stops at once when asked twice', async () => {
    const { db, file } = fileDatabase()
    const checkpointer = startWalCheckpointer(db, file, () => {})
    await checkpointer.stop()
    await checkpointer.stop()
    db.$client.close()
  })
})
