import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import { and, desc, eq, gt, isNull, type SQL, sql } from 'drizzle-orm'
import type { Db, DbLike } from '../db/index.ts'
import { type Identity, identifierOf } from './member-identity.ts'
import { identityColumns, type MemberPii } from './member-pii.ts'
import { memberConsents, members, otpChallenges } from './member-schema.ts'

export const OTP_TTL_MS = 10 * 60_000
export const OTP_MAX_ATTEMPTS = 5
export const OTP_RESEND_AFTER_MS = 60_000
export const OTP_MAX_SENDS_PER_HOUR = 5
export const TERMS_VERSION = '2026-11'
export const PRIVACY_VERSION = '2026-11'

export type Member = typeof members.$inferSelect

/**
 * The condition that finds a brand's member by a normalised phone or email: an equality on the
 * keyed hash (the only searchable form of the contact at rest), so the lookup uses the unique index
 * and the database never holds the value it is asked for. Erased and merged members have no hash.
 *
 * @example
 * db.select().from(members).where(identityCondition(pii, brandId, { channel: 'sms', phone: '+8613800138000' }))
 */
export function identityCondition(pii: MemberPii, brandId: number, identity: Identity): SQL {
  const hashed =
    identity.channel === 'sms'
      ? eq(members.phoneHash, pii.lookupHash(brandId, identity.phone))
      : eq(members.emailHash, pii.lookupHash(brandId, identity.email))
  return and(eq(members.brandId, brandId), hashed) as SQL
}

export function findMemberByIdentity(
  db: DbLike,
  pii: MemberPii,
  brandId: number,
  identity: Identity,
): Member | undefined {
  return db
    .select()
    .from(members)
    .where(and(identityCondition(pii, brandId, identity), isNull(members.deletedAt)))
    .get()
}

export function findMember(db: Db, brandId: number, memberId: number): Member | undefined {
  let query = findMemberQueries.get(db)
  if (!query) {
    query = prepareFindMember(db)
    findMemberQueries.set(db, query)
  }
  return query.get({ memberId, brandId })
}

// Every signed-in request reads its member: the query is built and prepared once per database.
function prepareFindMember(db: Db) {
  return db
    .select()
    .from(members)
    .where(
      and(
        eq(members.id, sql.placeholder('memberId')),
        eq(members.brandId, sql.placeholder('brandId')),
        isNull(members.deletedAt),
      ),
    )
    .prepare()
}
const findMemberQueries = new WeakMap<Db, ReturnType<typeof prepareFindMember>>()

function hashCode(key: Uint8Array, challengeScope: string, code: string): string {
  return createHmac('sha256', key).update(`${challengeScope}:${code}`).digest('base64url')
}

export type StartOutcome =
  | { kind: 'sent'; code: string; challengeId: number; isNewMember: boolean }
  | { kind: 'wait'; retryAfterS: number }

/** The keys sign-in works with: the one-time codes' HMAC key and the members' contact keys. */
export type SignInKeys = { otpKey: Uint8Array; pii: MemberPii }

/**
 * A challenge names its phone or email by the member lookup hash, never in plain text: the table
 * outlives the ten minutes a code is valid, and an erasure deletes challenges by this hash.
 */
function challengeIdentifier(pii: MemberPii, brandId: number, identity: Identity): string {
  return pii.lookupHash(brandId, identifierOf(identity))
}

/**
 * Starts a sign-in: makes a 6-digit code (10 minutes, single use), storing only its keyed hash.
 * A new code for the same number is allowed once a minute and five times an hour.
 */
