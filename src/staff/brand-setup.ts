import { createSigningKey } from '../codes/key-store.ts'
import type { SigningKey } from '../codes/keyring.ts'
import type { Db } from '../db/index.ts'
import { isUniqueViolation } from '../db/sqlite-errors.ts'
import { recordAudit } from './audit-store.ts'
import { brands, staff } from './staff-schema.ts'
import { normalizeEmail } from './staff-store.ts'

export type NewBrand = {
  slug: string
  name: string
  ownerEmail: string
  ownerName: string
  passwordHash: string
}

export type CreateBrandOutcome =
  | { kind: 'created'; brandId: number; ownerId: number; key: SigningKey }
  | { kind: 'slug-taken' }
  | { kind: 'email-taken' }

export const BRAND_SLUG = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/

/**
 * The platform admin's act of creating a brand: the brand, its first owner and its first signing
 * key, in one transaction.
 *
 * @example
 * createBrand(db, master, { slug: 'tea', name: 'Tea Co', ownerEmail, ownerName, passwordHash }, now)
 */
export function createBrand(db: Db, master: Uint8Array, input: NewBrand, now: number): CreateBrandOutcome {
  try {
    return db.transaction((tx) => {
      const brand = tx
        .insert(brands)
        .values({ slug: input.slug, name: input.name, createdAt: now })
        .returning()
        .get()
      const owner = tx
        .insert(staff)
        .values({
          brandId: brand.id,
          email: normalizeEmail(input.ownerEmail),
          name: input.ownerName,
          role: 'owner',
          passwordHash: input.passwordHash,
          createdAt: now,
        })
        .returning()
        .get()
      const key = createSigningKey(tx, master, brand.id, now)
      recordAudit(tx, brand.id, { staffId: null, label: 'platform-admin' }, now, {
        action: 'brand.create',
        subjectType: 'brand',
        subjectId: brand.id,
        detail: { slug: brand.slug, owner: owner.email, kid: key.kid },
      })
      return { kind: 'created' as const, brandId: brand.id, ownerId: owner.id, key }
    })
  } catch (err) {
    if (isUniqueViolation(err)) {
      return String((err as Error).message).includes('brands.slug')
        ? { kind: 'slug-taken' }
        : { kind: 'email-taken' }
    }
    throw err
  }
}

/** Whether the installation has a brand yet (a first start with SEED_DEMO=0 has none). */
export function hasAnyBrand(db: Db): boolean {
  return db.select({ id: brands.id }).from(brands).limit(1).get() !== undefined
}
