import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../codegen/cli.ts'
import { loadConfig } from '../../src/config.ts'
import { auditLog, staff } from '../../src/db/schema.ts'
import { openRuntime } from '../../src/runtime.ts'
import { DEMO_OWNER_EMAIL, seedDemo } from '../../src/seed-demo.ts'
import { findInvite } from '../../src/staff/staff-store.ts'
import { capture } from '../support/cli-io.ts'

describe('onecode-codegen staff', () => {
  let dataDir: string
  let env: Record<string, string>

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-cli-staff-'))
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', PUBLIC_BASE_URL: 'https://oc.example.com' }
    const rt = openRuntime(loadConfig(env))
    await seedDemo(rt.db, rt.masterKey, rt.keyring, Date.now())
    const owner = rt.db.select().from(staff).where(eq(staff.email, DEMO_OWNER_EMAIL)).get()!
    rt.db
      .insert(staff)
      .values({
        brandId: owner.brandId,
        email: 'left@demo.test',
        name: 'Left',
        role: 'operator',
        passwordHash: 'scrypt$x',
        createdAt: Date.now(),
      })
      .run()
    rt.db.$client.close()
  })
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }))

  function read<T>(fn: (rt: ReturnType<typeof openRuntime>) => T): T {
    const rt = openRuntime(loadConfig(env))
    try {
      return fn(rt)
    } finally {
      rt.db.$client.close()
    }
  }
  const row = (email: string) => read((rt) => rt.db.select().from(staff).where(eq(staff.email, email)).get()!)

  it('disables and enables a staff member, signing them out and auditing both', async () => {
    const before = row('left@demo.test')
    const off = capture(env)
    expect(await main(['staff', 'disable', '--email', 'LEFT@demo.test'], off.io)).toBe(0)
    expect(off.stdout()).toContain('left@demo.test disabled')
    const disabled = row('left@demo.test')
    expect(disabled.disabledAt).not.toBeNull()
    expect(disabled.sessionVersion).toBe(before.sessionVersion + 1)

    expect(await main(['staff', 'enable', '--email', 'left@demo.test'], capture(env).io)).toBe(0)
    expect(row('left@demo.test').disabledAt).toBeNull()
    const actions = read((rt) =>
      rt.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.subjectId, String(before.id)))
        .all()
        .map((r) => [r.action, r.actorLabel.startsWith('cli:')]),
    )
    expect(actions).toEqual([
      ['staff.disable', true],
      ['staff.enable', true],
    ])
  })

  it('refuses to disable the brand’s only owner with exit status 1', async () => {
    const run = capture(env)
    expect(await main(['staff', 'disable', '--email', DEMO_OWNER_EMAIL], run.io)).toBe(1)
    expect(run.stderr()).toContain('last owner')
    expect(row(DEMO_OWNER_EMAIL).disabledAt).toBeNull()
  })

  it('prints a working one-time link that replaces a forgotten password', async () => {
    const run = capture(env)
    expect(await main(['staff', 'reset-password', '--email', DEMO_OWNER_EMAIL], run.io)).toBe(0)
    const link = run.stdout().trim().split('\n').at(-1)!
    expect(link).toMatch(/^https:\/\/oc\.example\.com\/admin\/invite\/[\w-]+$/)
    expect(row(DEMO_OWNER_EMAIL).passwordHash).toBeNull()
    const token = link.split('/').at(-1)!
    expect(read((rt) => findInvite(rt.db, token, Date.now()).kind)).toBe('valid')
  })

  it('refuses to reset a password into a localhost link when PUBLIC_BASE_URL is not set', async () => {
    const { PUBLIC_BASE_URL: _, ...unset } = env
    const run = capture(unset)
    expect(await main(['staff', 'reset-password', '--email', DEMO_OWNER_EMAIL], run.io)).toBe(2)
    expect(run.stderr()).toMatch(/PUBLIC_BASE_URL is not set/)
    expect(run.stderr().trim().split('\n')).toHaveLength(1)
    expect(run.stdout()).toBe('')
    expect(row(DEMO_OWNER_EMAIL).passwordHash).not.toBeNull()

    const local = capture(unset)
    const argv = ['staff', 'reset-password', '--email', DEMO_OWNER_EMAIL, '--allow-localhost']
    expect(await main(argv, local.io)).toBe(0)
    expect(local.stdout().trim().split('\n').at(-1)).toMatch(/^http:\/\/localhost:3000\/admin\/invite\//)
  })

  it.each([
    [['staff'], 'use "staff disable|enable|reset-password'],
    [['staff', 'disable'], '--email is required'],
    [['staff', 'disable', '--email', 'nobody@demo.test'], 'no staff member'],
    [['staff', 'disable', '--mail', 'x'], 'mail'],
  ])('answers %j with exit status 2 and a one-line reason', async (argv, reason) => {
    const run = capture(env)
    expect(await main(argv, run.io)).toBe(2)
    expect(run.stderr()).toContain(reason)
    expect(run.stderr().trim().split('\n')).toHaveLength(1)
  })
})