export function startSignIn(
  db: Db,
  keys: SignInKeys,
  brandId: number,
  identity: Identity,
  now: number,
): StartOutcome {
  const identifier = challengeIdentifier(keys.pii, brandId, identity)
  const recent = db
    .select({ createdAt: otpChallenges.createdAt })
    .from(otpChallenges)
    .where(
      and(
        eq(otpChallenges.brandId, brandId),
        eq(otpChallenges.identifier, identifier),
        gt(otpChallenges.createdAt, now - 3_600_000),
      ),
    )
    .orderBy(desc(otpChallenges.createdAt))
    .all()
  const last = recent[0]
  if (last && last.createdAt > now - OTP_RESEND_AFTER_MS) {
    return { kind: 'wait', retryAfterS: Math.ceil((last.createdAt + OTP_RESEND_AFTER_MS - now) / 1000) }
  }
  if (recent.length >= OTP_MAX_SENDS_PER_HOUR) {
    const oldest = recent[recent.length - 1]!
    return { kind: 'wait', retryAfterS: Math.ceil((oldest.createdAt + 3_600_000 - now) / 1000) }
  }
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
  const row = db
    .insert(otpChallenges)
    .values({
      brandId,
      channel: identity.channel,
      identifier,
      codeHash: hashCode(keys.otpKey, `${brandId}:${identifier}`, code),
      expiresAt: now + OTP_TTL_MS,
      createdAt: now,
    })
    .returning({ id: otpChallenges.id })
    .get()
  return {
    kind: 'sent',
    code,
    challengeId: row.id,
    isNewMember: !findMemberByIdentity(db, keys.pii, brandId, identity),
  }
}

export type VerifyOutcome =
  | { kind: 'signed-in'; member: Member; created: boolean }
  | { kind: 'wrong-code'; attemptsLeft: number; isNewMember: boolean }
  | { kind: 'expired' }
  | { kind: 'terms-required' }

/**
 * Checks a code against the newest open challenge of this identity. Five wrong tries use the
 * challenge up (a new code is needed); a right code works once. A new member must accept the terms
 * and the privacy notice, recorded with their versions (the versions /me/{brand}/terms and
 * /me/{brand}/privacy show).
 */
export function verifySignIn(
  db: Db,
  keys: SignInKeys,
  brandId: number,
  identity: Identity,
  input: { code: string; acceptTerms: boolean },
  now: number,
): VerifyOutcome {
  const identifier = challengeIdentifier(keys.pii, brandId, identity)
  return db.transaction((tx): VerifyOutcome => {
    const challenge = tx
      .select()
      .from(otpChallenges)
      .where(
        and(
          eq(otpChallenges.brandId, brandId),
          eq(otpChallenges.identifier, identifier),
          isNull(otpChallenges.usedAt),
        ),
      )
      .orderBy(desc(otpChallenges.id))
      .limit(1)
      .get()
    if (!challenge || challenge.expiresAt <= now || challenge.attempts >= OTP_MAX_ATTEMPTS)
      return { kind: 'expired' }
    const expected = Buffer.from(challenge.codeHash)
    const given = Buffer.from(hashCode(keys.otpKey, `${brandId}:${identifier}`, input.code.trim()))
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      tx.update(otpChallenges)
        .set({ attempts: sql`${otpChallenges.attempts} + 1` })
        .where(eq(otpChallenges.id, challenge.id))
        .run()
      const left = OTP_MAX_ATTEMPTS - challenge.attempts - 1
      if (left <= 0) return { kind: 'expired' }
      // The next try still needs the terms box if this is someone new (start told them so already).
      const isNewMember = !findMemberByIdentity(tx, keys.pii, brandId, identity)
      return { kind: 'wrong-code', attemptsLeft: left, isNewMember }
    }
    const existing = findMemberByIdentity(tx, keys.pii, brandId, identity)
    if (!existing && !input.acceptTerms) return { kind: 'terms-required' }
    tx.update(otpChallenges).set({ usedAt: now }).where(eq(otpChallenges.id, challenge.id)).run()
    if (existing) return { kind: 'signed-in', member: existing, created: false }
    const member = tx
      .insert(members)
      // Sealed value, keyed hash and hint only: the plain-text columns stay empty.
      .values({ brandId, ...identityColumns(keys.pii, brandId, identity), createdAt: now })
      .returning()
      .get()
    tx.insert(memberConsents)
      .values([
        { brandId, memberId: member.id, kind: 'terms', version: TERMS_VERSION, granted: true, at: now },
        { brandId, memberId: member.id, kind: 'privacy', version: PRIVACY_VERSION, granted: true, at: now },
      ])
      .run()
    return { kind: 'signed-in', member, created: true }
  })
}
