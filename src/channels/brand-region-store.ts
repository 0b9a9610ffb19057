import { asc, eq } from 'drizzle-orm'
import { type BrandDb, brandDb } from '../db/brand-scope.ts'
import type { Db } from '../db/index.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { brandRegions } from './channel-schema.ts'
import type { ParsedRegion } from './geojson-region.ts'
import type { Region } from './region-resolver.ts'

export type BrandRegionRow = typeof brandRegions.$inferSelect

/** A brand region's code in sales regions, cases and reports: 'X' + its id ('X12'). */
export function brandRegionCode(id: number): string {
  return `X${id}`
}

/** The id inside a brand region code, or undefined for a shipped code ('CN-GD', 'US'). */
export function brandRegionIdOf(code: string): number | undefined {
  const m = /^X([1-9][0-9]{0,15})$/.exec(code)
  return m ? Number(m[1]) : undefined
}

/**
 * The regions a brand's owners uploaded, oldest first.
 *
 * @example
 * const resolver = createRegionResolver([...loadRegions(), ...listBrandRegions(db, brandId).map(brandRegionToRegion)])
 */
export function listBrandRegions(db: Db, brandId: number): BrandRegionRow[] {
  const bdb = brandDb(db, brandId)
  return db.select().from(brandRegions).where(bdb.scoped(brandRegions)).orderBy(asc(brandRegions.id)).all()
}

export function findBrandRegion(bdb: BrandDb, id: number): BrandRegionRow | undefined {
  return bdb.db
    .select()
    .from(brandRegions)
    .where(bdb.scoped(brandRegions, eq(brandRegions.id, id)))
    .get()
}

/**
 * A stored brand region in the resolver's shape: a 'province'-kind region of the pseudo-country
 * 'X' with code 'X' + id, rings as flat Float64Arrays without the closing repeat (the resolver's
 * rings are implicitly closed), no cities.
 *
 * @example
 * brandRegionToRegion(row) // { code: 'X3', kind: 'province', country: 'X', polygons: [[Float64Array […]]], … }
 */
export function brandRegionToRegion(row: BrandRegionRow): Region {
  return {
    code: brandRegionCode(row.id),
    kind: 'province',
    country: 'X',
    nameZh: row.nameZh,
    nameEn: row.nameEn,
    bbox: [row.minLon, row.minLat, row.maxLon, row.maxLat],
    polygons: row.polygons.map((polygon) =>
      polygon.map((ring) => {
        const closed = ring.length > 1 && ring[0]![0] === ring.at(-1)![0] && ring[0]![1] === ring.at(-1)![1]
        const points = closed ? ring.slice(0, -1) : ring
        const flat = new Float64Array(points.length * 2)
        points.forEach((p, i) => {
          flat[i * 2] = p[0]!
          flat[i * 2 + 1] = p[1]!
        })
        return flat
      }),
    ),
    cities: [],
  }
}

/** Stores validated regions of one upload in one transaction, each with an audit record. */
export function saveBrandRegions(
  bdb: BrandDb,
  actor: Actor,
  regions: readonly ParsedRegion[],
  now: number,
): BrandRegionRow[] {
  return bdb.db.transaction((tx) =>
    regions.map((r) => {
      const row = tx
        .insert(brandRegions)
        .values({
          brandId: bdb.brandId,
          nameZh: r.nameZh,
          nameEn: r.nameEn,
          polygons: r.polygons,
          minLon: r.bbox[0],
          minLat: r.bbox[1],
          maxLon: r.bbox[2],
          maxLat: r.bbox[3],
          vertexCount: r.vertexCount,
          createdByStaffId: actor.staffId,
          createdAt: now,
        })
        .returning()
        .get()
      recordAudit(tx, bdb.brandId, actor, now, {
        action: 'region.upload',
        subjectType: 'region',
        subjectId: brandRegionCode(row.id),
        detail: { nameZh: r.nameZh, nameEn: r.nameEn, polygons: r.polygons.length, vertices: r.vertexCount },
      })
      return row
    }),
  )
}
