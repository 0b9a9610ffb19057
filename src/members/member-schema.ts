import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { brands } from '../staff/staff-schema.ts'

/** A consumer in one brand's programme; the same person in two brands is two members. */
export const members = sqliteTable(
  'members',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    /** Legacy plain-text columns: emptied at start once the encrypted ones are filled. */
    phone: text('phone'),
    email: text('email'),
    /** Keyed hashes (HMAC-SHA-256 of the normalised value) for lookup and uniqueness. */
    phoneHash: text('phone_hash'),
    emailHash: text('email_hash'),
    /** AES-256-GCM sealed E.164 phone and lower-cased email. */
    phoneEnc: text('phone_enc'),
    emailEnc: text('email_enc'),
    /** Display hints that reveal little: last 4 digits of the phone, first letter + domain of the email. */
    phoneHint: text('phone_hint'),
    emailHint: text('email_hint'),
    /** Set when an owner merged this member into another; the row stays for history. */
    mergedIntoId: integer('merged_into_id'),
    name: text('name'),
    birthday: text('birthday'),
    gender: text('gender'),
    regionCode: text('region_code'),
    createdAt: integer('created_at').notNull(),
    deletedAt: integer('deleted_at'),
  },
  (t) => [
    uniqueIndex('members_brand_phone_uq').on(t.brandId, t.phone),
    uniqueIndex('members_brand_email_uq').on(t.brandId, t.email),
    uniqueIndex('members_brand_phone_hash_uq').on(t.brandId, t.phoneHash),
    uniqueIndex('members_brand_email_hash_uq').on(t.brandId, t.emailHash),
    index('members_brand_created_idx').on(t.brandId, t.createdAt),
  ],
)

export const CONSENT_KINDS = ['terms', 'privacy', 'location', 'marketing'] as const

/** Consent is recorded as events (granted or withdrawn, with the version shown), never overwritten. */
export const memberConsents = sqliteTable(
  'member_consents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    kind: text('kind', { enum: CONSENT_KINDS }).notNull(),
    version: text('version').notNull(),
    granted: integer('granted', { mode: 'boolean' }).notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('member_consents_member_idx').on(t.memberId)],
)

export const OTP_CHANNELS = ['sms', 'email'] as const

export const otpChallenges = sqliteTable(
  'otp_challenges',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    channel: text('channel', { enum: OTP_CHANNELS }).notNull(),
    identifier: text('identifier').notNull(),
    codeHash: text('code_hash').notNull(),
    expiresAt: integer('expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    usedAt: integer('used_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('otp_identifier_idx').on(t.brandId, t.identifier, t.createdAt)],
)

/** The development sender's outbox: messages that would have been sent, shown in the console. */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id').notNull(),
    channel: text('channel', { enum: OTP_CHANNELS }).notNull(),
    recipient: text('recipient').notNull(),
    text: text('text').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('outbox_brand_idx').on(t.brandId, t.createdAt)],
)
