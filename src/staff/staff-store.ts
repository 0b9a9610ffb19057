import { createHash, randomBytes } from 'node:crypto'
import { and, asc, eq, isNull, ne, sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { Db, DbLike } from '../db/index.ts'
import { type Actor, recordAudit } from './audit-store.ts'
import { DUMMY_PASSWORD_HASH, verifyPassword } from './password.ts'
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
  if (row.lockedUntil !== null && row.lockedUntil > now) {
    await verifyPassword(input.password, DUMMY_PASSWORD_HASH)
    return { kind: 'locked', until: row.lockedUntil }
  }
  if (!(await verifyPassword(input.password, row.passwordHash))) {
    const failures = row.failedLogins + 1
    const lockedUntil = failures >= MAX_FAILED_SIGN_INS ? now + LOCKOUT_MS : null
    db.update(staff)
      .set({ failedLogins: lockedUntil ? 0 : failures, lockedUntil })
      .where(eq(staff.id, row.id))
      .run()
    return lockedUntil ? { kind: 'locked', until: lockedUntil } : { kind: 'invalid' }
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
    tx.insert(staffInvites)
      .values({
        brandId: bdb.brandId,
        staffId: created.id,
        tokenHash: hashToken(token),
        expiresAt: now + INVITE_TTL_MS,
        createdAt: now,
      })
      .run()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'staff.invite',
      subjectType: 'staff',
      subjectId: created.id,
      detail: { email, role: input.role },
    })
    return { kind: 'invited' as const, staffId: created.id, token }
  })
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

/** Sets the password of an invited account; the link works once. */
export function acceptInvite(
  db: Db,
  inviteId: number,
  staffId: number,
  passwordHash: string,
  now: number,
): boolean {
  return db.transaction((tx) => {
    const used = tx
      .update(staffInvites)
      .set({ usedAt: now })
      .where(and(eq(staffInvites.id, inviteId), isNull(staffInvites.usedAt)))
      .run()
    if (used.changes !== 1) return false
    tx.update(staff).set({ passwordHash }).where(eq(staff.id, staffId)).run()
    return true
  })
}

export type RoleChangeOutcome = { kind: 'changed' } | { kind: 'not-found' } | { kind: 'last-owner' }

/** Changes a role; a brand always keeps at least one active owner. */
export function changeRole(
  bdb: BrandDb,
  actor: Actor,
  staffId: number,
  role: StaffRole,
  now: number,
): RoleChangeOutcome {
  return bdb.db.transaction((tx) => {
    const row = tx
      .select()
      .from(staff)
      .where(bdb.scoped(staff, eq(staff.id, staffId)))
      .get()
    if (!row) return { kind: 'not-found' as const }
    if (row.role === 'owner' && role !== 'owner' && countOtherOwners(tx, bdb, staffId) === 0) {
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

function countOtherOwners(db: DbLike, bdb: BrandDb, staffId: number): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(staff)
    .where(bdb.scoped(staff, eq(staff.role, 'owner'), ne(staff.id, staffId), isNull(staff.disabledAt)))
    .get()!.n
}
