import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { sessionTokens } from '../../src/session-token.ts'

const NOW = Date.UTC(2026, 11, 3, 9, 0, 0)
const HOUR_MS = 3_600_000
const keyOf = (fill: number) => new Uint8Array(32).fill(fill)

/** A member token as the app signs one, for claims the app itself never sets (nbf, no exp). */
const memberJwt = () =>
  new SignJWT({ brand: 7 })
    .setProtectedHeader({ alg: 'HS256', typ: 'oc-member+jwt' })
    .setSubject('42')
    .setIssuer('onecode')
    .setAudience('onecode-member')

/** A fresh kind of session per test: each keeps its own verified tokens. */
const memberTokens = () => sessionTokens({ audience: 'onecode-member', typ: 'oc-member+jwt', ttlS: 3_600 })

describe('session tokens read twice', () => {
  it('answer a token shown again from what was verified, and only until it expires', async () => {
    const tokens = memberTokens()
    const key = keyOf(1)
    const jwt = await tokens.issue(key, '42', { brand: 7 }, NOW)
    const first = await tokens.read(key, jwt, NOW)
    expect(first).toMatchObject({ sub: '42', brand: 7 })
    // jose builds a new payload on every verification: the same object means it was not run again.
    expect(await tokens.read(key, jwt, NOW + 1_000)).toBe(first)
    expect(await tokens.read(key, jwt, NOW + HOUR_MS - 1_000)).toBe(first)
    expect(await tokens.read(key, jwt, NOW + HOUR_MS)).toBeUndefined()
    // Forgotten once expired: an earlier clock (a test's, a corrected one) verifies it afresh.
    const again = await tokens.read(key, jwt, NOW)
    expect(again).toMatchObject({ sub: '42' })
    expect(again).not.toBe(first)
  })

  it('never accept a token under another key, even once it was verified under its own', async () => {
    const tokens = memberTokens()
    const jwt = await tokens.issue(keyOf(1), '42', { brand: 7 }, NOW)
    expect(await tokens.read(keyOf(1), jwt, NOW)).toBeDefined()
    expect(await tokens.read(keyOf(2), jwt, NOW)).toBeUndefined()
    // Another copy of the same key's bytes (each route derives its own) shares what was verified.
    const first = await tokens.read(keyOf(1), jwt, NOW)
    expect(await tokens.read(keyOf(1), jwt, NOW)).toBe(first)
  })

  it('never accept a tampered copy of a verified token', async () => {
    const tokens = memberTokens()
    const key = keyOf(1)
    const jwt = await tokens.issue(key, '42', { brand: 7 }, NOW)
    expect(await tokens.read(key, jwt, NOW)).toBeDefined()
    const [header, payload, signature] = jwt.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: '43' })).toString('base64url')
    expect(await tokens.read(key, `${header}.${forged}.${signature}`, NOW)).toBeUndefined()
    expect(await tokens.read(key, `${jwt}x`, NOW)).toBeUndefined()
  })

  it('keep each kind of session apart: a member token verified once is still no staff token', async () => {
    const members = memberTokens()
    const staff = sessionTokens({ audience: 'onecode-admin', typ: 'oc-staff+jwt', ttlS: 3_600 })
    const key = keyOf(1)
    const jwt = await members.issue(key, '42', { brand: 7 }, NOW)
    expect(await members.read(key, jwt, NOW)).toBeDefined()
    expect(await staff.read(key, jwt, NOW)).toBeUndefined()
  })

  it('verify a token with a not-before time every time: an earlier clock refuses it', async () => {
    const tokens = memberTokens()
    const key = keyOf(1)
    const notBefore = await memberJwt()
      .setNotBefore(Math.floor(NOW / 1000))
      .setExpirationTime(Math.floor(NOW / 1000) + 3_600)
      .sign(key)
    expect(await tokens.read(key, notBefore, NOW)).toMatchObject({ sub: '42' })
    expect(await tokens.read(key, notBefore, NOW - 60_000)).toBeUndefined()
  })

  it('verify a token without an expiry every time', async () => {
    const tokens = memberTokens()
    const key = keyOf(1)
    const noExpiry = await memberJwt().sign(key)
    const first = await tokens.read(key, noExpiry, NOW)
    expect(first).toMatchObject({ sub: '42' })
    expect(await tokens.read(key, noExpiry, NOW)).not.toBe(first)
  })
})
