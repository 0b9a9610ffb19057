import { createHash, randomBytes } from 'node:crypto'
import { and, asc, eq, gt, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { Db, DbLike } from '../db/index.ts'
import { type Actor, recordAudit } from './audit-store.ts'
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.ts'
import { type StaffRole, staff, staffInvites } from './staff-schema.ts'

export const MAX_FAILED_SIGN_INS = 5
export const LOCKOUT_MS = 15 * 60_000
export const INVITE_TTL_MS = 7 * 24 * 3_600_000

export type StaffRow = typeof staff.$inferSelect

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

export type SignInOutcome =
  | { kind: 'signed-in'; staff: StaffRow }
  | { kind: 'invalid' }
  | { kind: 'locked'; until: number }

/**
 * Checks an email and password. Five wrong passwords lock the account for 15 minutes; an unknown
 * email costs the same scrypt work as a known one, so timing does not reveal who has an account.
 * Each attempt is counted before the ~100 ms of scrypt, not after: requests sent together would
 * otherwise all read the same count and all be checked, whatever the limit.
 */
export async function signIn(
  db: Db,
  input: { email: string; password: string },
  now: number,
): Promise<SignInOutcome> {
  const row = db
    .select()
    .from(staff)
    .where(eq(staff.email, normalizeEmail(input.email)))
    .get()
  if (!row || row.disabledAt !== null || row.passwordHash === null) {
    await verifyPassword(input.password, DUMMY_PASSWORD_HASH)
    return { kind: 'invalid' }
  }
  const attempt = db
    .update(staff)
    .set({ failedLogins: sql`${staff.failedLogins} + 1` })
    .where(and(eq(staff.id, row.id), or(isNull(staff.lockedUntil), lte(staff.lockedUntil, now))))
    .returning({ failedLogins: staff.failedLogins })
    .get()
  if (!attempt || attempt.failedLogins > MAX_FAILED_SIGN_INS) {
    // Locked, or the attempts in flight already use up the limit.
    await verifyPassword(input.password, DUMMY_PASSWORD_HASH)
    const lockedUntil = findStaff(db, row.id)?.lockedUntil ?? null
    return {
      kind: 'locked',
      until: lockedUntil !== null && lockedUntil > now ? lockedUntil : now + LOCKOUT_MS,
    }
  }
  if (!(await verifyPassword(input.password, row.passwordHash))) {
    if (attempt.failedLogins < MAX_FAILED_SIGN_INS) return { kind: 'invalid' }
    const lockedUntil = now + LOCKOUT_MS
    db.update(staff).set({ failedLogins: 0, lockedUntil }).where(eq(staff.id, row.id)).run()
    return { kind: 'locked', until: lockedUntil }
  }
  db.update(staff).set({ failedLogins: 0, lockedUntil: null }).where(eq(staff.id, row.id)).run()
  return { kind: 'signed-in', staff: { ...row, failedLogins: 0, lockedUntil: null } }
}

export function findStaff(db: Db, staffId: number): StaffRow | undefined {
  return db.select().from(staff).where(eq(staff.id, staffId)).get()
}

/** Ends every session of a staff member (sign-out, role change, disabling). */
export function bumpSessionVersion(db: Db, staffId: number): void {
  db.update(staff)
    .set({ sessionVersion: sql`${staff.sessionVersion} + 1` })
    .where(eq(staff.id, staffId))
    .run()
}

export function listStaff(bdb: BrandDb): StaffRow[] {
  return bdb.db.select().from(staff).where(bdb.scoped(staff)).orderBy(asc(staff.email)).all()
}

export type StaffStatus = 'active' | 'disabled' | 'invited' | 'invite-lapsed'

export type StaffListing = StaffRow & { status: StaffStatus; inviteExpiresAt: number | null }

/**
 * The brand's staff with what an owner needs to act on each: disabled, active (password set),
 * invited (an open link) or invite-lapsed (every link expired or was revoked).
 */
export function listStaffWithStatus(bdb: BrandDb, now: number): StaffListing[] {
  const open = new Map(
    bdb.db
      .select({ staffId: staffInvites.staffId, expiresAt: sql<number>`max(${staffInvites.expiresAt})` })
      .from(staffInvites)
      .where(bdb.scoped(staffInvites, isNull(staffInvites.usedAt), gt(staffInvites.expiresAt, now)))
      .groupBy(staffInvites.staffId)
      .all()
      .map((r) => [r.staffId, r.expiresAt]),
  )
  return listStaff(bdb).map((row) => {
    const inviteExpiresAt = open.get(row.id) ?? null
    const status: StaffStatus =
      row.disabledAt !== null
        ? 'disabled'
        : row.passwordHash !== null
          ? 'active'
          : inviteExpiresAt !== null
            ? 'invited'
            : 'invite-lapsed'
    return { ...row, status, inviteExpiresAt }
  })
}

export type InviteOutcome = { kind: 'invited'; staffId: number; token: string } | { kind: 'email-taken' }

/** Creates a staff account without a password and a one-time link (7 days) to set one. */
export function inviteStaff(
  bdb: BrandDb,
  actor: Actor,
  input: { email: string; name: string; role: StaffRole },
  now: number,
): InviteOutcome {
  const email = normalizeEmail(input.email)
  const token = randomBytes(24).toString('base64url')
  return bdb.db.transaction((tx) => {
    const taken = tx.select({ id: staff.id }).from(staff).where(eq(staff.email, email)).get()
    if (taken) return { kind: 'email-taken' as const }
    const created = tx
      .insert(staff)
      .values({ brandId: bdb.brandId, email, name: input.name, role: input.role, createdAt: now })
      .returning({ id: staff.id })
      .get()
    insertInvite(tx, bdb.brandId, created.id, token, now)
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'staff.invite',
      subjectType: 'staff',
      subjectId: created.id,
      detail: { email, role: input.role },
    })
    return { kind: 'invited' as const, staffId: created.id, token }
  })
}

