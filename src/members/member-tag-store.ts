import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { DbLike } from '../db/index.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { staff } from '../staff/staff-schema.ts'
import { members } from './member-schema.ts'
import { memberTags, type TAG_SOURCES } from './programme-schema.ts'

export type TagSource = (typeof TAG_SOURCES)[number]

/** A tag as the member page shows it: automatic ones say how they were computed, manual ones who added them. */
export type MemberTag = {
  tag: string
  source: TagSource
  reason: string
  createdAt: number
  addedBy: string | null
}

/**
 * Every tag of a member, automatic ones first, each group by name.
 *
 * @example
 * tagsOf(bdb, memberId) // [{ tag: 'lifecycle:dormant', source: 'auto', reason: 'last scan 140 days ago; …', … }]
 */
export function tagsOf(bdb: BrandDb, memberId: number): MemberTag[] {
  return bdb.db
    .select({
      tag: memberTags.tag,
      source: memberTags.source,
      reason: memberTags.reason,
      createdAt: memberTags.createdAt,
      staffName: staff.name,
      staffEmail: staff.email,
    })
    .from(memberTags)
    .leftJoin(staff, eq(staff.id, memberTags.createdByStaffId))
    .where(bdb.scoped(memberTags, eq(memberTags.memberId, memberId)))
    .orderBy(asc(memberTags.source), asc(memberTags.tag))
    .all()
    .map(({ staffName, staffEmail, ...t }) => ({
      ...t,
      addedBy: staffEmail ? `${staffName} (${staffEmail})` : null,
    }))
}

/** The tags of a page of members in one query (for the list and the CSV export). */
export function tagsOfMembers(
  bdb: BrandDb,
  memberIds: number[],
): Map<number, { tag: string; source: TagSource }[]> {
  const out = new Map<number, { tag: string; source: TagSource }[]>()
  if (memberIds.length === 0) return out
  const rows = bdb.db
    .select({ memberId: memberTags.memberId, tag: memberTags.tag, source: memberTags.source })
    .from(memberTags)
    // The brand check carries a unary + so that SQLite (without ANALYZE statistics) probes the
    // primary key (member_id, tag) for these ids instead of walking the brand's whole tag index:
    // 0.2 ms instead of 1.3 s over 450k tags (measured on 100k members).
    .where(and(sql`+${memberTags.brandId} = ${bdb.brandId}`, inArray(memberTags.memberId, memberIds)))
    .orderBy(asc(memberTags.memberId), asc(memberTags.source), asc(memberTags.tag))
    .all()
  for (const r of rows) {
    const list = out.get(r.memberId) ?? []
    list.push({ tag: r.tag, source: r.source })
    out.set(r.memberId, list)
  }
  return out
}

export type AddTagOutcome =
  | { kind: 'added' }
  | { kind: 'exists' }
  | { kind: 'not-current' }
  | { kind: 'not-found' }

/**
 * Adds a manual tag to a member, audited ('member.tag.add') in the same transaction. The primary
 * key (member, tag) makes a second add of the same tag a no-op, answered as 'exists'; manual tags
 * cannot contain ':', so they never collide with the job's automatic ones.
 *
 * @example
 * addManualTag(bdb, { staffId, label: email }, memberId, 'vip', now) // { kind: 'added' }
 */
export function addManualTag(
  bdb: BrandDb,
  actor: Actor,
  memberId: number,
  tag: string,
  now: number,
): AddTagOutcome {
  return bdb.db.transaction((tx): AddTagOutcome => {
    const member = currentMember(bdb, tx, memberId)
    if (!member) return { kind: 'not-found' }
    if (member.deletedAt !== null || member.mergedIntoId !== null) return { kind: 'not-current' }
    const inserted = tx
      .insert(memberTags)
      .values({
        memberId,
        brandId: bdb.brandId,
        tag,
        source: 'manual',
        reason: `added by ${actor.label}`,
        createdByStaffId: actor.staffId,
        createdAt: now,
      })
      .onConflictDoNothing()
      .run()
    if (inserted.changes === 0) return { kind: 'exists' }
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'member.tag.add',
      subjectType: 'member',
      subjectId: memberId,
      detail: { tag },
    })
    return { kind: 'added' }
  })
}

export type RemoveTagOutcome =
  | { kind: 'removed' }
  | { kind: 'absent' }
  | { kind: 'automatic' }
  | { kind: 'not-found' }

/**
 * Removes a manual tag, audited ('member.tag.remove', with who had added it and when). Automatic
 * tags belong to the tags job and are refused: the job would only put them back.
 *
 * @example
 * removeManualTag(bdb, { staffId, label: email }, memberId, 'vip', now) // { kind: 'removed' }
 */
export function removeManualTag(
  bdb: BrandDb,
  actor: Actor,
  memberId: number,
  tag: string,
  now: number,
): RemoveTagOutcome {
  return bdb.db.transaction((tx): RemoveTagOutcome => {
    if (!currentMember(bdb, tx, memberId)) return { kind: 'not-found' }
    const where = bdb.scoped(memberTags, eq(memberTags.memberId, memberId), eq(memberTags.tag, tag))
    const existing = tx.select().from(memberTags).where(where).get()
    if (!existing) return { kind: 'absent' }
    if (existing.source !== 'manual') return { kind: 'automatic' }
    tx.delete(memberTags)
      .where(and(where, eq(memberTags.source, 'manual')))
      .run()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'member.tag.remove',
      subjectType: 'member',
      subjectId: memberId,
      detail: { tag, addedAt: existing.createdAt, addedByStaffId: existing.createdByStaffId },
    })
    return { kind: 'removed' }
  })
}

function currentMember(bdb: BrandDb, tx: DbLike, id: number) {
  return tx
    .select({ id: members.id, deletedAt: members.deletedAt, mergedIntoId: members.mergedIntoId })
    .from(members)
    .where(bdb.scoped(members, eq(members.id, id)))
    .get()
}
