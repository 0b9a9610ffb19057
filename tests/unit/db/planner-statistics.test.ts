import { describe, expect, it } from 'vitest'
import { openDatabase, optimizeDatabase } from '../../../src/db/index.ts'
import { fileDatabases } from '../../support/file-database.ts'

const fileDatabase = fileDatabases('oc-stats-')

/** A database whose scans table holds enough rows for ANALYZE to sample its indexes. */
function databaseWithScans() {
  const { db, file } = fileDatabase()
  const c = db.$client
  c.prepare("INSERT INTO brands (slug, name, created_at) VALUES ('b', 'B', 0)").run()
  const insert = c.prepare(
    `INSERT INTO scans (brand_id, code_id, device_id, ip_prefix, user_agent, verdict, counted, at)
     VALUES (1, NULL, ?, '127.0.0.0', 'ua', 'not-genuine', 1, ?)`,
  )
  c.transaction(() => {
    for (let i = 0; i < 3_000; i++) insert.run(`device-${i}`, i * 1_000)
  })()
  return { db, file }
}

const sampledIndexes = (db: ReturnType<typeof openDatabase>) =>
  (db.$client.prepare('SELECT DISTINCT idx FROM sqlite_stat4').all() as { idx: string }[]).map((r) => r.idx)

describe("the planner's statistics", () => {
  it("keep the averages of every index but no value samples of the scan page's lookup index", () => {
    const { db } = databaseWithScans()
    // A plain ANALYZE samples every index, the hot path's too.
    db.$client.exec('ANALYZE')
    expect(sampledIndexes(db)).toContain('scans_code_history_idx')

    optimizeDatabase(db)
    db.$client.exec('ANALYZE scans')
    optimizeDatabase(db)
    const sampled = sampledIndexes(db)
    expect(sampled).not.toContain('scans_code_history_idx')
    // The dashboard's range over a brand's scans keeps its samples.
    expect(sampled).toContain('scans_brand_at_idx')
    const averages = db.$client.prepare("SELECT idx FROM sqlite_stat1 WHERE tbl = 'scans'").all() as {
      idx: string
    }[]
    expect(averages.map((r) => r.idx)).toContain('scans_code_history_idx')
    db.$client.close()
  })

  it('are refreshed the same way whenever the database is opened', () => {
    const { db, file } = databaseWithScans()
    db.$client.exec('ANALYZE')
    db.$client.close()
    const reopened = openDatabase(file)
    expect(sampledIndexes(reopened)).not.toContain('scans_code_history_idx')
    expect(sampledIndexes(reopened)).toContain('scans_brand_at_idx')
    reopened.$client.close()
  })
})
