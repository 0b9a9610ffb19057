import { readFileSync } from 'node:fs'

/**
 * Offline region resolver: which country, which Chinese province (Hong Kong, Macau and Taiwan
 * included as CN-HK, CN-MO, CN-TW) and which nearby city a WGS-84 point lies in, from the
 * Natural Earth boundaries shipped in region-data/regions.bin (scripts/extract-regions.ts).
 *
 * ```ts
 * const resolver = createRegionResolver(loadRegions())
 * resolver.resolve(113.26, 23.13)
 * // → { country: { code: 'CN', nameZh: '中国', … }, province: { code: 'CN-GD', nameZh: '广东省', … } }
 * resolver.distanceToRegionKm(121.47, 31.23, 'CN-GD') // ≈ 1,200
 * ```
 *
 * Natural Earth lists Hong Kong, Macau and Taiwan as their own admin-0 units; we keep that as the
 * country (HK, MO, TW) and put CN-HK, CN-MO, CN-TW in the province slot, so a Chinese brand's
 * "Greater China" sales regions and its per-province reports both work.
 */

export type Bbox = readonly [minLon: number, minLat: number, maxLon: number, maxLat: number]

export type City = { nameZh: string; nameEn: string; lon: number; lat: number }

export type Region = {
  /** ISO 3166-1 alpha-2 for countries ('CN', 'US'), ISO 3166-2 style for provinces ('CN-GD'). */
  code: string
  kind: 'country' | 'province'
  /** The country a province belongs to as Natural Earth gives it (CN-HK → 'HK'); a country's own code. */
  country: string
  nameZh: string
  nameEn: string
  bbox: Bbox
  /** Polygons → rings (outer first, then holes) → [lon0, lat0, lon1, lat1, …], implicitly closed. */
  polygons: Float64Array[][]
  /** Places inside this province that can name "PROVINCE/CITY" (only where the source has them). */
  cities: City[]
}

export type PlaceName = { code: string; nameZh: string; nameEn: string }

export type ResolvedPlace = {
  country: PlaceName
  province?: PlaceName
  city?: { nameZh: string; nameEn: string }
}

export type RegionResolver = {
  resolve(lon: number, lat: number): ResolvedPlace | undefined
  byCode(code: string): Region | undefined
  all(): Region[]
  /** Approximate great-circle distance from a point to a region's nearest edge; 0 inside. */
  distanceToRegionKm(lon: number, lat: number, regionCode: string): number
}

const EARTH_RADIUS_KM = 6371.0088
/** Grid cells of the bbox prefilter, in degrees. */
const GRID_DEG = 1
/** Height of the latitude bands a region's edges are bucketed in for the ray cast, in degrees. */
const BAND_DEG = 0.25
/** A city label point further than this from the scan does not name the place. */
const CITY_MAX_KM = 60

type ShippedRegion = {
  code: string
  kind: 'country' | 'province'
  country: string
  nameZh: string
  nameEn: string
  /** Vertex count of each ring of each polygon; the coordinates follow the header as varints. */
  rings?: number[][]
  parts?: string[]
}
type ShippedHeader = {
  scale: number
  regions: ShippedRegion[]
  cities: Array<City & { province: string }>
}

const DATA_URL = new URL('./region-data/regions.bin', import.meta.url)
let loaded: Region[] | undefined

/** The shipped countries and provinces, decoded once per process (the data is immutable). */
export function loadRegions(): Region[] {
  loaded ??= decodeRegions(readFileSync(DATA_URL))
  return loaded
}

