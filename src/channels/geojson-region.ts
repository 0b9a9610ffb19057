import type { Bbox } from './region-resolver.ts'

/** An uploaded GeoJSON file may be at most this large (the console says so next to the field). */
export const MAX_GEOJSON_BYTES = 1024 * 1024
/** Vertices of one upload, all rings together: keeps each region's point-in-polygon test cheap. */
export const MAX_REGION_VERTICES = 50_000
/** Features of one FeatureCollection: each becomes a region of its own. */
export const MAX_REGIONS_PER_UPLOAD = 200
export const MAX_REGION_NAME = 100
/** More problems than this are summarised: a broken file would otherwise fill the page. */
const MAX_PROBLEMS = 20

/** A validated region: polygons → rings (outer first) → [lon, lat], every ring closed. */
export type ParsedRegion = {
  nameZh: string
  nameEn: string
  polygons: number[][][][]
  bbox: Bbox
  vertexCount: number
}

export type RegionUploadOutcome =
  | { kind: 'ok'; regions: ParsedRegion[] }
  | { kind: 'invalid'; problems: string[] }

type Names = { nameZh?: string | null; nameEn?: string | null }

/** Thrown inside the walk once the vertex budget is spent: nothing after it is worth checking. */
class TooManyVertices extends Error {}

/**
 * Reads an owner's GeoJSON upload into regions, or says what is wrong and where: a Polygon, a
 * MultiPolygon, a Feature of one, or a FeatureCollection of such Features (one region per feature).
 * Every ring must be closed, have at least 4 positions (3 distinct), and keep longitudes within
 * [-180, 180] and latitudes within [-90, 90]. Array positions are counted from 0, as in the file.
 * Names come from each feature's properties (`name_zh`/`nameZh`/`name:zh`, `name_en`/`nameEn`/
 * `name:en`/`name`); for an upload of a single region the form's names take precedence.
 *
 * @example
 * parseRegionUpload('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}', { nameZh: '试点', nameEn: 'Pilot' })
 * // → { kind: 'ok', regions: [{ nameZh: '试点', nameEn: 'Pilot', polygons: [[[[0,0],[1,0],[1,1],[0,0]]]], … }] }
 * parseRegionUpload('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}', names)
 * // → { kind: 'invalid', problems: ['polygon 0, ring 0 is not closed (its last position must repeat the first)'] }
 */
export function parseRegionUpload(text: string, names: Names = {}): RegionUploadOutcome {
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > MAX_GEOJSON_BYTES) return invalid(tooLarge(bytes))
  if (text.trim() === '')
    return invalid('The file is empty: upload a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection.')
  let root: unknown
  try {
    root = JSON.parse(text)
  } catch (err) {
    return invalid(`The file is not valid JSON (${err instanceof Error ? err.message : 'unreadable'}).`)
  }
  const items = topLevelItems(root)
  if (typeof items === 'string') return invalid(items)

  const problems: string[] = []
  const regions: ParsedRegion[] = []
  const budget = { vertices: 0 }
  try {
    for (const item of items) {
      const polygons = readGeometry(item.geometry, item.where, problems, budget)
      const own = namesOf(item.properties)
      const single = items.length === 1
      const nameZh = (single && names.nameZh) || own.nameZh
      const nameEn = (single && names.nameEn) || own.nameEn
      const label = item.where || 'the region'
      const hint = single ? 'fill in the name fields' : 'give each feature properties name_zh and name_en'
      if (!nameZh) problems.push(`${capitalize(label)} has no Chinese name: ${hint}.`)
      else if (nameZh.length > MAX_REGION_NAME)
        problems.push(`${capitalize(label)}: the Chinese name is longer than ${MAX_REGION_NAME} characters.`)
      if (!nameEn) problems.push(`${capitalize(label)} has no English name: ${hint}.`)
      else if (nameEn.length > MAX_REGION_NAME)
        problems.push(`${capitalize(label)}: the English name is longer than ${MAX_REGION_NAME} characters.`)
      if (polygons && nameZh && nameEn) {
        let vertexCount = 0
        for (const polygon of polygons) for (const ring of polygon) vertexCount += ring.length
        regions.push({ nameZh, nameEn, polygons, bbox: bboxOf(polygons), vertexCount })
      }
    }
  } catch (err) {
    if (!(err instanceof TooManyVertices)) throw err
    return invalid(
      `The file has more than ${MAX_REGION_VERTICES.toLocaleString('en')} vertices; simplify the boundaries (for example with mapshaper's -simplify) and upload again.`,
    )
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS)
    if (problems.length > MAX_PROBLEMS) shown.push(`… and ${problems.length - MAX_PROBLEMS} more problems.`)
    return { kind: 'invalid', problems: shown }
  }
  return { kind: 'ok', regions }
}

export function tooLarge(bytes: number): string {
  const mb = (bytes / (1024 * 1024)).toFixed(1)
  return `The file is ${mb} MB; at most ${MAX_GEOJSON_BYTES / (1024 * 1024)} MB is accepted. Simplify the boundaries and upload again.`
}

function invalid(problem: string): RegionUploadOutcome {
  return { kind: 'invalid', problems: [problem] }
}

type Item = { where: string; geometry: unknown; properties: unknown }

const SUPPORTED = 'a Polygon, MultiPolygon, Feature or FeatureCollection'