function insertInvite(tx: DbLike, brandId: number, staffId: number, token: string, now: number): void {
  tx.insert(staffInvites)
    .values({ brandId, staffId, tokenHash: hashToken(token), expiresAt: now + INVITE_TTL_MS, createdAt: now })
    .run()
}

/** Ends every open invitation link of a staff member (revoking sets the expiry to now); returns how many. */
function expireOpenInvites(tx: DbLike, staffId: number, now: number): number {
  return tx
    .update(staffInvites)
    .set({ expiresAt: now })
    .where(
      and(eq(staffInvites.staffId, staffId), isNull(staffInvites.usedAt), gt(staffInvites.expiresAt, now)),
    )
    .run().changes
}

export type InviteLookup = { kind: 'valid'; staff: StaffRow; inviteId: number } | { kind: 'invalid' }

export function findInvite(db: Db, token: string, now: number): InviteLookup {
  const invite = db
    .select()
    .from(staffInvites)
    .where(and(eq(staffInvites.tokenHash, hashToken(token)), isNull(staffInvites.usedAt)))
    .get()
  if (!invite || invite.expiresAt <= now) return { kind: 'invalid' }
  const row = findStaff(db, invite.staffId)
  if (!row || row.disabledAt !== null) return { kind: 'invalid' }
  return { kind: 'valid', staff: row, inviteId: invite.id }
}

/**
 * Sets the password of an invited account; the link works once. The route looked the link up
 * before ~100 ms of hashing, so the link is checked again here: a revocation, a newer link or a
 * disabling that landed meanwhile wins.
 */
export function acceptInvite(
  db: Db,
  inviteId: number,
  staffId: number,
  passwordHash: string,
  now: number,
): boolean {
  return db.transaction((tx) => {
    const row = tx.select({ disabledAt: staff.disabledAt }).from(staff).where(eq(staff.id, staffId)).get()
    if (!row || row.disabledAt !== null) return false
    const used = tx
      .update(staffInvites)
      .set({ usedAt: now })
      .where(
        and(
          eq(staffInvites.id, inviteId),
          eq(staffInvites.staffId, staffId),
          isNull(staffInvites.usedAt),
          gt(staffInvites.expiresAt, now),
        ),
      )
      .run()
    if (used.changes !== 1) return false
    tx.update(staff).set({ passwordHash }).where(eq(staff.id, staffId)).run()
    return true
  })
}

export type RoleChangeOutcome = { kind: 'changed' } | { kind: 'not-found' } | { kind: 'last-owner' }