/** See scripts/extract-regions.ts: u32 header length, JSON header, zigzag-varint ring deltas. */
function decodeRegions(file: Buffer): Region[] {
  const headerLength = file.readUInt32LE(0)
  const header = JSON.parse(file.toString('utf8', 4, 4 + headerLength)) as ShippedHeader
  let at = 4 + headerLength
  const readInt = (): number => {
    let z = 0
    let factor = 1
    for (;;) {
      const byte = file[at++]!
      z += (byte & 0x7f) * factor
      if (byte < 0x80) break
      factor *= 0x80
    }
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2
  }
  const decodeRing = (vertices: number): Float64Array => {
    const ring = new Float64Array(vertices * 2)
    let x = 0
    let y = 0
    for (let i = 0; i < ring.length; i += 2) {
      x += readInt()
      y += readInt()
      ring[i] = x / header.scale
      ring[i + 1] = y / header.scale
    }
    return ring
  }
  const byCode = new Map<string, Region>()
  const regions: Region[] = []
  for (const r of header.regions) {
    const polygons = (r.rings ?? []).map((polygon) => polygon.map(decodeRing))
    const region: Region = {
      code: r.code,
      kind: r.kind,
      country: r.country,
      nameZh: r.nameZh,
      nameEn: r.nameEn,
      bbox: [0, 0, 0, 0],
      polygons,
      cities: [],
    }
    byCode.set(r.code, region)
    regions.push(region)
  }
  if (at !== file.length) throw new Error(`regions.bin: ${file.length - at} bytes left after the last ring`)
  for (const r of header.regions) {
    if (!r.parts) continue
    byCode.get(r.code)!.polygons = r.parts.flatMap((code) => byCode.get(code)?.polygons ?? [])
  }
  for (const c of header.cities) {
    byCode.get(c.province)?.cities.push({ nameZh: c.nameZh, nameEn: c.nameEn, lon: c.lon, lat: c.lat })
  }
  for (const region of regions) region.bbox = bboxOf(region.polygons)
  return regions
}

function bboxOf(polygons: Float64Array[][]): Bbox {
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const polygon of polygons) {
    const outer = polygon[0]
    if (!outer) continue
    for (let i = 0; i < outer.length; i += 2) {
      const x = outer[i]!
      const y = outer[i + 1]!
      if (x < minX) minX = x
      if (x > maxX) maxX = x
      if (y < minY) minY = y
      if (y > maxY) maxY = y
    }
  }
  return [minX, minY, maxX, maxY]
}

/** Great-circle distance in km between two [lon, lat] points. */
export function haversineKm(a: readonly [number, number], b: readonly [number, number]): number {
  const toRad = Math.PI / 180
  const dLat = (b[1] - a[1]) * toRad
  const dLon = (b[0] - a[0]) * toRad
  const s =
    Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * toRad) * Math.cos(b[1] * toRad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)))
}

/**
 * A region prepared for point-in-polygon: all its edges (every ring of every polygon) in one flat
 * array, bucketed by latitude band. Even-odd counting over all rings handles holes and
 * multipolygons alike, since Natural Earth's parts of one region do not overlap.
 */
type IndexedRegion = {
  region: Region
  minX: number
  minY: number
  maxX: number
  maxY: number
  /** [x1, y1, x2, y2] per edge. */
  edges: Float64Array
  bandStart: Int32Array
  bandEdges: Int32Array
  /** Per polygon: first and past-the-end edge and its bbox, for pruning distance queries. */
  parts: Array<{ from: number; to: number; bbox: Bbox }>
}

