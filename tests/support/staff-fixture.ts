import { brandDb } from '../../src/db/brand-scope.ts'
import { openDatabase } from '../../src/db/index.ts'
import { createBrand } from '../../src/staff/brand-setup.ts'

/** The platform admin (the CLI) as an actor: no staff id. */
export const CLI_ACTOR = { staffId: null, label: 'cli' }

/**
 * A brand 'tea' in a fresh in-memory database, created as the CLI does, with its owner
 * (owner@tea.test) and the given password hash (a stand-in by default: nothing checks it).
 *
 * @example
 * const { db, bdb, ownerId } = brandWithOwner(NOW)
 */
export function brandWithOwner(now: number, passwordHash = 'scrypt$x') {
  const db = openDatabase(':memory:')
  const outcome = createBrand(
    db,
    new Uint8Array(32),
    { slug: 'tea', name: 'Tea', ownerEmail: 'owner@tea.test', ownerName: 'Owner', passwordHash },
    now,
  )
  if (outcome.kind !== 'created') throw new Error(outcome.kind)
  return { db, bdb: brandDb(db, outcome.brandId), brandId: outcome.brandId, ownerId: outcome.ownerId }
}
