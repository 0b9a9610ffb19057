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
    phone: text('phone'),
    email: text('email'),
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
