import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { staff } from '../../../src/db/schema.ts'
import {
  acceptInvite,
  disableStaff,
  findInvite,
  INVITE_TTL_MS,
  inviteStaff,
  reissueInvite,
  revokeInvite,
} from '../../../src/staff/staff-store.ts'
import { brandWithOwner, CLI_ACTOR as CLI } from '../../support/staff-fixture.ts'

const NOW = Date.UTC(2026, 10, 1)
const NEW_HASH = 'scrypt$new'

/** A brand with an invited analyst, and the link's lookup as the route makes it before hashing. */
function invitedAnalyst() {
  const { db, bdb } = brandWithOwner(NOW)
  const invited = inviteStaff(bdb, CLI, { email: 'new@tea.test', name: 'New', role: 'analyst' }, NOW)
  if (invited.kind !== 'invited') throw new Error(invited.kind)
  const lookup = findInvite(db, invited.token, NOW + 1)
  if (lookup.kind !== 'valid') throw new Error(lookup.kind)
  const passwordHash = () => db.select().from(staff).where(eq(staff.id, invited.staffId)).get()!.passwordHash
  return { db, bdb, staffId: invited.staffId, inviteId: lookup.inviteId, passwordHash }
}

describe('accepting an invitation checks the link again when it sets the password', () => {
  it('sets the password once from a valid link', () => {
    const { db, staffId, inviteId, passwordHash } = invitedAnalyst()
    expect(acceptInvite(db, inviteId, staffId, NEW_HASH, NOW + 2)).toBe(true)
    expect(passwordHash()).toBe(NEW_HASH)
    expect(acceptInvite(db, inviteId, staffId, 'scrypt$again', NOW + 3)).toBe(false)
    expect(passwordHash()).toBe(NEW_HASH)
  })

  it('refuses a link revoked while the password was being hashed', () => {
    const { db, bdb, staffId, inviteId, passwordHash } = invitedAnalyst()
    expect(revokeInvite(bdb, CLI, staffId, NOW + 2).kind).toBe('revoked')
    expect(acceptInvite(db, inviteId, staffId, NEW_HASH, NOW + 3)).toBe(false)
    expect(passwordHash()).toBeNull()
  })

  it('refuses a link replaced by a newer one while the password was being hashed', () => {
    const { db, bdb, staffId, inviteId, passwordHash } = invitedAnalyst()
    expect(reissueInvite(bdb, CLI, { staffId, allowReset: false }, NOW + 2).kind).toBe('issued')
    expect(acceptInvite(db, inviteId, staffId, NEW_HASH, NOW + 3)).toBe(false)
    expect(passwordHash()).toBeNull()
  })

  it('refuses a link that expired while the password was being hashed', () => {
    const { db, staffId, inviteId, passwordHash } = invitedAnalyst()
    expect(acceptInvite(db, inviteId, staffId, NEW_HASH, NOW + INVITE_TTL_MS)).toBe(false)
    expect(passwordHash()).toBeNull()
  })

  it('refuses a link of someone disabled while the password was being hashed', () => {
    const { db, bdb, staffId, inviteId, passwordHash } = invitedAnalyst()
    expect(disableStaff(bdb, CLI, staffId, NOW + 2).kind).toBe('disabled')
    expect(acceptInvite(db, inviteId, staffId, NEW_HASH, NOW + 3)).toBe(false)
    expect(passwordHash()).toBeNull()
  })
})
