import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../codegen/cli.ts'
import { createBatch, mintChunk } from '../../src/batches/batch-store.ts'
import { loadConfig } from '../../src/config.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { openDatabase } from '../../src/db/index.ts'
import { codes } from '../../src/db/schema.ts'
import { backupDatabase, restoreDatabase, verifyRestored } from '../../src/ops/backup.ts'
import { createProduct } from '../../src/products/product-store.ts'
import { openRuntime } from '../../src/runtime.ts'
import { createBrand } from '../../src/staff/brand-setup.ts'
import { brands } from '../../src/staff/staff-schema.ts'
import { capture } from '../support/cli-io.ts'

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)

/** A DATA_DIR with one brand, one product and a minted batch of 50 codes. */
function seedDataDir(dir: string) {
  const env = { DATA_DIR: dir, LOG_LEVEL: 'silent' }
  const rt = openRuntime(loadConfig(env))
  const brand = createBrand(
    rt.db,
    rt.masterKey,
    { slug: 'tea', name: 'Tea', ownerEmail: 'o@tea.test', ownerName: 'O', passwordHash: 'x' },
    NOW,
  )
  if (brand.kind !== 'created') throw new Error(brand.kind)
  rt.keyring.add(brand.key)
  const bdb = brandDb(rt.db, brand.brandId)
  const actor = { staffId: null, label: 'test' }
  const product = createProduct(
    bdb,
    actor,
    { sku: 'TEA-1', name: 'Tea', gtin: null, points: 5, imageUrl: null, notes: null },
    NOW,
  )
  if (product.kind !== 'saved') throw new Error(product.kind)
  const batch = createBatch(
    bdb,
    rt.keyring,
    actor,
    {
      productId: product.product.id,
      quantity: 50,
      lot: 'L1',
      producedOn: null,
      expiresOn: null,
      urlMode: 'short',
    },
    NOW,
  )
  if (batch.kind !== 'created') throw new Error(batch.kind)
  while (!mintChunk(rt.db, rt.keyring, batch.batch.id, NOW).done) {}
  return { env, rt }
}

function countsIn(databaseFile: string) {
  const db = openDatabase(databaseFile)
  const count = (table: string) => db.$client.prepare(`select count(*) from ${table}`).pluck().get() as number
  try {
    return {
      brands: count('brands'),
      products: count('products'),
      batches: count('batches'),
      codes: count('codes'),
    }
  } finally {
    db.$client.close()
  }
}

