import { and, eq, inArray, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { Db } from '../db/index.ts'
import type { StaffRole } from '../staff/staff-schema.ts'
import { distributorRegions, staffDistributors } from './channel-schema.ts'

/**
 * What a staff member may see of the channel side (DESIGN.md "Roles"): owners and analysts see
 * every distributor of their brand; a channel manager sees only the distributors an owner assigned
 * to them, and the regions those distributors sell in. Anything outside answers as if it did not
 * exist (404), never 403, so ids cannot be probed.
 *
 * @example
 * const scope = channelScopeOf(db, staff)
 * db.select().from(distributors).where(and(eq(distributors.brandId, staff.brandId), scope.distributorFilter(distributors.id)))
 */
export type ChannelScope = {
  /** True for roles that see the whole brand. */
  all: boolean
  /** The assigned distributors (empty when `all`). */
  distributorIds: readonly number[]
  /** Whether one distributor is visible. */
  seesDistributor(distributorId: number | null): boolean
  /** Region codes the manager's distributors sell in (every region when `all`). */
  seesRegion(regionCode: string): boolean
  /**
   * A WHERE condition limiting a distributor-id column to what the scope sees; undefined when all
   * is visible. A null distributor (a case on unshipped codes) is visible to `all` scopes only.
   */
  distributorFilter(column: SQLiteColumn): SQL | undefined
}

const SEES_ALL: readonly StaffRole[] = ['owner', 'analyst', 'operator']

export function channelScopeOf(
  db: Db,
  staff: { staffId: number; brandId: number; role: StaffRole },
): ChannelScope {
  if (SEES_ALL.includes(staff.role)) {
    return {
      all: true,
      distributorIds: [],
      seesDistributor: () => true,
      seesRegion: () => true,
      distributorFilter: () => undefined,
    }
  }
  const ids = db
    .select({ id: staffDistributors.distributorId })
    .from(staffDistributors)
    .where(and(eq(staffDistributors.staffId, staff.staffId), eq(staffDistributors.brandId, staff.brandId)))
    .all()
    .map((r) => r.id)
  const regions = new Set(
    ids.length === 0
      ? []
      : db
          .select({ code: distributorRegions.regionCode })
          .from(distributorRegions)
          .where(inArray(distributorRegions.distributorId, ids))
          .all()
          .map((r) => r.code),
  )
  const idSet = new Set(ids)
  return {
    all: false,
    distributorIds: ids,
    seesDistributor: (id) => id !== null && idSet.has(id),
    seesRegion: (code) => regions.has(code),
    // `IN ()` with no ids is valid SQL in SQLite and matches nothing.
    distributorFilter: (column) => inArray(column, ids),
  }
}
