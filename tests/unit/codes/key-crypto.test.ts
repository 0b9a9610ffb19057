import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  loadOrCreateMasterKey,
  MASTER_KEY_BYTES,
  newSigningSecret,
  openSecret,
  sealSecret,
} from '../../../src/codes/key-crypto.ts'

describe('signing keys at rest', () => {
  const master = randomBytes(MASTER_KEY_BYTES)

  it('open back to the very secret that was sealed', () => {
    const secret = newSigningSecret()
    expect(secret).toHaveLength(32)
    const sealed = sealSecret(master, secret)
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/)
    expect(openSecret(master, sealed).equals(secret)).toBe(true)
  })

  it('never seal the same secret to the same text twice (a fresh IV each time)', () => {
    const secret = newSigningSecret()
    expect(sealSecret(master, secret)).not.toBe(sealSecret(master, secret))
  })

  it('do not show the secret in the sealed text', () => {
    const secret = newSigningSecret()
    expect(sealSecret(master, secret)).not.toContain(secret.toString('base64url'))
  })

  it('refuse to open when any part of the sealed text was altered', () => {
    const sealed = sealSecret(master, newSigningSecret())
    const parts = sealed.split('.')
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index]!, 'base64url')
      bytes[0]! ^= 1
      const tampered = parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join('.')
      expect(() => openSecret(master, tampered)).toThrow()
    }
    expect(() => openSecret(master, sealed.replace('v1', 'v2'))).toThrow()
    expect(() => openSecret(master, 'not sealed')).toThrow()
  })

  it('refuse to open under another master key', () => {
    const sealed = sealSecret(master, newSigningSecret())
    expect(() => openSecret(randomBytes(MASTER_KEY_BYTES), sealed)).toThrow(/another master key/)
  })
})

describe('the master key', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onecode-master-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('is created on first start as an owner-only file, folders included, and reused afterwards', () => {
    const keyFile = join(dir, 'nested', 'data', 'master.key')
    const first = loadOrCreateMasterKey({ keyFile })
    expect(first).toHaveLength(MASTER_KEY_BYTES)
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64').equals(first)).toBe(true)
    expect(loadOrCreateMasterKey({ keyFile }).equals(first)).toBe(true)
  })

  it('comes from the environment as base64 or hex when given, ignoring the file', () => {
    const keyFile = join(dir, 'master.key')
    const bytes = randomBytes(MASTER_KEY_BYTES)
    expect(loadOrCreateMasterKey({ envValue: bytes.toString('base64'), keyFile }).equals(bytes)).toBe(true)
    expect(loadOrCreateMasterKey({ envValue: bytes.toString('hex'), keyFile }).equals(bytes)).toBe(true)
    expect(() => statSync(keyFile)).toThrow()
  })

  it('is refused with a clear message when it is not 32 bytes', () => {
    const keyFile = join(dir, 'master.key')
    expect(() => loadOrCreateMasterKey({ envValue: randomBytes(16).toString('base64'), keyFile })).toThrow(
      /32 bytes.*decodes to 16 bytes/,
    )
    expect(() => loadOrCreateMasterKey({ envValue: 'not a key!', keyFile })).toThrow(/neither base64 nor hex/)
    writeFileSync(keyFile, 'c2hvcnQ=')
    expect(() => loadOrCreateMasterKey({ keyFile })).toThrow(/master key file/)
  })
})