/** Changes a role; a brand always keeps an owner who can sign in (enabled, with a password). */
export function changeRole(
  bdb: BrandDb,
  actor: Actor,
  staffId: number,
  role: StaffRole,
  now: number,
): RoleChangeOutcome {
  return bdb.db.transaction((tx) => {
    const row = findBrandStaff(bdb, staffId, tx)
    if (!row) return { kind: 'not-found' as const }
    if (row.role === 'owner' && role !== 'owner' && countOtherActiveOwners(tx, bdb, staffId) === 0) {
      return { kind: 'last-owner' as const }
    }
    tx.update(staff)
      .set({ role, sessionVersion: sql`${staff.sessionVersion} + 1` })
      .where(eq(staff.id, staffId))
      .run()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'staff.role',
      subjectType: 'staff',
      subjectId: staffId,
      detail: { email: row.email, from: row.role, to: role },
    })
    return { kind: 'changed' as const }
  })
}

/** Other owners who can still sign in: enabled and with a password set. */
function countOtherActiveOwners(db: DbLike, bdb: BrandDb, staffId: number): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(staff)
    .where(
      bdb.scoped(
        staff,
        eq(staff.role, 'owner'),
        ne(staff.id, staffId),
        isNull(staff.disabledAt),
        isNotNull(staff.passwordHash),
      ),
    )
    .get()!.n
}

/** A staff member of this brand only: another brand's ids are not found. */
export function findBrandStaff(bdb: BrandDb, staffId: number, db: DbLike = bdb.db): StaffRow | undefined {
  return db
    .select()
    .from(staff)
    .where(bdb.scoped(staff, eq(staff.id, staffId)))
    .get()
}

export type DisableOutcome =
  | { kind: 'disabled'; staff: StaffRow }
  | { kind: 'already-disabled' }
  | { kind: 'not-found' }
  | { kind: 'self' }
  | { kind: 'last-owner' }

/**
 * Disables a staff member of the brand: their sessions end at once (session version bumped) and
 * sign-in refuses them. Nobody disables themselves, and a brand keeps an owner who can sign in.
 */
export function disableStaff(bdb: BrandDb, actor: Actor, staffId: number, now: number): DisableOutcome {
  return bdb.db.transaction((tx) => {
    const row = findBrandStaff(bdb, staffId, tx)
    if (!row) return { kind: 'not-found' as const }
    if (row.id === actor.staffId) return { kind: 'self' as const }
    if (row.disabledAt !== null) return { kind: 'already-disabled' as const }
    if (row.role === 'owner' && countOtherActiveOwners(tx, bdb, staffId) === 0) {
      return { kind: 'last-owner' as const }
    }
    tx.update(staff)
      .set({ disabledAt: now, sessionVersion: sql`${staff.sessionVersion} + 1` })
      .where(eq(staff.id, staffId))
      .run()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'staff.disable',
      subjectType: 'staff',
      subjectId: staffId,
      detail: { email: row.email, role: row.role },
    })
    return { kind: 'disabled' as const, staff: row }
  })
}

export type EnableOutcome = { kind: 'enabled' } | { kind: 'not-disabled' } | { kind: 'not-found' }

/** Lets a disabled staff member sign in again, with a clean slate of failed sign-ins. */
export function enableStaff(bdb: BrandDb, actor: Actor, staffId: number, now: number): EnableOutcome {
  return bdb.db.transaction((tx) => {
    const row = findBrandStaff(bdb, staffId, tx)
    if (!row) return { kind: 'not-found' as const }
    if (row.disabledAt === null) return { kind: 'not-disabled' as const }
    tx.update(staff)
      .set({ disabledAt: null, failedLogins: 0, lockedUntil: null })
      .where(eq(staff.id, staffId))
      .run()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'staff.enable',
      subjectType: 'staff',
      subjectId: staffId,
      detail: { email: row.email, disabledAt: row.disabledAt },
    })
    return { kind: 'enabled' as const }
  })
}

export type RevokeInviteOutcome =
  | { kind: 'revoked' }
  | { kind: 'nothing-open' }
  | { kind: 'not-pending' }
  | { kind: 'not-found' }

