import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { and, asc, eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../codegen/cli.ts'
import { assembleToken, formatHuman } from '../../src/codes/token.ts'
import { loadConfig } from '../../src/config.ts'
import {
  auditLog,
  codes,
  distributorRegions,
  distributors,
  shipments,
  staff,
  staffDistributors,
} from '../../src/db/schema.ts'
import { openRuntime } from '../../src/runtime.ts'
import { DEMO_MANAGER_EMAIL, seedDemo } from '../../src/seed-demo.ts'
import { capture } from '../support/cli-io.ts'

describe('onecode-codegen ship', () => {
  let dataDir: string
  let env: Record<string, string>
  let seeded: Awaited<ReturnType<typeof seedDemo>>

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-ship-'))
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', PUBLIC_BASE_URL: 'https://oc.example.com' }
    const rt = openRuntime(loadConfig(env))
    seeded = await seedDemo(rt.db, rt.masterKey, rt.keyring, Date.now())
    rt.db.$client.close()
  })
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }))

  /** Reads the database the CLI wrote, then closes it. */
  function inspect<T>(read: (db: ReturnType<typeof openRuntime>['db']) => T): T {
    const rt = openRuntime(loadConfig(env))
    try {
      return read(rt.db)
    } finally {
      rt.db.$client.close()
    }
  }

  async function newBatch(count: number): Promise<string> {
    const run = capture(env)
    expect(await main(['batch', '--product', 'DEMO-001', '--count', String(count)], run.io)).toBe(0)
    return run.stdout().trim().split('\n').at(-1)!
  }

  const distributorId = (code: string) =>
    inspect((db) => db.select().from(distributors).where(eq(distributors.code, code)).get()!.id)

  it('ships a whole batch: activates its codes and binds them to the distributor', async () => {
    const batch = await newBatch(30)
    const run = capture(env)
    const status = await main(
      ['ship', '--brand', 'demo', '--distributor', 'EC-001', '--batch', batch],
      run.io,
    )
    expect(status, run.stderr()).toBe(0)
    expect(run.stdout()).toMatch(
      /^shipment \d+: 30 codes bound to EC-001 \(30 activated, 0 re-bound, 0 voided skipped\)\n$/,
    )
    const rows = inspect((db) =>
      db
        .select()
        .from(codes)
        .where(eq(codes.batchId, Number(batch)))
        .all(),
    )
    const ec = distributorId('EC-001')
    expect(
      rows.every((c) => c.state === 'activated' && c.distributorId === ec && c.shipmentId !== null),
    ).toBe(true)
    const audit = inspect((db) =>
      db.select().from(auditLog).where(eq(auditLog.action, 'shipment.create')).all(),
    )
    expect(audit.at(-1)!.actorLabel).toMatch(/^cli:/)
  })

  it('ships a range of a batch', async () => {
    const batch = await newBatch(10)
    const run = capture(env)
    const argv = [
      'ship',
      '--brand',
      'demo',
      '--distributor',
      'EC-001',
      '--batch',
      batch,
      '--from',
      '3',
      '--to',
      '5',
    ]
    expect(await main(argv, run.io)).toBe(0)
    const bound = inspect((db) =>
      db
        .select()
        .from(codes)
        .where(eq(codes.batchId, Number(batch)))
        .orderBy(asc(codes.seq))
        .all()
        .filter((c) => c.distributorId !== null)
        .map((c) => c.seq),
    )
    expect(bound).toEqual([3, 4, 5])
    expect(inspect((db) => db.select().from(shipments).all().at(-1))).toMatchObject({
      kind: 'range',
      seqFrom: 3,
      seqTo: 5,
    })
  })

  it('ships the codes listed in a file and reports the lines that are not codes', async () => {
    const batch = await newBatch(5)
    const rows = inspect((db) =>
      db
        .select()
        .from(codes)
        .where(eq(codes.batchId, Number(batch)))
        .orderBy(asc(codes.seq))
        .all(),
    )
    const file = path.join(dataDir, 'list.txt')
    const lines = [
      formatHuman(assembleToken(rows[0]!.kid, rows[0]!.serial, rows[0]!.tag)),
      `https://oc.example.com/c/${assembleToken(rows[1]!.kid, rows[1]!.serial, rows[1]!.tag).toLowerCase()}`,
      rows[2]!.serial,
      'GARBAGE',
    ]
    fs.writeFileSync(file, `${lines.join('\n')}\n`)
    const run = capture(env)
    expect(
      await main(['ship', '--brand', 'demo', '--distributor', 'EC-001', '--serials', file], run.io),
    ).toBe(0)
    expect(run.stdout()).toContain('3 codes bound to EC-001')
    expect(run.stderr()).toContain('1 lines were not codes of brand "demo"')
    expect(run.stderr()).toContain('GARBAGE')
  })

  it('exits 1 with a message when codes are bound elsewhere and --reason is missing; --reason re-binds', async () => {
    const demoBatch = inspect((db) => db.select().from(shipments).get()!.batchId!)
    const argv = ['ship', '--brand', 'demo', '--distributor', 'EC-001', '--batch', String(demoBatch)]
    const refused = capture(env)
    expect(await main(argv, refused.io)).toBe(1)
    expect(refused.stderr()).toBe(
      'onecode-codegen: 10 codes are already bound to another distributor (SC-001: 10); re-binding them needs --reason TEXT\n',
    )
    expect(inspect((db) => db.select().from(shipments).all())).toHaveLength(1)

    const run = capture(env)
    expect(await main([...argv, '--reason', 'Stock moved to the Shanghai warehouse'], run.io)).toBe(0)
    expect(run.stdout()).toContain('20 codes bound to EC-001 (0 activated, 10 re-bound, 0 voided skipped)')
    const last = inspect((db) => db.select().from(shipments).all().at(-1)!)
    expect(last).toMatchObject({ reboundCount: 10, reason: 'Stock moved to the Shanghai warehouse' })
  })

  it.each([
    [['ship', '--distributor', 'EC-001', '--batch', '1'], '--brand is required'],
    [['ship', '--brand', 'demo', '--batch', '1'], '--distributor is required'],
    [['ship', '--brand', 'demo', '--distributor', 'EC-001'], 'give either --batch N'],
    [
      ['ship', '--brand', 'demo', '--distributor', 'EC-001', '--batch', '1', '--serials', 'x'],
      'give either --batch N',
    ],
    [
      ['ship', '--brand', 'demo', '--distributor', 'EC-001', '--batch', '1', '--from', '2'],
      '--from and --to go together',
    ],
    [
      ['ship', '--brand', 'demo', '--distributor', 'EC-001', '--batch', '1', '--from', '5', '--to', '2'],
      '--from must not be after --to',
    ],
    [
      ['ship', '--brand', 'demo', '--distributor', 'EC-001', '--batch', 'one'],
      '--batch must be a whole number',
    ],
    [['ship', '--brand', 'nope', '--distributor', 'EC-001', '--batch', '1'], 'no brand "nope"'],
    [['ship', '--brand', 'demo', '--distributor', 'XX-9', '--batch', '1'], 'no distributor with code "XX-9"'],
    [['ship', '--brand', 'demo', '--distributor', 'EC-001', '--batch', '999'], 'has no batch 999'],
    [
      ['ship', '--brand', 'demo', '--distributor', 'EC-001', '--batch', '1', '--from', '15', '--to', '25'],
      'within 1..20',
    ],
    [
      ['ship', '--brand', 'demo', '--distributor', 'EC-001', '--serials', '/no/such/file'],
      'cannot read --serials file',
    ],
  ])('refuses %j with exit status 2 and a one-line reason', async (argv, reason) => {
    const run = capture(env)
    expect(await main(argv, run.io)).toBe(2)
    expect(run.stderr()).toContain(reason)
    expect(run.stderr().trim().split('\n')).toHaveLength(1)
  })

  it('answers --help', async () => {
    const run = capture(env)
    expect(await main(['ship', '--help'], run.io)).toBe(0)
    expect(run.stdout()).toContain('Usage: onecode-codegen ship --brand SLUG --distributor CODE')
    const all = capture(env)
    await main(['--help'], all.io)
    expect(all.stdout()).toContain('ship      activate and bind')
  })

  it('seeds the demo brand’s distributors, its channel manager and the first half of the demo batch shipped', () => {
    expect(seeded?.manager).toMatchObject({ email: DEMO_MANAGER_EMAIL })
    expect(seeded!.manager.password.length).toBeGreaterThanOrEqual(10)
    inspect((db) => {
      const rows = db.select().from(distributors).orderBy(asc(distributors.code)).all()
      expect(rows.map((d) => [d.code, d.name])).toEqual([
        ['EC-001', '华东总代'],
        ['SC-001', '华南总代'],
      ])
      const regions = (id: number) =>
        db
          .select()
          .from(distributorRegions)
          .where(eq(distributorRegions.distributorId, id))
          .all()
          .map((r) => r.regionCode)
          .sort()
      expect(regions(rows[1]!.id)).toEqual(['CN-GD', 'CN-GX'])
      expect(regions(rows[0]!.id)).toEqual(['CN-JS', 'CN-SH', 'CN-ZJ'])
      const manager = db.select().from(staff).where(eq(staff.email, DEMO_MANAGER_EMAIL)).get()!
      expect(manager.role).toBe('channel_manager')
      expect(
        db.select().from(staffDistributors).where(eq(staffDistributors.staffId, manager.id)).all(),
      ).toEqual([{ staffId: manager.id, distributorId: rows[1]!.id, brandId: manager.brandId }])
      const shipment = db.select().from(shipments).get()!
      expect(shipment).toMatchObject({
        distributorId: rows[1]!.id,
        kind: 'range',
        seqFrom: 1,
        seqTo: 10,
        codeCount: 10,
      })
      const bound = db
        .select()
        .from(codes)
        .where(and(eq(codes.batchId, shipment.batchId!), eq(codes.distributorId, rows[1]!.id)))
        .all()
      expect(bound.map((c) => c.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    })
  })
})
