import { describe, expect, it } from 'vitest'
import { brandRegionToRegion } from '../../../src/channels/brand-region-store.ts'
import {
  MAX_GEOJSON_BYTES,
  MAX_REGION_VERTICES,
  type ParsedRegion,
  parseRegionUpload,
} from '../../../src/channels/geojson-region.ts'
import { createRegionResolver, loadRegions } from '../../../src/channels/region-resolver.ts'

const square = (x: number, y: number, size = 1) => [
  [x, y],
  [x + size, y],
  [x + size, y + size],
  [x, y + size],
  [x, y],
]
const polygon = (rings: number[][][]) => ({ type: 'Polygon', coordinates: rings })
const feature = (
  geometry: unknown,
  properties: Record<string, unknown> = { name_zh: '区', name_en: 'Zone' },
) => ({
  type: 'Feature',
  geometry,
  properties,
})
const names = { nameZh: '试点区', nameEn: 'Pilot zone' }

function problemsOf(text: string, n: { nameZh?: string; nameEn?: string } = names): string[] {
  const outcome = parseRegionUpload(text, n)
  if (outcome.kind !== 'invalid') throw new Error('expected the upload to be refused')
  return outcome.problems
}

function regionsOf(text: string, n: { nameZh?: string; nameEn?: string } = names): ParsedRegion[] {
  const outcome = parseRegionUpload(text, n)
  if (outcome.kind !== 'ok') throw new Error(`refused: ${outcome.problems.join(' | ')}`)
  return outcome.regions
}

describe('reading an uploaded GeoJSON region', () => {
  it('accepts a Polygon with a hole, named by the form', () => {
    const [region] = regionsOf(JSON.stringify(polygon([square(100, 20, 4), square(101, 21, 1)])))
    expect(region).toMatchObject({
      nameZh: '试点区',
      nameEn: 'Pilot zone',
      vertexCount: 10,
      bbox: [100, 20, 104, 24],
    })
    expect(region!.polygons).toHaveLength(1)
    expect(region!.polygons[0]).toHaveLength(2)
  })

  it('accepts a FeatureCollection, one region per feature named by its properties', () => {
    const text = JSON.stringify({
      type: 'FeatureCollection',
      features: [
        feature(polygon([square(0, 0)]), { name_zh: '甲', name_en: 'A' }),
        feature(
          { type: 'MultiPolygon', coordinates: [[square(10, 10)], [square(20, 20)]] },
          { nameZh: '乙', name: 'B' },
        ),
      ],
    })
    const regions = regionsOf(text, {})
    expect(regions.map((r) => [r.nameZh, r.nameEn, r.polygons.length])).toEqual([
      ['甲', 'A', 1],
      ['乙', 'B', 2],
    ])
    expect(regions[1]!.bbox).toEqual([10, 10, 21, 21])
  })

  it('drops altitudes and keeps only longitude and latitude', () => {
    const ring = square(5, 5).map(([x, y]) => [x!, y!, 120])
    const [region] = regionsOf(JSON.stringify(feature(polygon([ring]))))
    expect(region!.polygons[0]![0]![0]).toEqual([5, 5])
  })

  it.each([
    ['', 'The file is empty'],
    ['   \n', 'The file is empty'],
    ['{"type": "Polygon", ', 'The file is not valid JSON'],
    ['[1, 2, 3]', 'not GeoJSON: it needs a "type"'],
    ['{"type":"Point","coordinates":[1,2]}', 'GeoJSON type "Point" is not supported'],
    ['{"type":"GeometryCollection","geometries":[]}', 'GeoJSON type "GeometryCollection" is not supported'],
    ['{"type":"FeatureCollection","features":[]}', 'The FeatureCollection is empty'],
    ['{"type":"FeatureCollection"}', 'has no "features" list'],
    ['{"type":"Feature","geometry":null,"properties":{}}', 'The feature has no geometry.'],
    ['{"type":"Polygon","coordinates":[]}', 'Polygon 0 has no rings.'],
    ['{"type":"MultiPolygon","coordinates":[]}', 'the MultiPolygon has no coordinates'],
  ])('refuses %j: %s', (text, message) => {
    const problems = problemsOf(text)
    expect(problems.join(' ')).toContain(message)
  })

  it('names the feature, polygon and ring of an unclosed ring', () => {
    const open = square(0, 0).slice(0, 4)
    const text = JSON.stringify({
      type: 'FeatureCollection',
      features: [
        feature(polygon([square(0, 0)])),
        feature(polygon([square(0, 0)])),
        feature({ type: 'MultiPolygon', coordinates: [[square(0, 0)], [square(3, 3), [...open, [0, 0.5]]]] }),
      ],
    })
    expect(problemsOf(text, {})).toEqual([
      'Feature 2, polygon 1, ring 1 is not closed (its last position must repeat the first).',
    ])
  })

  it('names the point whose longitude or latitude is out of range', () => {
    const lon = square(179.5, 0)
    expect(problemsOf(JSON.stringify(polygon([lon])))).toEqual([
      'Polygon 0, ring 0, point 1: longitude 180.5 is outside -180…180.',
    ])
    const lat = square(0, 89.5)
    expect(problemsOf(JSON.stringify(polygon([lat])))).toEqual([
      'Polygon 0, ring 0, point 2: latitude 90.5 is outside -90…90.',
    ])
  })

  it('refuses rings with fewer than 4 positions or fewer than 3 distinct ones', () => {
    expect(
      problemsOf(
        JSON.stringify(
          polygon([
            [
              [0, 0],
              [1, 1],
              [0, 0],
            ],
          ]),
        ),
      ),
    ).toEqual(['Polygon 0, ring 0 has 3 positions; a ring needs at least 4 (the last repeating the first).'])
    const flat = [
      [0, 0],
      [1, 1],
      [0, 0],
      [1, 1],
      [0, 0],
    ]
    expect(problemsOf(JSON.stringify(polygon([flat])))[0]).toContain('fewer than 3 distinct positions')
  })

  it('refuses coordinates that are not finite numbers', () => {
    for (const bad of ['"12"', 'null', '1e400', 'true']) {
      const text = `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,${bad}],[0,0]]]}`
      expect(problemsOf(text), bad).toEqual([
        'Polygon 0, ring 0, point 2 has a coordinate that is not a finite number.',
      ])
    }
    const notPair = '{"type":"Polygon","coordinates":[[[0,0],[1],[1,1],[0,0]]]}'
    expect(problemsOf(notPair)).toEqual(['Polygon 0, ring 0, point 1 is not a [longitude, latitude] pair.'])
  })

  it('requires Chinese and English names', () => {
    const text = JSON.stringify(polygon([square(0, 0)]))
    expect(problemsOf(text, {})).toEqual([
      'The region has no Chinese name: fill in the name fields.',
      'The region has no English name: fill in the name fields.',
    ])
    const many = JSON.stringify({
      type: 'FeatureCollection',
      features: [feature(polygon([square(0, 0)])), feature(polygon([square(0, 0)]), { name_zh: '丙' })],
    })
    expect(problemsOf(many, names)).toEqual([
      'Feature 1 has no English name: give each feature properties name_zh and name_en.',
    ])
  })

  it('refuses more vertices than the limit, and a file over the size limit', () => {
    const ring: number[][] = []
    for (let i = 0; i < MAX_REGION_VERTICES; i++) ring.push([i % 90, (i * 7) % 80])
    ring.push(ring[0]!)
    expect(problemsOf(JSON.stringify(polygon([ring])))[0]).toContain(
      `more than ${MAX_REGION_VERTICES.toLocaleString('en')} vertices`,
    )
    const big = JSON.stringify({ ...polygon([square(0, 0)]), pad: 'x'.repeat(MAX_GEOJSON_BYTES) })
    expect(problemsOf(big)[0]).toMatch(/^The file is 1\.0 MB; at most 1 MB is accepted/)
  })

  it('lists several problems at once, and summarises beyond twenty', () => {
    const features = Array.from({ length: 30 }, (_, i) =>
      feature(polygon([square(0, 0).slice(0, 4)]), { name_zh: `${i}`, name_en: `${i}` }),
    )
    const problems = problemsOf(JSON.stringify({ type: 'FeatureCollection', features }), {})
    expect(problems).toHaveLength(21)
    expect(problems[0]).toBe(
      'Feature 0, polygon 0, ring 0 is not closed (its last position must repeat the first).',
    )
    expect(problems[20]).toBe('… and 10 more problems.')
  })
})