function indexRegion(region: Region): IndexedRegion {
  let count = 0
  for (const polygon of region.polygons) for (const ring of polygon) count += ring.length / 2
  const edges = new Float64Array(count * 4)
  const parts: IndexedRegion['parts'] = []
  let e = 0
  for (const polygon of region.polygons) {
    const from = e
    for (const ring of polygon) {
      const n = ring.length / 2
      for (let i = 0; i < n; i++) {
        const j = (i + 1) % n
        edges[e * 4] = ring[i * 2]!
        edges[e * 4 + 1] = ring[i * 2 + 1]!
        edges[e * 4 + 2] = ring[j * 2]!
        edges[e * 4 + 3] = ring[j * 2 + 1]!
        e++
      }
    }
    parts.push({ from, to: e, bbox: bboxOf([polygon]) })
  }
  const [minX, minY, maxX, maxY] = region.bbox
  const bands = Math.max(1, Math.ceil((maxY - minY) / BAND_DEG))
  const lists: number[][] = Array.from({ length: bands }, () => [])
  for (let k = 0; k < e; k++) {
    const y1 = edges[k * 4 + 1]!
    const y2 = edges[k * 4 + 3]!
    if (y1 === y2) continue // a horizontal edge never crosses the horizontal ray
    const lo = Math.max(0, Math.floor((Math.min(y1, y2) - minY) / BAND_DEG))
    const hi = Math.min(bands - 1, Math.floor((Math.max(y1, y2) - minY) / BAND_DEG))
    for (let b = lo; b <= hi; b++) lists[b]!.push(k)
  }
  const bandStart = new Int32Array(bands + 1)
  for (let b = 0; b < bands; b++) bandStart[b + 1] = bandStart[b]! + lists[b]!.length
  const bandEdges = new Int32Array(bandStart[bands]!)
  for (let b = 0; b < bands; b++) bandEdges.set(lists[b]!, bandStart[b]!)
  return { region, minX, minY, maxX, maxY, edges, bandStart, bandEdges, parts }
}

function contains(r: IndexedRegion, x: number, y: number): boolean {
  if (x < r.minX || x > r.maxX || y < r.minY || y > r.maxY) return false
  const band = Math.min(r.bandStart.length - 2, Math.floor((y - r.minY) / BAND_DEG))
  const edges = r.edges
  const list = r.bandEdges
  let inside = false
  for (let i = r.bandStart[band]!, end = r.bandStart[band + 1]!; i < end; i++) {
    const k = list[i]! * 4
    const y1 = edges[k + 1]!
    const y2 = edges[k + 3]!
    if (y1 > y !== y2 > y) {
      const x1 = edges[k]!
      if (x < ((edges[k + 2]! - x1) * (y - y1)) / (y2 - y1) + x1) inside = !inside
    }
  }
  return inside
}

/** A 1° grid over the world; each cell lists the regions whose bbox touches it. */
type Grid = { start: Int32Array; items: Int32Array; regions: IndexedRegion[] }

const GRID_W = Math.round(360 / GRID_DEG)
const GRID_H = Math.round(180 / GRID_DEG)

function cellOf(lon: number, lat: number): number {
  const ix = Math.min(GRID_W - 1, Math.floor((lon + 180) / GRID_DEG))
  const iy = Math.min(GRID_H - 1, Math.floor((lat + 90) / GRID_DEG))
  return iy * GRID_W + ix
}

function buildGrid(regions: IndexedRegion[]): Grid {
  const lists: number[][] = Array.from({ length: GRID_W * GRID_H }, () => [])
  regions.forEach((r, index) => {
    const x0 = Math.max(0, Math.floor((r.minX + 180) / GRID_DEG))
    const x1 = Math.min(GRID_W - 1, Math.floor((r.maxX + 180) / GRID_DEG))
    const y0 = Math.max(0, Math.floor((r.minY + 90) / GRID_DEG))
    const y1 = Math.min(GRID_H - 1, Math.floor((r.maxY + 90) / GRID_DEG))
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) lists[y * GRID_W + x]!.push(index)
  })
  const start = new Int32Array(lists.length + 1)
  for (let c = 0; c < lists.length; c++) start[c + 1] = start[c]! + lists[c]!.length
  const items = new Int32Array(start[lists.length]!)
  for (let c = 0; c < lists.length; c++) items.set(lists[c]!, start[c]!)
  return { start, items, regions }
}

function find(grid: Grid, lon: number, lat: number): IndexedRegion | undefined {
  const cell = cellOf(lon, lat)
  for (let i = grid.start[cell]!, end = grid.start[cell + 1]!; i < end; i++) {
    const r = grid.regions[grid.items[i]!]!
    if (contains(r, lon, lat)) return r
  }
  return undefined
}

