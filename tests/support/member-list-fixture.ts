import type { DbLike } from '../../src/db/index.ts'
import { identityColumns, memberPii } from '../../src/members/member-pii.ts'
import { members } from '../../src/members/member-schema.ts'
import { memberActivity, memberTags } from '../../src/members/programme-schema.ts'
import { memberTiers, tiers } from '../../src/points/points-schema.ts'

export const DAY = 86_400_000

/** What a member of the list looks like after the tags job: profile, tier, activity roll-up, tags. */
export type ListMemberInput = {
  name?: string | null
  /** E.164, stored as sign-in stores it (keyed hash, sealed value, hint). */
  phone?: string
  email?: string
  /** A legacy row not yet moved to the encrypted columns. */
  legacyPhone?: string
  createdAt: number
  deletedAt?: number
  mergedIntoId?: number
  tierId?: number | null
  activity?: {
    lastScanAt?: number | null
    balance?: number
    pointsEarned?: number
    lifecycle?: string | null
    preferredRegion?: string | null
  }
  /** Automatic tags with their reason (as the tags job writes them). */
  autoTags?: Record<string, string>
  /** Manual tags, optionally with the staff member who added them. */
  manualTags?: string[]
  manualBy?: number
}

/**
 * Inserts a member as the list reads it, directly into the tables (the tags job is tested on its
 * own): works on a test database or on the database file of a browser test.
 *
 * @example
 * const m = insertListMember(t.db, t.masterKey, brandId, { name: 'Li', createdAt: START, autoTags: { 'lifecycle:new': 'joined today' } })
 */
export function insertListMember(
  db: DbLike,
  masterKey: Uint8Array,
  brandId: number,
  input: ListMemberInput,
  now = input.createdAt,
) {
  const pii = memberPii(masterKey)
  const row = db
    .insert(members)
    .values({
      brandId,
      name: input.name ?? null,
      phone: input.legacyPhone ?? null,
      ...(input.phone ? identityColumns(pii, brandId, { channel: 'sms', phone: input.phone }) : {}),
      ...(input.email ? identityColumns(pii, brandId, { channel: 'email', email: input.email }) : {}),
      createdAt: input.createdAt,
      deletedAt: input.deletedAt ?? null,
      mergedIntoId: input.mergedIntoId ?? null,
    })
    .returning()
    .get()
  if (input.tierId !== undefined)
    db.insert(memberTiers).values({ memberId: row.id, brandId, tierId: input.tierId, since: now }).run()
  if (input.activity) {
    db.insert(memberActivity)
      .values({
        memberId: row.id,
        brandId,
        lastScanAt: input.activity.lastScanAt ?? null,
        balance: input.activity.balance ?? 0,
        pointsEarned: input.activity.pointsEarned ?? 0,
        lifecycle: input.activity.lifecycle ?? null,
        preferredRegion: input.activity.preferredRegion ?? null,
        computedAt: now,
      })
      .run()
  }
  for (const [tag, reason] of Object.entries(input.autoTags ?? {}))
    db.insert(memberTags)
      .values({ memberId: row.id, brandId, tag, source: 'auto', reason, createdAt: now })
      .run()
  for (const tag of input.manualTags ?? [])
    db.insert(memberTags)
      .values({
        memberId: row.id,
        brandId,
        tag,
        source: 'manual',
        reason: 'added by test',
        createdByStaffId: input.manualBy ?? null,
        createdAt: now,
      })
      .run()
  return row
}

/** A brand's tiers (name → id), lowest threshold first. */
export function insertTiers(db: DbLike, brandId: number, names: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  names.forEach((name, i) => {
    out[name] = db
      .insert(tiers)
      .values({ brandId, name, threshold: (i + 1) * 100 })
      .returning({ id: tiers.id })
      .get().id
  })
  return out
}

/** The member ids of a list or segment page, in the order shown. */
export function memberIdsIn(html: string): number[] {
  return [...html.matchAll(/data-member="(\d+)"/g)].map((m) => Number(m[1]))
}