function topLevelItems(root: unknown): Item[] | string {
  if (!isObject(root) || typeof root.type !== 'string')
    return `The file is JSON but not GeoJSON: it needs a "type" (${SUPPORTED}).`
  switch (root.type) {
    case 'Polygon':
    case 'MultiPolygon':
      return [{ where: '', geometry: root, properties: undefined }]
    case 'Feature':
      return [{ where: '', geometry: root.geometry, properties: root.properties }]
    case 'FeatureCollection': {
      if (!Array.isArray(root.features)) return 'The FeatureCollection has no "features" list.'
      if (root.features.length === 0)
        return 'The FeatureCollection is empty: add at least one Polygon or MultiPolygon feature.'
      if (root.features.length > MAX_REGIONS_PER_UPLOAD)
        return `The file has ${root.features.length} features; at most ${MAX_REGIONS_PER_UPLOAD} regions are accepted at once.`
      const items: Item[] = []
      for (const [i, f] of root.features.entries()) {
        if (!isObject(f) || f.type !== 'Feature') return `Feature ${i} is not a GeoJSON Feature.`
        items.push({ where: `feature ${i}`, geometry: f.geometry, properties: f.properties })
      }
      return items
    }
    default:
      return `GeoJSON type "${String(root.type).slice(0, 40)}" is not supported: upload ${SUPPORTED} of polygons.`
  }
}

function readGeometry(
  geometry: unknown,
  where: string,
  problems: string[],
  budget: { vertices: number },
): number[][][][] | undefined {
  const label = where || 'the feature'
  if (geometry === null || geometry === undefined) {
    problems.push(`${capitalize(label)} has no geometry.`)
    return undefined
  }
  if (!isObject(geometry) || typeof geometry.type !== 'string') {
    problems.push(`${capitalize(label)}: the geometry has no type.`)
    return undefined
  }
  if (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon') {
    problems.push(
      `${capitalize(label)}: geometry type "${geometry.type.slice(0, 40)}" is not supported (use Polygon or MultiPolygon).`,
    )
    return undefined
  }
  const coords = geometry.coordinates
  const polygonsIn = geometry.type === 'Polygon' ? [coords] : coords
  if (!Array.isArray(polygonsIn) || (geometry.type === 'MultiPolygon' && polygonsIn.length === 0)) {
    problems.push(`${capitalize(label)}: the ${geometry.type} has no coordinates.`)
    return undefined
  }
  const before = problems.length
  const polygons: number[][][][] = []
  for (const [p, rings] of polygonsIn.entries()) {
    const at = place(where, `polygon ${p}`)
    if (!Array.isArray(rings) || rings.length === 0) {
      problems.push(`${capitalize(at)} has no rings.`)
      continue
    }
    const polygon: number[][][] = []
    for (const [r, ring] of rings.entries()) {
      const ringOut = readRing(ring, place(at, `ring ${r}`), problems, budget)
      if (ringOut) polygon.push(ringOut)
    }
    polygons.push(polygon)
  }
  return problems.length === before ? polygons : undefined
}

function readRing(
  ring: unknown,
  at: string,
  problems: string[],
  budget: { vertices: number },
): number[][] | undefined {
  if (!Array.isArray(ring)) {
    problems.push(`${capitalize(at)} is not a list of positions.`)
    return undefined
  }
  budget.vertices += ring.length
  if (budget.vertices > MAX_REGION_VERTICES) throw new TooManyVertices()
  if (ring.length < 4) {
    problems.push(
      `${capitalize(at)} has ${ring.length} position${ring.length === 1 ? '' : 's'}; a ring needs at least 4 (the last repeating the first).`,
    )
    return undefined
  }
  const out: number[][] = []
  for (const [k, pos] of ring.entries()) {
    const point = `${at}, point ${k}`
    if (!Array.isArray(pos) || pos.length < 2) {
      problems.push(`${capitalize(point)} is not a [longitude, latitude] pair.`)
      return undefined
    }
    const [lon, lat] = pos
    if (
      typeof lon !== 'number' ||
      typeof lat !== 'number' ||
      !Number.isFinite(lon) ||
      !Number.isFinite(lat)
    ) {
      problems.push(`${capitalize(point)} has a coordinate that is not a finite number.`)
      return undefined
    }
    if (lon < -180 || lon > 180) {
      problems.push(`${capitalize(point)}: longitude ${lon} is outside -180…180.`)
      return undefined
    }
    if (lat < -90 || lat > 90) {
      problems.push(`${capitalize(point)}: latitude ${lat} is outside -90…90.`)
      return undefined
    }
    out.push([lon, lat])
  }
  const first = out[0]!
  const last = out[out.length - 1]!
  if (first[0] !== last[0] || first[1] !== last[1]) {
    problems.push(`${capitalize(at)} is not closed (its last position must repeat the first).`)
    return undefined
  }
  if (new Set(out.map((p) => `${p[0]},${p[1]}`)).size < 3) {
    problems.push(`${capitalize(at)} has fewer than 3 distinct positions, so it encloses nothing.`)
    return undefined
  }
  return out
}

function namesOf(properties: unknown): { nameZh?: string; nameEn?: string } {
  if (!isObject(properties)) return {}
  const pick = (...keys: string[]) => {
    for (const key of keys) {
      const v = properties[key]
      if (typeof v === 'string' && v.trim() !== '') return v.trim()
    }
    return undefined
  }
  return {
    nameZh: pick('name_zh', 'nameZh', 'name:zh', 'NAME_ZH'),
    nameEn: pick('name_en', 'nameEn', 'name:en', 'NAME_EN', 'name'),
  }
}

function bboxOf(polygons: number[][][][]): Bbox {
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const polygon of polygons) {
    for (const [x, y] of polygon[0] ?? []) {
      if (x! < minX) minX = x!
      if (x! > maxX) maxX = x!
      if (y! < minY) minY = y!
      if (y! > maxY) maxY = y!
    }
  }
  return [minX, minY, maxX, maxY]
}

function place(...parts: string[]): string {
  return parts.filter((p) => p !== '').join(', ')
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
