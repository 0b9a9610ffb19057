import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'

export const STAFF_ROLES = ['owner', 'operator', 'channel_manager', 'analyst'] as const
export type StaffRole = (typeof STAFF_ROLES)[number]

export const brands = sqliteTable('brands', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
})

export const staff = sqliteTable(
  'staff',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    // One staff account belongs to one brand, so the sign-in form needs no brand field.
    email: text('email').notNull().unique(),
    name: text('name').notNull(),
    passwordHash: text('password_hash'),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: integer('locked_until'),
    disabledAt: integer('disabled_at'),
    // Bumped on sign-out, role change and disabling, so every older session cookie stops working.
    sessionVersion: integer('session_version').notNull().default(1),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('staff_brand_idx').on(t.brandId)],
)

export const staffInvites = sqliteTable('staff_invites', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  brandId: integer('brand_id')
    .notNull()
    .references(() => brands.id),
  staffId: integer('staff_id')
    .notNull()
    .references(() => staff.id),
  tokenHash: text('token_hash').notNull().unique(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
  createdAt: integer('created_at').notNull(),
})

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    brandId: integer('brand_id')
      .notNull()
      .references(() => brands.id),
    actorStaffId: integer('actor_staff_id').references(() => staff.id),
    // Who acted when no staff member did: 'cli', 'printer-link', 'system'.
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    at: integer('at').notNull(),
  },
  (t) => [index('audit_brand_at_idx').on(t.brandId, t.at)],
)
