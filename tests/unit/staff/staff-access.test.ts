import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { auditLog, staff } from '../../../src/db/schema.ts'
import { disableStaff, enableStaff, inviteStaff } from '../../../src/staff/staff-store.ts'
import { brandWithOwner, CLI_ACTOR as CLI } from '../../support/staff-fixture.ts'

const NOW = Date.UTC(2026, 10, 1)

describe('disabling staff keeps a brand an owner who can sign in', () => {
  it('refuses to disable the last enabled owner, even for the platform admin', () => {
    const { db, bdb, ownerId } = brandWithOwner(NOW)
    expect(disableStaff(bdb, CLI, ownerId, NOW)).toEqual({ kind: 'last-owner' })
    expect(db.select().from(staff).where(eq(staff.id, ownerId)).get()!.disabledAt).toBeNull()
    expect(db.select().from(auditLog).where(eq(auditLog.action, 'staff.disable')).all()).toHaveLength(0)
  })

  it('does not count an invited owner who never set a password', () => {
    const { bdb, ownerId } = brandWithOwner(NOW)
    const invited = inviteStaff(bdb, CLI, { email: 'new@tea.test', name: 'New', role: 'owner' }, NOW)
    expect(invited.kind).toBe('invited')
    expect(disableStaff(bdb, CLI, ownerId, NOW).kind).toBe('last-owner')
  })

  it('does not count a disabled owner', () => {
    const { db, bdb, ownerId } = brandWithOwner(NOW)
    const second = db
      .insert(staff)
      .values({
        brandId: bdb.brandId,
        email: 'second@tea.test',
        name: 'Second',
        role: 'owner',
        passwordHash: 'scrypt$y',
        createdAt: NOW,
      })
      .returning()
      .get()
    expect(disableStaff(bdb, CLI, second.id, NOW).kind).toBe('disabled')
    expect(disableStaff(bdb, CLI, ownerId, NOW).kind).toBe('last-owner')
    expect(enableStaff(bdb, CLI, second.id, NOW).kind).toBe('enabled')
    expect(disableStaff(bdb, CLI, ownerId, NOW).kind).toBe('disabled')
  })

  it('ends the sessions of the one disabled by bumping their session version', () => {
    const { db, bdb } = brandWithOwner(NOW)
    const op = db
      .insert(staff)
      .values({ brandId: bdb.brandId, email: 'op@tea.test', name: 'Op', role: 'operator', createdAt: NOW })
      .returning()
      .get()
    disableStaff(bdb, { staffId: 1, label: 'owner@tea.test' }, op.id, NOW)
    expect(db.select().from(staff).where(eq(staff.id, op.id)).get()!.sessionVersion).toBe(
      op.sessionVersion + 1,
    )
  })
})