/** Ends the open invitation links of someone who has not set a password yet. */
export function revokeInvite(bdb: BrandDb, actor: Actor, staffId: number, now: number): RevokeInviteOutcome {
  return bdb.db.transaction((tx) => {
    const row = findBrandStaff(bdb, staffId, tx)
    if (!row) return { kind: 'not-found' as const }
    if (row.passwordHash !== null) return { kind: 'not-pending' as const }
    const revoked = expireOpenInvites(tx, staffId, now)
    if (revoked === 0) return { kind: 'nothing-open' as const }
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'staff.invite.revoke',
      subjectType: 'staff',
      subjectId: staffId,
      detail: { email: row.email, links: revoked },
    })
    return { kind: 'revoked' as const }
  })
}

export type ReissueOutcome =
  | { kind: 'issued'; token: string; reset: boolean; email: string }
  | { kind: 'disabled' }
  | { kind: 'self' }
  | { kind: 'not-found' }
  | { kind: 'reset-not-confirmed' }

/**
 * Issues a new one-time link (7 days) to set a password, ending every older link. For someone who
 * already has a password this is a reset (only with `allowReset`): the password stops working and
 * their sessions end, so a stolen password is worthless from this moment ('staff.password.reset').
 */
export function reissueInvite(
  bdb: BrandDb,
  actor: Actor,
  input: { staffId: number; allowReset: boolean },
  now: number,
): ReissueOutcome {
  const { staffId } = input
  const token = randomBytes(24).toString('base64url')
  return bdb.db.transaction((tx) => {
    const row = findBrandStaff(bdb, staffId, tx)
    if (!row) return { kind: 'not-found' as const }
    // Owners change their own password at /admin/account, with the current one.
    if (row.id === actor.staffId) return { kind: 'self' as const }
    if (row.disabledAt !== null) return { kind: 'disabled' as const }
    const reset = row.passwordHash !== null
    if (reset && !input.allowReset) return { kind: 'reset-not-confirmed' as const }
    expireOpenInvites(tx, staffId, now)
    if (reset) {
      tx.update(staff)
        .set({
          passwordHash: null,
          failedLogins: 0,
          lockedUntil: null,
          sessionVersion: sql`${staff.sessionVersion} + 1`,
        })
        .where(eq(staff.id, staffId))
        .run()
    }
    insertInvite(tx, bdb.brandId, staffId, token, now)
    recordAudit(tx, bdb.brandId, actor, now, {
      action: reset ? 'staff.password.reset' : 'staff.invite.reissue',
      subjectType: 'staff',
      subjectId: staffId,
      detail: { email: row.email },
    })
    return { kind: 'issued' as const, token, reset, email: row.email }
  })
}

export type PasswordChangeOutcome =
  | { kind: 'changed'; sessionVersion: number }
  | { kind: 'wrong-current' }
  | { kind: 'same-as-current' }
  | { kind: 'stale' }

/**
 * Changes a staff member's own password after checking the current one. Every session of theirs
 * ends (session version bumped); the caller re-issues the session of the request it answers.
 * The write only lands if the password is still the one just checked, so two changes at once
 * cannot both win.
 */
export async function changeOwnPassword(
  db: Db,
  staffId: number,
  input: { current: string; password: string },
  now: number,
): Promise<PasswordChangeOutcome> {
  const row = findStaff(db, staffId)
  if (!row || row.disabledAt !== null || row.passwordHash === null) return { kind: 'stale' }
  if (!(await verifyPassword(input.current, row.passwordHash))) return { kind: 'wrong-current' }
  if (input.password === input.current) return { kind: 'same-as-current' }
  const oldHash = row.passwordHash
  const newHash = await hashPassword(input.password)
  return db.transaction((tx) => {
    const updated = tx
      .update(staff)
      .set({ passwordHash: newHash, sessionVersion: sql`${staff.sessionVersion} + 1` })
      .where(and(eq(staff.id, staffId), eq(staff.passwordHash, oldHash), isNull(staff.disabledAt)))
      .returning({ sessionVersion: staff.sessionVersion })
      .get()
    if (!updated) return { kind: 'stale' as const }
    recordAudit(tx, row.brandId, { staffId, label: row.email }, now, {
      action: 'staff.password',
      subjectType: 'staff',
      subjectId: staffId,
    })
    return { kind: 'changed' as const, sessionVersion: updated.sessionVersion }
  })
}
