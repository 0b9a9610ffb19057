import { desc, eq } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { countMembers } from './member-admin-store.ts'
import { SegmentFilter, segmentFilterOf } from './member-filter.ts'
import { segments } from './programme-schema.ts'

/**
 * A saved segment. `filter` is the stored filter read back through the same zod schema as the
 * list's query string; a stored filter that no longer reads (a value a later version refuses)
 * leaves `filter` undefined and says why in `problems`, so that it is never widened to everyone.
 */
export type Segment = {
  id: number
  name: string
  description: string | null
  filter: SegmentFilter | undefined
  problems: string[]
  createdAt: number
  updatedAt: number
}

function segmentOf(row: typeof segments.$inferSelect): Segment {
  const parsed = SegmentFilter.safeParse(row.filter)
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    filter: parsed.success ? segmentFilterOf(parsed.data) : undefined,
    problems: parsed.success ? [] : issuesOf(parsed.error),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

/** The brand's segments, newest first. */
export function listSegments(bdb: BrandDb): Segment[] {
  return bdb.db
    .select()
    .from(segments)
    .where(bdb.scoped(segments))
    .orderBy(desc(segments.updatedAt), desc(segments.id))
    .all()
    .map(segmentOf)
}

/** The brand's segments with their live sizes (one count each, over the same WHERE as the list). */
export function listSegmentsWithSize(bdb: BrandDb): (Segment & { size: number | null })[] {
  return listSegments(bdb).map((s) => ({ ...s, size: s.filter ? countMembers(bdb, s.filter) : null }))
}

/** One segment of the brand, or undefined (another brand's id reads as absent). */
export function findSegment(bdb: BrandDb, id: number): Segment | undefined {
  const row = bdb.db
    .select()
    .from(segments)
    .where(bdb.scoped(segments, eq(segments.id, id)))
    .get()
  return row ? segmentOf(row) : undefined
}

export type SegmentInput = { name: string; description: string | null; filter: SegmentFilter }

/**
 * Saves a new segment, audited ('segment.create' with its filter) in the same transaction.
 *
 * @example
 * createSegment(bdb, actor, { name: 'VIP, joined 2026', description: null, filter: { tag: 'vip' } }, now)
 */
export function createSegment(bdb: BrandDb, actor: Actor, input: SegmentInput, now: number): number {
  const filter = segmentFilterOf(input.filter)
  return bdb.db.transaction((tx) => {
    const row = tx
      .insert(segments)
      .values({
        brandId: bdb.brandId,
        name: input.name,
        description: input.description,
        filter,
        createdByStaffId: actor.staffId,
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: segments.id })
      .get()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'segment.create',
      subjectType: 'segment',
      subjectId: row.id,
      detail: { name: input.name, filter },
    })
    return row.id
  })
}

/** Changes a segment's name, description and filter, audited with the filter before and after. */
export function updateSegment(
  bdb: BrandDb,
  actor: Actor,
  id: number,
  input: SegmentInput,
  now: number,
): { kind: 'updated' } | { kind: 'not-found' } {
  const filter = segmentFilterOf(input.filter)
  return bdb.db.transaction((tx) => {
    const before = tx
      .select()
      .from(segments)
      .where(bdb.scoped(segments, eq(segments.id, id)))
      .get()
    if (!before) return { kind: 'not-found' as const }
    tx.update(segments)
      .set({ name: input.name, description: input.description, filter, updatedAt: now })
      .where(bdb.scoped(segments, eq(segments.id, id)))
      .run()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'segment.update',
      subjectType: 'segment',
      subjectId: id,
      detail: { name: input.name, filter, before: { name: before.name, filter: before.filter } },
    })
    return { kind: 'updated' as const }
  })
}

/** Deletes a segment (its members are untouched), audited with what it was. */
export function deleteSegment(
  bdb: BrandDb,
  actor: Actor,
  id: number,
  now: number,
): { kind: 'deleted'; name: string } | { kind: 'not-found' } {
  return bdb.db.transaction((tx) => {
    const row = tx
      .delete(segments)
      .where(bdb.scoped(segments, eq(segments.id, id)))
      .returning()
      .get()
    if (!row) return { kind: 'not-found' as const }
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'segment.delete',
      subjectType: 'segment',
      subjectId: id,
      detail: { name: row.name, filter: row.filter },
    })
    return { kind: 'deleted' as const, name: row.name }
  })
}

/**
 * Records a segment's CSV export ('segments.export', with the number of members and whether the
 * contacts were unmasked) before the file streams: the record stands even if the download is
 * abandoned half-way, and the count is the segment's size at that moment.
 */
export function recordSegmentExport(
  bdb: BrandDb,
  actor: Actor,
  segment: Segment & { filter: SegmentFilter },
  unmasked: boolean,
  now: number,
): number {
  return bdb.db.transaction((tx) => {
    const count = countMembers(bdb, segment.filter, tx)
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'segments.export',
      subjectType: 'segment',
      subjectId: segment.id,
      detail: { name: segment.name, count, contacts: unmasked ? 'full' : 'masked', filter: segment.filter },
    })
    return count
  })
}