describe('a stored brand region in the resolver', () => {
  it('becomes a region X<id> that resolves points inside it and measures distance to it', () => {
    const [parsed] = regionsOf(JSON.stringify(polygon([square(113, 22, 2), square(113.5, 22.5, 0.5)])))
    const row = {
      id: 7,
      brandId: 1,
      nameZh: parsed!.nameZh,
      nameEn: parsed!.nameEn,
      polygons: parsed!.polygons,
      minLon: parsed!.bbox[0],
      minLat: parsed!.bbox[1],
      maxLon: parsed!.bbox[2],
      maxLat: parsed!.bbox[3],
      vertexCount: parsed!.vertexCount,
      createdByStaffId: null,
      createdAt: 0,
    }
    const region = brandRegionToRegion(row)
    expect(region).toMatchObject({
      code: 'X7',
      kind: 'province',
      country: 'X',
      bbox: [113, 22, 115, 24],
      cities: [],
    })
    // Rings are flat and implicitly closed: 4 points, not 5.
    expect(region.polygons[0]![0]).toBeInstanceOf(Float64Array)
    expect(Array.from(region.polygons[0]![0]!)).toEqual([113, 22, 115, 22, 115, 24, 113, 24])
    const resolver = createRegionResolver([region])
    expect(resolver.distanceToRegionKm(114.5, 23.5, 'X7')).toBe(0)
    // Inside the hole is outside the region.
    expect(resolver.distanceToRegionKm(113.75, 22.75, 'X7')).toBeGreaterThan(0)
    expect(resolver.distanceToRegionKm(121.47, 31.23, 'X7')).toBeGreaterThan(900)
    // Next to the shipped regions it does not disturb their lookups.
    const all = createRegionResolver([...loadRegions(), region])
    expect(all.resolve(113.26, 23.13)?.province?.code).toBe('CN-GD')
  })
})