describe('online backup and verified restore', () => {
  let tmp: string
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-backup-'))
  })
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }))

  it('backs up an open database and restores it into a fresh DATA_DIR with the same rows', async () => {
    const { rt } = seedDataDir(path.join(tmp, 'live'))
    const file = path.join(tmp, 'backups', 'onecode.db')
    // The live connection stays open, as the server's would.
    const { bytes } = await backupDatabase(rt.db, file)
    expect(bytes).toBeGreaterThan(0)
    expect(fs.readdirSync(path.dirname(file))).toEqual(['onecode.db'])
    const live = {
      brands: rt.db.select().from(brands).all().length,
      codes: rt.db.select().from(codes).all().length,
    }
    rt.db.$client.close()

    const fresh = path.join(tmp, 'fresh', 'onecode.db')
    const outcome = restoreDatabase(file, fresh, { force: false, now: NOW })
    expect(outcome).toEqual({ kind: 'restored', target: fresh, previous: null })
    expect(countsIn(fresh)).toEqual({ brands: live.brands, products: 1, batches: 1, codes: live.codes })
    expect(live.codes).toBe(50)
  })

  it('refuses a truncated backup with a clear message and leaves the target alone', async () => {
    const { rt } = seedDataDir(path.join(tmp, 'live'))
    const file = path.join(tmp, 'backup.db')
    await backupDatabase(rt.db, file)
    rt.db.$client.close()
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))

    const fresh = path.join(tmp, 'fresh', 'onecode.db')
    const outcome = restoreDatabase(file, fresh, { force: false, now: NOW })
    expect(outcome.kind).toBe('damaged')
    if (outcome.kind === 'damaged')
      expect(outcome.problems.join(' ')).toMatch(/malformed|corrupt|not a database|integrity/i)
    expect(fs.existsSync(fresh)).toBe(false)
    expect(fs.readdirSync(path.dirname(fresh))).toEqual([])
  })

  it('refuses a file that is not a database at all', () => {
    const file = path.join(tmp, 'notes.txt')
    fs.writeFileSync(file, 'this is not sqlite\n'.repeat(1000))
    const outcome = restoreDatabase(file, path.join(tmp, 'fresh', 'onecode.db'), { force: false, now: NOW })
    expect(outcome.kind).toBe('damaged')
  })

  it.each([
    ['an empty SQLite file', (file: string) => new Database(file).close()],
    [
      'another application’s SQLite database',
      (file: string) => {
        const other = new Database(file)
        other.exec(
          'create table notes (id integer primary key, text text); insert into notes (text) values (1)',
        )
        other.close()
      },
    ],
    [
      'a database with onecode-like tables but no migrations',
      (file: string) => {
        const other = new Database(file)
        other.exec(
          'create table brands (id integer); create table signing_keys (id integer); create table codes (id integer)',
        )
        other.close()
      },
    ],
  ])('refuses %s as not an onecode backup and leaves the live database alone', (_, make) => {
    const { rt } = seedDataDir(path.join(tmp, 'live'))
    const live = path.join(tmp, 'live', 'onecode.db')
    rt.db.$client.close()
    const file = path.join(tmp, 'other.db')
    make(file)

    const outcome = restoreDatabase(file, live, { force: true, now: NOW })
    expect(outcome.kind).toBe('not-onecode')
    if (outcome.kind === 'not-onecode') expect(outcome.missing).toContain('__drizzle_migrations')
    expect(countsIn(live)).toEqual({ brands: 1, products: 1, batches: 1, codes: 50 })
    expect(fs.readdirSync(path.join(tmp, 'live')).filter((f) => f.includes('restor'))).toEqual([])
  })

  it('finds no problems in a sound database and reports a broken foreign key', () => {
    const { rt } = seedDataDir(path.join(tmp, 'live'))
    expect(verifyRestored(rt.db)).toEqual([])
    rt.db.$client.pragma('foreign_keys = OFF')
    rt.db.$client.prepare('update products set brand_id = 999').run()
    expect(verifyRestored(rt.db).join('\n')).toMatch(/foreign key: products/)
    rt.db.$client.close()
  })

  it('reports a points ledger whose transaction does not sum to zero', () => {
    const { rt } = seedDataDir(path.join(tmp, 'ledger'))
    const c = rt.db.$client
    const tx = c
      .prepare(
        "insert into ledger_transactions (brand_id, kind, memo, created_at) values (1, 'adjustment', 'x', 0)",
      )
      .run()
    c.prepare(
      "insert into ledger_entries (tx_id, brand_id, account, member_id, amount, created_at) values (?, 1, 'brand:adjusted', null, -5, 0)",
    ).run(tx.lastInsertRowid)
    c.prepare(
      "insert into ledger_entries (tx_id, brand_id, account, member_id, amount, created_at) values (?, 1, 'brand:adjusted', null, 4, 0)",
    ).run(tx.lastInsertRowid)
    expect(verifyRestored(rt.db).join('\n')).toMatch(/ledger zero-sum: transaction \d+ sums to -1/)
    c.close()
  })
})

