import { and, eq, isNotNull, like, ne, or } from 'drizzle-orm'
import type { Db, DbLike } from '../db/index.ts'
import { maskIdentifier, parseIdentity } from './member-identity.ts'
import type { MemberPii } from './member-pii.ts'
import { members, otpChallenges } from './member-schema.ts'

/** Rows per transaction: each chunk commits on its own, so a crash resumes where it stopped. */
export const BACKFILL_CHUNK = 500

export type BackfillOutcome = {
  /** Member rows whose plain phone or email was sealed, hashed and cleared. */
  members: number
  /**
   * Rows whose contact, once normalised, is already another member's: sealed and cleared but left
   * without a lookup hash (the unique index allows one member per contact), so an owner can merge
   * them by id. Sign-in finds the first member.
   */
  duplicates: number[]
  /** Open sign-in challenges whose plain identifier was replaced by its keyed hash. */
  challenges: number
}

/**
 * Moves the contacts of a database written before issue 7 to the encrypted columns: every member
 * row with a plain phone or email gets the keyed hash, the sealed value and the hint, and its
 * plain-text columns become NULL; sign-in challenges get their identifier replaced by the hash.
 * Runs in chunks of BACKFILL_CHUNK rows, one transaction each; safe to run again (a second run
 * finds nothing). SQLite's secure_delete is on meanwhile, so the replaced plain text is zeroed in
 * the file rather than left in free space.
 *
 * @example
 * const done = encryptLegacyContacts(db, memberPii(masterKey)) // { members: 1200, duplicates: [], challenges: 3 }
 */
export function encryptLegacyContacts(db: Db, pii: MemberPii, chunk = BACKFILL_CHUNK): BackfillOutcome {
  const outcome: BackfillOutcome = { members: 0, duplicates: [], challenges: 0 }
  const pending = or(isNotNull(members.phone), isNotNull(members.email))
  if (!db.select({ id: members.id }).from(members).where(pending).get() && !hasPlainChallenge(db)) {
    return outcome
  }
  const secureDelete = db.$client.pragma('secure_delete', { simple: true })
  db.$client.pragma('secure_delete = ON')
  try {
    for (;;) {
      const done = db.transaction((tx) => {
        const rows = tx.select().from(members).where(pending).limit(chunk).all()
        for (const row of rows) {
          const set = {
            phone: null,
            email: null,
            ...(row.phone === null ? {} : sealed(tx, pii, row, 'sms', row.phone, outcome)),
            ...(row.email === null ? {} : sealed(tx, pii, row, 'email', row.email, outcome)),
          }
          tx.update(members).set(set).where(eq(members.id, row.id)).run()
        }
        outcome.members += rows.length
        return rows.length < chunk
      })
      if (done) break
    }
    for (;;) {
      const done = db.transaction((tx) => {
        const rows = tx.select().from(otpChallenges).where(plainChallenge).limit(chunk).all()
        for (const row of rows) {
          tx.update(otpChallenges)
            .set({ identifier: pii.lookupHash(row.brandId, normalised(row.identifier, row.channel)) })
            .where(eq(otpChallenges.id, row.id))
            .run()
        }
        outcome.challenges += rows.length
        return rows.length < chunk
      })
      if (done) break
    }
  } finally {
    db.$client.pragma(`secure_delete = ${Number(secureDelete)}`)
  }
  return outcome
}

// A keyed hash is 43 base64url characters: never an '@' (an email) nor a leading '+' (E.164).
const plainChallenge = or(like(otpChallenges.identifier, '%@%'), like(otpChallenges.identifier, '+%'))

function hasPlainChallenge(db: Db): boolean {
  return db.select({ id: otpChallenges.id }).from(otpChallenges).where(plainChallenge).get() !== undefined
}

/** The value as sign-in would have normalised it; a value that no longer parses is kept trimmed. */
function normalised(value: string, channel: 'sms' | 'email'): string {
  const identity = parseIdentity(value)
  if (identity?.channel === 'sms' && channel === 'sms') return identity.phone
  if (identity?.channel === 'email' && channel === 'email') return identity.email
  return channel === 'email' ? value.trim().toLowerCase() : value.trim()
}

type Row = typeof members.$inferSelect

/** The encrypted columns for one legacy contact of `row` (its existing hash is kept if it has one). */
function sealed(
  tx: DbLike,
  pii: MemberPii,
  row: Row,
  channel: 'sms' | 'email',
  plain: string,
  outcome: BackfillOutcome,
) {
  const value = normalised(plain, channel)
  const hashColumn = channel === 'sms' ? members.phoneHash : members.emailHash
  const existing = channel === 'sms' ? row.phoneHash : row.emailHash
  let hash: string | null = existing ?? pii.lookupHash(row.brandId, value)
  if (existing === null) {
    const taken = tx
      .select({ id: members.id })
      .from(members)
      .where(and(eq(members.brandId, row.brandId), eq(hashColumn, hash), ne(members.id, row.id)))
      .get()
    if (taken) {
      hash = null
      if (!outcome.duplicates.includes(row.id)) outcome.duplicates.push(row.id)
    }
  }
  return channel === 'sms'
    ? { phoneHash: hash, phoneEnc: pii.seal(value), phoneHint: maskIdentifier(value) }
    : { emailHash: hash, emailEnc: pii.seal(value), emailHint: maskIdentifier(value) }
}
