import { asc } from 'drizzle-orm'
import { shippedRegionOptions } from '../channels/region-catalogue.ts'
import type { BrandDb } from '../db/brand-scope.ts'
import { tiers } from '../points/points-schema.ts'
import type { MemberListRow } from './member-admin-store.ts'
import type { FilterNames } from './member-filter.ts'
import { contactOf, type MemberPii } from './member-pii.ts'
import type { TagSource } from './member-tag-store.ts'
import { listSegments } from './segment-store.ts'

/** A member as a row of the list: `phone` and `email` are already masked for roles other than owner. */
export type MemberListView = {
  id: number
  phone: string | null
  email: string | null
  name: string | null
  status: 'current' | 'erased' | 'merged'
  mergedIntoId: number | null
  tierName: string | null
  createdAt: number
  lastScanAt: number | null
  balance: number | null
  pointsEarned: number | null
  lifecycle: string | null
  tags: { tag: string; source: TagSource }[]
}

/** The choices of the filter form. */
export type FilterOptions = {
  tiers: { id: number; name: string }[]
  regions: { code: string; name: string }[]
  segments: { id: number; name: string }[]
}

/**
 * A list row as a staff member may see it: contacts through contactOf (in full only with
 * 'members.contact'), nothing personal of an erased member.
 *
 * @example
 * memberListView(pii, row, can(staff.role, 'members.contact'))
 */
export function memberListView(pii: MemberPii, row: MemberListRow, unmasked: boolean): MemberListView {
  const erased = row.deletedAt !== null
  const contact = erased ? { phone: null, email: null } : contactOf(pii, row, unmasked)
  return {
    id: row.id,
    ...contact,
    name: erased ? null : row.name,
    status: erased ? 'erased' : row.mergedIntoId !== null ? 'merged' : 'current',
    mergedIntoId: row.mergedIntoId,
    tierName: row.tierName,
    createdAt: row.createdAt,
    lastScanAt: row.lastScanAt,
    balance: row.balance,
    pointsEarned: row.pointsEarned,
    lifecycle: row.lifecycle,
    tags: row.tags,
  }
}

/** The brand's tiers in threshold order, for the filter form and for naming a tier filter. */
export function tiersOf(bdb: BrandDb): { id: number; name: string }[] {
  return bdb.db
    .select({ id: tiers.id, name: tiers.name })
    .from(tiers)
    .where(bdb.scoped(tiers))
    .orderBy(asc(tiers.threshold))
    .all()
}

/** The choices of the filter form: the brand's tiers and segments, and the shipped regions. */
export function filterOptionsOf(bdb: BrandDb): FilterOptions {
  return {
    tiers: tiersOf(bdb),
    regions: shippedRegionOptions().map((r) => ({ code: r.code, name: r.nameEn })),
    segments: listSegments(bdb).map((s) => ({ id: s.id, name: s.name })),
  }
}

/** Names for describing a filter in words. */
export function filterNamesOf(options: Pick<FilterOptions, 'tiers' | 'regions'>): FilterNames {
  const tierNames = new Map(options.tiers.map((t) => [t.id, t.name]))
  const regionNames = new Map(options.regions.map((r) => [r.code, r.name]))
  return { tierName: (id) => tierNames.get(id), regionName: (code) => regionNames.get(code) }
}

/** The values of a filter as the form's inputs hold them (strings), for hidden fields and edit forms. */
export function formValuesOf(filter: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== null) out[k] = String(v)
  return out
}