describe('the backup and restore commands', () => {
  let tmp: string
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-backup-cli-'))
  })
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }))

  it('backs up, refuses to restore over a database without --force, and keeps the old one with it', async () => {
    const live = path.join(tmp, 'live')
    const { env, rt } = seedDataDir(live)
    rt.db.$client.close()
    const file = path.join(tmp, 'b.db')
    const backup = capture(env)
    expect(await main(['backup', '--out', file], backup.io)).toBe(0)
    expect(backup.stdout()).toContain(file)

    const refused = capture(env)
    expect(await main(['restore', '--from', file], refused.io)).toBe(2)
    expect(refused.stderr().trim().split('\n')).toHaveLength(1)
    expect(refused.stderr()).toContain('--force')

    const forced = capture(env)
    expect(await main(['restore', '--from', file, '--force'], forced.io)).toBe(0)
    expect(forced.stderr()).toBe('')
    const kept = fs.readdirSync(live).filter((f) => /^onecode\.db\.before-restore-\d{8}T\d{6}Z$/.test(f))
    expect(kept).toHaveLength(1)
    expect(countsIn(path.join(live, 'onecode.db')).codes).toBe(50)
    expect(countsIn(path.join(live, kept[0]!)).codes).toBe(50)
  })

  it('restores into a fresh DATA_DIR and warns that the master key must come back too', async () => {
    const { env, rt } = seedDataDir(path.join(tmp, 'live'))
    rt.db.$client.close()
    const file = path.join(tmp, 'b.db')
    expect(await main(['backup', '--out', file], capture(env).io)).toBe(0)
    const fresh = capture({ DATA_DIR: path.join(tmp, 'fresh'), LOG_LEVEL: 'silent' })
    expect(await main(['restore', '--from', file], fresh.io)).toBe(0)
    expect(fresh.stderr()).toMatch(/master key/)
    fs.copyFileSync(path.join(tmp, 'live', 'master.key'), path.join(tmp, 'fresh', 'master.key'))
    const again = capture({ DATA_DIR: path.join(tmp, 'fresh'), LOG_LEVEL: 'silent' })
    expect(await main(['restore', '--from', file, '--force'], again.io)).toBe(0)
    expect(again.stderr()).toBe('')
  })

  it('exits 1 with one clear line for a damaged backup', async () => {
    const { env, rt } = seedDataDir(path.join(tmp, 'live'))
    rt.db.$client.close()
    const file = path.join(tmp, 'b.db')
    expect(await main(['backup', '--out', file], capture(env).io)).toBe(0)
    fs.truncateSync(file, 4096)
    const run = capture({ DATA_DIR: path.join(tmp, 'fresh'), LOG_LEVEL: 'silent' })
    expect(await main(['restore', '--from', file], run.io)).toBe(1)
    expect(run.stderr().trim().split('\n')).toHaveLength(1)
    expect(run.stderr()).toMatch(/damaged, nothing was changed/)
  })

  it('exits 1 and keeps the live database when --force is given an empty SQLite file', async () => {
    const { env, rt } = seedDataDir(path.join(tmp, 'live'))
    rt.db.$client.close()
    const file = path.join(tmp, 'empty.db')
    new Database(file).close()
    const run = capture(env)
    expect(await main(['restore', '--from', file, '--force'], run.io)).toBe(1)
    expect(run.stderr().trim()).toBe(
      `onecode-codegen: ${file} is not an onecode backup (no __drizzle_migrations, brands, signing_keys, codes table), nothing was changed`,
    )
    expect(countsIn(path.join(tmp, 'live', 'onecode.db')).codes).toBe(50)
    expect(fs.readdirSync(path.join(tmp, 'live')).filter((f) => f.includes('before-restore'))).toEqual([])
  })

  it.each([
    [['backup'], /--out is required/],
    [['backup', '--out'], /argument missing|--out/],
    [['backup', '--bogus'], /Unknown option/],
    [['restore'], /--from is required/],
    [['restore', '--from', '/no/such/file.db'], /no backup file/],
  ])('exits 2 with one line for %j', async (argv, message) => {
    const run = capture({ DATA_DIR: path.join(tmp, 'empty'), LOG_LEVEL: 'silent' })
    expect(await main(argv, run.io)).toBe(2)
    expect(run.stderr().trim().split('\n')).toHaveLength(1)
    expect(run.stderr()).toMatch(message)
  })

  it('refuses to back up a DATA_DIR that has no database rather than create an empty one', async () => {
    const run = capture({ DATA_DIR: path.join(tmp, 'empty'), LOG_LEVEL: 'silent' })
    expect(await main(['backup', '--out', path.join(tmp, 'x.db')], run.io)).toBe(2)
    expect(fs.existsSync(path.join(tmp, 'empty', 'onecode.db'))).toBe(false)
  })
})
