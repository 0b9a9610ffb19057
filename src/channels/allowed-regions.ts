import type { DbLike } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import { brandRegionIdOf } from './brand-region-store.ts'
import { haversineKm, type RegionResolver } from './region-resolver.ts'

/** A distributor's sales region as the checks name it in their reasons. */
export type AllowedRegion = { code: string; nameZh: string; nameEn: string }

/** Where a point lies relative to a distributor's sales regions. */
export type RegionFit =
  /** The distributor has no sales regions: nothing to check against. */
  | { kind: 'unrestricted' }
  | { kind: 'inside'; region: AllowedRegion }
  /** Outside all of them; `nearest` is the closest region and its great-circle distance. */
  | { kind: 'outside'; nearest: AllowedRegion & { km: number }; allowed: AllowedRegion[] }

type BrandRegionRow = {
  id: number
  nameZh: string
  nameEn: string
  polygons: string
  minLon: number
  minLat: number
  maxLon: number
  maxLat: number
}

const statementsFor = preparedPerConnection((c) => ({
  regionCodes: c.prepare<[number, number], { code: string }>(
    'SELECT region_code AS code FROM distributor_regions WHERE distributor_id = ? AND brand_id = ? ORDER BY region_code',
  ),
  brandRegion: c.prepare<[number, number], BrandRegionRow>(`
    SELECT id, name_zh AS nameZh, name_en AS nameEn, polygons, min_lon AS minLon, min_lat AS minLat,
           max_lon AS maxLon, max_lat AS maxLat
    FROM brand_regions WHERE id = ? AND brand_id = ?`),
}))

/**
 * Whether a WGS-84 point lies inside one of a distributor's sales regions, and if not, which allowed
 * region is nearest and how far away. Shipped regions ('CN-GD', 'US') are tested with the offline
 * resolver (containment and distance to the nearest edge); brand regions ('X<id>') by point in
 * polygon over their stored rings (even-odd over every ring, so holes work) and the distance to
 * their nearest edge. A region code that no longer exists is skipped.
 *
 * @example
 * const fit = fitToDistributorRegions(db, { brandId, distributorId }, { lon: 121.47, lat: 31.23 }, resolver)
 * // → { kind: 'outside', nearest: { code: 'CN-GD', nameEn: 'Guangdong', km: 863, … }, allowed: [...] }
 */
export function fitToDistributorRegions(
  db: DbLike,
  owner: { brandId: number; distributorId: number },
  point: { lon: number; lat: number },
  regions: () => RegionResolver,
): RegionFit {
  const q = statementsFor(db)
  const codes = q.regionCodes.all(owner.distributorId, owner.brandId).map((r) => r.code)
  if (codes.length === 0) return { kind: 'unrestricted' }
  const allowed: AllowedRegion[] = []
  let nearest: (AllowedRegion & { km: number }) | undefined
  for (const code of codes) {
    const measured = measure(q, owner.brandId, code, point, regions)
    if (!measured) continue
    const { km, ...region } = measured
    if (km === 0) return { kind: 'inside', region }
    allowed.push(region)
    if (!nearest || km < nearest.km) nearest = measured
  }
  // Every listed region vanished (a deleted brand region): there is nothing left to be outside of.
  if (!nearest) return { kind: 'unrestricted' }
  return { kind: 'outside', nearest, allowed }
}

function measure(
  q: ReturnType<typeof statementsFor>,
  brandId: number,
  code: string,
  point: { lon: number; lat: number },
  regions: () => RegionResolver,
): (AllowedRegion & { km: number }) | undefined {
  const regionId = brandRegionIdOf(code)
  if (regionId !== undefined) {
    const row = q.brandRegion.get(regionId, brandId)
    if (!row) return undefined
    const polygons = JSON.parse(row.polygons) as number[][][][]
    return { code, nameZh: row.nameZh, nameEn: row.nameEn, km: distanceToPolygonsKm(polygons, point) }
  }
  const resolver = regions()
  const region = resolver.byCode(code)
  if (!region || region.polygons.length === 0) return undefined
  return {
    code,
    nameZh: region.nameZh,
    nameEn: region.nameEn,
    km: resolver.distanceToRegionKm(point.lon, point.lat, code),
  }
}

/**
 * Even-odd point in polygon over every ring of every polygon ([lon, lat] pairs, GeoJSON order):
 * a point inside an outer ring and a hole crosses both and counts as outside.
 */
export function polygonsContain(polygons: number[][][][], point: { lon: number; lat: number }): boolean {
  let inside = false
  for (const polygon of polygons) {
    for (const ring of polygon) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i] as [number, number]
        const [xj, yj] = ring[j] as [number, number]
        if (
          yi > point.lat !== yj > point.lat &&
          point.lon < ((xj - xi) * (point.lat - yi)) / (yj - yi) + xi
        ) {
          inside = !inside
        }
      }
    }
  }
  return inside
}

/**
 * Great-circle km from a point to the nearest edge of brand-drawn polygons; 0 inside. Edges are
 * compared in a local equirectangular plane around the point (as the shipped resolver does) and
 * the winning foot point is measured with haversine.
 */
export function distanceToPolygonsKm(polygons: number[][][][], point: { lon: number; lat: number }): number {
  if (polygonsContain(polygons, point)) return 0
  const kx = Math.cos((point.lat * Math.PI) / 180)
  const wrap = (dx: number) => (dx > 180 ? dx - 360 : dx < -180 ? dx + 360 : dx)
  let best2 = Infinity
  let foot: [number, number] = [point.lon, point.lat]
  for (const polygon of polygons) {
    for (const ring of polygon) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const [x1, y1] = ring[i] as [number, number]
        const [x2, y2] = ring[i + 1] as [number, number]
        const ax = wrap(x1 - point.lon) * kx
        const ay = y1 - point.lat
        const dx = wrap(x2 - x1) * kx
        const dy = y2 - y1
        const len2 = dx * dx + dy * dy
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2))
        const px = ax + t * dx
        const py = ay + t * dy
        if (px * px + py * py < best2) {
          best2 = px * px + py * py
          foot = [point.lon + px / kx, point.lat + py]
        }
      }
    }
  }
  return best2 === Infinity ? Infinity : haversineKm([point.lon, point.lat], foot)
}
