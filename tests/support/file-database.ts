import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach } from 'vitest'
import { type Db, openDatabase } from '../../src/db/index.ts'

/**
 * Migrated SQLite files on disk, each in a temporary folder of its own that is removed after the
 * test that opened it (closed or not). Call once at the top of a test file; the function it returns
 * opens one more database.
 *
 * @example
 * const fileDatabase = fileDatabases('oc-plans-')
 * const { db, file } = fileDatabase()
 */
export function fileDatabases(prefix: string): () => { db: Db; file: string } {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  })
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
    dirs.push(dir)
    const file = path.join(dir, 'onecode.db')
    return { db: openDatabase(file), file }
  }
}
