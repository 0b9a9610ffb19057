import { and, asc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { Tx } from '../db/index.ts'
import { isUniqueViolation } from '../db/sqlite-errors.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { staff } from '../staff/staff-schema.ts'
import type { DistributorInput } from './channel-input.ts'
import {
  type DISTRIBUTOR_STATUSES,
  distributorRegions,
  distributors,
  staffDistributors,
} from './channel-schema.ts'
import type { ChannelScope } from './channel-scope.ts'

export type Distributor = typeof distributors.$inferSelect
export type DistributorStatus = (typeof DISTRIBUTOR_STATUSES)[number]
export type DistributorListRow = Distributor & { regionCodes: string[] }

export const DISTRIBUTOR_PAGE_SIZE = 25

/** What a distributor is saved with: the form's fields, its sales regions already checked. */
export type DistributorFields = Omit<DistributorInput, 'regions'> & { regions: string[] }

/** The scope's WHERE condition on the distributors table (undefined when the scope sees all). */
function visible(scope: ChannelScope): SQL | undefined {
  return scope.distributorFilter(distributors.id)
}

/**
 * One page of the distributors a staff member may see, searched by name or code (case-insensitive
 * substring) and filtered by status, ordered by code.
 *
 * @example
 * listDistributors(bdb, scope, { q: 'GD', status: 'active', page: 1 })
 */
export function listDistributors(
  bdb: BrandDb,
  scope: ChannelScope,
  opts: { q?: string; status?: DistributorStatus; page: number },
) {
  const pattern = opts.q ? `%${opts.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : undefined
  const where = bdb.scoped(
    distributors,
    visible(scope),
    opts.status ? eq(distributors.status, opts.status) : undefined,
    pattern
      ? sql`(${distributors.name} LIKE ${pattern} ESCAPE '\\' OR ${distributors.code} LIKE ${pattern} ESCAPE '\\')`
      : undefined,
  )
  const total = bdb.db.select({ n: sql<number>`count(*)` }).from(distributors).where(where).get()?.n ?? 0
  const pageCount = Math.max(1, Math.ceil(total / DISTRIBUTOR_PAGE_SIZE))
  const page = Math.min(opts.page, pageCount)
  const rows = bdb.db
    .select()
    .from(distributors)
    .where(where)
    .orderBy(asc(distributors.code))
    .limit(DISTRIBUTOR_PAGE_SIZE)
    .offset((page - 1) * DISTRIBUTOR_PAGE_SIZE)
    .all()
  const regions = regionCodesOf(
    bdb,
    rows.map((r) => r.id),
  )
  return {
    rows: rows.map((r) => ({ ...r, regionCodes: regions.get(r.id) ?? [] })),
    total,
    page,
    pageCount,
  }
}

/** A distributor the scope sees; undefined for a missing id, another brand's or an unassigned one alike. */
export function findDistributor(bdb: BrandDb, scope: ChannelScope, id: number): Distributor | undefined {
  if (!scope.seesDistributor(id)) return undefined
  return bdb.db
    .select()
    .from(distributors)
    .where(bdb.scoped(distributors, eq(distributors.id, id)))
    .get()
}

export function findDistributorByCode(bdb: BrandDb, code: string): Distributor | undefined {
  return bdb.db
    .select()
    .from(distributors)
    .where(bdb.scoped(distributors, eq(distributors.code, code)))
    .get()
}

/** The distributors the scope sees, for pickers (active ones first). */
export function distributorChoices(bdb: BrandDb, scope: ChannelScope): Distributor[] {
  return bdb.db
    .select()
    .from(distributors)
    .where(bdb.scoped(distributors, visible(scope)))
    .orderBy(asc(distributors.status), asc(distributors.code))
    .all()
}

/** Sales-region codes of each distributor id, in the order they were saved. */
export function regionCodesOf(bdb: BrandDb, ids: readonly number[]): Map<number, string[]> {
  const out = new Map<number, string[]>()
  if (ids.length === 0) return out
  const rows = bdb.db
    .select()
    .from(distributorRegions)
    .where(bdb.scoped(distributorRegions, inArray(distributorRegions.distributorId, [...ids])))
    .all()
  for (const r of rows) out.set(r.distributorId, [...(out.get(r.distributorId) ?? []), r.regionCode])
  return out
}

/** Codes of the visible distributors selling in each region, for the regions page. */
export function distributorsByRegion(bdb: BrandDb, scope: ChannelScope): Map<string, string[]> {
  const rows = bdb.db
    .select({ code: distributorRegions.regionCode, distributor: distributors.code })
    .from(distributorRegions)
    .innerJoin(distributors, eq(distributors.id, distributorRegions.distributorId))
    .where(bdb.scoped(distributors, visible(scope)))
    .orderBy(asc(distributors.code))
    .all()
  const out = new Map<string, string[]>()
  for (const r of rows) out.set(r.code, [...(out.get(r.code) ?? []), r.distributor])
  return out
}

export type SaveDistributorOutcome =
  | { kind: 'saved'; distributor: Distributor }
  | { kind: 'code-taken' }
  | { kind: 'not-found' }

/**
 * Creates a distributor with its sales regions; `assignTo` (a channel manager creating it) is
 * assigned to it in the same transaction, so the new distributor never drops out of their sight.
 * The code is unique per brand by a unique index.
 */
export function createDistributor(
  bdb: BrandDb,
  actor: Actor,
  input: DistributorFields,
  now: number,
  assignTo?: number,
): SaveDistributorOutcome {
  try {
    return bdb.db.transaction((tx) => {
      const distributor = tx
        .insert(distributors)
        .values({ ...fieldsOf(input), brandId: bdb.brandId, createdAt: now })
        .returning()
        .get()
      replaceRegions(tx, bdb.brandId, distributor.id, input.regions)
      if (assignTo !== undefined) {
        tx.insert(staffDistributors)
          .values({ staffId: assignTo, distributorId: distributor.id, brandId: bdb.brandId })
          .run()
      }
      recordAudit(tx, bdb.brandId, actor, now, {
        action: 'distributor.create',
        subjectType: 'distributor',
        subjectId: distributor.id,
        detail: {
          code: distributor.code,
          name: distributor.name,
          status: distributor.status,
          regions: input.regions,
          ...(assignTo !== undefined ? { assignedTo: assignTo } : {}),
        },
      })
      return { kind: 'saved' as const, distributor }
    })
  } catch (err) {
    if (isUniqueViolation(err)) return { kind: 'code-taken' }
    throw err
  }
}

/** Saves a visible distributor's fields and sales regions; the audit record lists what changed. */
export function updateDistributor(
  bdb: BrandDb,
  scope: ChannelScope,
  actor: Actor,
  id: number,
  input: DistributorFields,
  now: number,
): SaveDistributorOutcome {
  if (!scope.seesDistributor(id)) return { kind: 'not-found' }
  try {
    return bdb.db.transaction((tx) => {
      const before = tx
        .select()
        .from(distributors)
        .where(bdb.scoped(distributors, eq(distributors.id, id)))
        .get()
      if (!before) return { kind: 'not-found' as const }
      const regionsBefore = tx
        .select({ code: distributorRegions.regionCode })
        .from(distributorRegions)
        .where(eq(distributorRegions.distributorId, id))
        .all()
        .map((r) => r.code)
      const fields = fieldsOf(input)
      const distributor = tx
        .update(distributors)
        .set(fields)
        .where(bdb.scoped(distributors, eq(distributors.id, id)))
        .returning()
        .get()!
      replaceRegions(tx, bdb.brandId, id, input.regions)
      const changes: Record<string, { from: unknown; to: unknown }> = {}
      for (const key of Object.keys(fields) as (keyof typeof fields)[]) {
        if (before[key] !== fields[key]) changes[key] = { from: before[key], to: fields[key] }
      }
      if ([...regionsBefore].sort().join() !== [...input.regions].sort().join())
        changes.regions = { from: regionsBefore, to: input.regions }
      recordAudit(tx, bdb.brandId, actor, now, {
        action: 'distributor.update',
        subjectType: 'distributor',
        subjectId: id,
        detail: { code: distributor.code, changes },
      })
      return { kind: 'saved' as const, distributor }
    })
  } catch (err) {
    if (isUniqueViolation(err)) return { kind: 'code-taken' }
    throw err
  }
}

function fieldsOf(input: DistributorFields) {
  return {
    code: input.code,
    name: input.name,
    contactName: input.contactName ?? null,
    contactPhone: input.contactPhone ?? null,
    contactEmail: input.contactEmail ?? null,
    status: input.status,
    notes: input.notes ?? null,
  }
}

function replaceRegions(tx: Tx, brandId: number, distributorId: number, codes: readonly string[]): void {
  tx.delete(distributorRegions).where(eq(distributorRegions.distributorId, distributorId)).run()
  const unique = [...new Set(codes)]
  if (unique.length > 0) {
    tx.insert(distributorRegions)
      .values(unique.map((regionCode) => ({ distributorId, brandId, regionCode })))
      .run()
  }
}

export type StaffSummary = { id: number; name: string; email: string }

/** The brand's channel managers who can be assigned (enabled accounts). */
export function listChannelManagers(bdb: BrandDb): StaffSummary[] {
  return bdb.db
    .select({ id: staff.id, name: staff.name, email: staff.email })
    .from(staff)
    .where(bdb.scoped(staff, eq(staff.role, 'channel_manager'), isNull(staff.disabledAt)))
    .orderBy(asc(staff.email))
    .all()
}

/** The staff members assigned to a distributor. */
export function managersOf(bdb: BrandDb, distributorId: number): StaffSummary[] {
  return bdb.db
    .select({ id: staff.id, name: staff.name, email: staff.email })
    .from(staffDistributors)
    .innerJoin(staff, eq(staff.id, staffDistributors.staffId))
    .where(bdb.scoped(staffDistributors, eq(staffDistributors.distributorId, distributorId)))
    .orderBy(asc(staff.email))
    .all()
}

export type AssignOutcome =
  | { kind: 'saved'; added: number[]; removed: number[] }
  | { kind: 'not-found' }
  | { kind: 'not-channel-managers'; staffIds: number[] }

/**
 * Sets exactly which channel managers look after a distributor (an owner's action). Only enabled
 * channel managers of the brand can be assigned; the change is audited with who was added and removed.
 */
export function setDistributorManagers(
  bdb: BrandDb,
  actor: Actor,
  distributorId: number,
  staffIds: readonly number[],
  now: number,
): AssignOutcome {
  const wanted = [...new Set(staffIds)]
  return bdb.db.transaction((tx): AssignOutcome => {
    const distributor = tx
      .select()
      .from(distributors)
      .where(bdb.scoped(distributors, eq(distributors.id, distributorId)))
      .get()
    if (!distributor) return { kind: 'not-found' }
    const eligible = new Set(
      wanted.length === 0
        ? []
        : tx
            .select({ id: staff.id })
            .from(staff)
            .where(
              bdb.scoped(
                staff,
                inArray(staff.id, wanted),
                eq(staff.role, 'channel_manager'),
                isNull(staff.disabledAt),
              ),
            )
            .all()
            .map((r) => r.id),
    )
    const refused = wanted.filter((id) => !eligible.has(id))
    if (refused.length > 0) return { kind: 'not-channel-managers', staffIds: refused }
    const current = tx
      .select({ id: staffDistributors.staffId })
      .from(staffDistributors)
      .where(
        and(eq(staffDistributors.distributorId, distributorId), eq(staffDistributors.brandId, bdb.brandId)),
      )
      .all()
      .map((r) => r.id)
    const added = wanted.filter((id) => !current.includes(id))
    const removed = current.filter((id) => !wanted.includes(id))
    if (removed.length > 0) {
      tx.delete(staffDistributors)
        .where(
          and(
            eq(staffDistributors.distributorId, distributorId),
            inArray(staffDistributors.staffId, removed),
          ),
        )
        .run()
    }
    if (added.length > 0) {
      tx.insert(staffDistributors)
        .values(added.map((staffId) => ({ staffId, distributorId, brandId: bdb.brandId })))
        .run()
    }
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'distributor.assign',
      subjectType: 'distributor',
      subjectId: distributorId,
      detail: { code: distributor.code, added, removed },
    })
    return { kind: 'saved', added, removed }
  })
}
