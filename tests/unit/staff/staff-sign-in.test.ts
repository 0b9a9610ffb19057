import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { staff } from '../../../src/db/schema.ts'
import { hashPassword } from '../../../src/staff/password.ts'
import { LOCKOUT_MS, MAX_FAILED_SIGN_INS, signIn } from '../../../src/staff/staff-store.ts'
import { brandWithOwner } from '../../support/staff-fixture.ts'

const NOW = Date.UTC(2026, 10, 1)
const EMAIL = 'owner@tea.test'
const PASSWORD = 'correct horse battery staple'

async function ownerWithPassword() {
  const { db, ownerId } = brandWithOwner(NOW, await hashPassword(PASSWORD))
  return { db, ownerId }
}

describe('the account lock at sign-in', () => {
  it('checks at most five wrong passwords sent at the same time, then the account is locked', async () => {
    const { db } = await ownerWithPassword()
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signIn(db, { email: EMAIL, password: `wrong ${i}` }, NOW)),
    )
    expect(outcomes.filter((o) => o.kind === 'invalid').length).toBeLessThan(MAX_FAILED_SIGN_INS)
    expect(outcomes.every((o) => o.kind === 'invalid' || o.kind === 'locked')).toBe(true)
    expect((await signIn(db, { email: EMAIL, password: PASSWORD }, NOW)).kind).toBe('locked')
    expect((await signIn(db, { email: EMAIL, password: PASSWORD }, NOW + LOCKOUT_MS)).kind).toBe('signed-in')
  })

  it('forgets the counted attempts after the right password', async () => {
    const { db, ownerId } = await ownerWithPassword()
    for (let i = 1; i < MAX_FAILED_SIGN_INS; i++) {
      expect((await signIn(db, { email: EMAIL, password: `wrong ${i}` }, NOW)).kind).toBe('invalid')
    }
    expect((await signIn(db, { email: EMAIL, password: PASSWORD }, NOW)).kind).toBe('signed-in')
    expect(db.select().from(staff).where(eq(staff.id, ownerId)).get()!.failedLogins).toBe(0)
    expect((await signIn(db, { email: EMAIL, password: 'wrong again' }, NOW)).kind).toBe('invalid')
  })
})