function nameOf(region: Region): PlaceName {
  return { code: region.code, nameZh: region.nameZh, nameEn: region.nameEn }
}

function nearestCity(province: Region, lon: number, lat: number): City | undefined {
  let best: City | undefined
  let bestKm = CITY_MAX_KM
  for (const city of province.cities) {
    const km = haversineKm([lon, lat], [city.lon, city.lat])
    if (km < bestKm) {
      bestKm = km
      best = city
    }
  }
  return best
}

/**
 * Distance from (lon, lat) to the nearest edge of a region outside it: edges are compared in a
 * local equirectangular plane around the point (good to a few percent over a few thousand km),
 * polygons whose bbox is already further than the best edge are skipped, and the winning foot
 * point is measured with haversine.
 */
function distanceOutsideKm(r: IndexedRegion, lon: number, lat: number): number {
  const kx = Math.cos((lat * Math.PI) / 180)
  const wrap = (dx: number) => (dx > 180 ? dx - 360 : dx < -180 ? dx + 360 : dx)
  let best2 = Infinity
  let bestX = lon
  let bestY = lat
  const e = r.edges
  for (const part of r.parts) {
    const [minX, minY, maxX, maxY] = part.bbox
    const bx = lon < minX ? minX - lon : lon > maxX ? lon - maxX : 0
    const by = lat < minY ? minY - lat : lat > maxY ? lat - maxY : 0
    if (maxX - minX < 180 && (bx * kx) ** 2 + by ** 2 >= best2) continue
    for (let k = part.from * 4; k < part.to * 4; k += 4) {
      const ax = wrap(e[k]! - lon) * kx
      const ay = e[k + 1]! - lat
      const dx = wrap(e[k + 2]! - e[k]!) * kx
      const dy = e[k + 3]! - e[k + 1]!
      const len2 = dx * dx + dy * dy
      const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2))
      const px = ax + t * dx
      const py = ay + t * dy
      const d2 = px * px + py * py
      if (d2 < best2) {
        best2 = d2
        bestX = lon + px / kx
        bestY = lat + py
      }
    }
  }
  return best2 === Infinity ? Infinity : haversineKm([lon, lat], [bestX, bestY])
}

/** Builds the lookup indexes once (≈ tens of ms); resolve() is then allocation-light and sub-µs to µs. */
export function createRegionResolver(regions: Region[]): RegionResolver {
  const indexed = new Map<string, IndexedRegion>()
  for (const region of regions) if (region.polygons.length > 0) indexed.set(region.code, indexRegion(region))
  const byCode = new Map(regions.map((r) => [r.code, r]))
  const provinces = buildGrid([...indexed.values()].filter((r) => r.region.kind === 'province'))
  // A country shipped as the union of provinces is found through its provinces, not searched twice.
  const countries = buildGrid(
    [...indexed.values()].filter(
      (r) =>
        r.region.kind === 'country' &&
        !regions.some((p) => p.kind === 'province' && p.country === r.region.code),
    ),
  )

  return {
    resolve(lon, lat) {
      if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) return undefined
      const province = find(provinces, lon, lat)?.region
      if (province) {
        const country = byCode.get(province.country)
        if (!country) return undefined
        const city = nearestCity(province, lon, lat)
        return {
          country: nameOf(country),
          province: nameOf(province),
          ...(city ? { city: { nameZh: city.nameZh, nameEn: city.nameEn } } : {}),
        }
      }
      const country = find(countries, lon, lat)?.region
      return country ? { country: nameOf(country) } : undefined
    },
    byCode: (code) => byCode.get(code),
    all: () => regions,
    distanceToRegionKm(lon, lat, regionCode) {
      const r = indexed.get(regionCode)
      if (!r) throw new Error(`unknown region ${regionCode}`)
      return contains(r, lon, lat) ? 0 : distanceOutsideKm(r, lon, lat)
    },
  }
}
