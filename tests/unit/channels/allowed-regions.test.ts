import { beforeAll, describe, expect, it } from 'vitest'
import {
  distanceToPolygonsKm,
  fitToDistributorRegions,
  polygonsContain,
} from '../../../src/channels/allowed-regions.ts'
import { brandRegions, distributorRegions } from '../../../src/channels/channel-schema.ts'
import { haversineKm, type RegionResolver } from '../../../src/channels/region-resolver.ts'
import { defaultRegionResolver } from '../../../src/scans/places.ts'
import { insertDistributor } from '../../support/diversion-fixture.ts'
import { buildTestApp, insertBrand } from '../../support/test-app.ts'

/** A 2°×2° square around (114, 23) with a 1°×1° hole in its middle, closed rings as uploads store them. */
const SQUARE_WITH_HOLE = [
  [
    [
      [113, 22],
      [115, 22],
      [115, 24],
      [113, 24],
      [113, 22],
    ],
    [
      [113.5, 22.5],
      [114.5, 22.5],
      [114.5, 23.5],
      [113.5, 23.5],
      [113.5, 22.5],
    ],
  ],
]

let resolver: RegionResolver
beforeAll(() => {
  resolver = defaultRegionResolver()
})

describe('brand-drawn polygons', () => {
  it('contain a point inside the outer ring but not one in the hole or outside', () => {
    expect(polygonsContain(SQUARE_WITH_HOLE, { lon: 113.2, lat: 23 })).toBe(true)
    expect(polygonsContain(SQUARE_WITH_HOLE, { lon: 114, lat: 23 })).toBe(false)
    expect(polygonsContain(SQUARE_WITH_HOLE, { lon: 116, lat: 23 })).toBe(false)
  })

  it('measure the distance to the nearest edge, 0 inside', () => {
    expect(distanceToPolygonsKm(SQUARE_WITH_HOLE, { lon: 113.2, lat: 23 })).toBe(0)
    // 1° of longitude east of the square's east edge, on the same parallel.
    const east = distanceToPolygonsKm(SQUARE_WITH_HOLE, { lon: 116, lat: 23 })
    expect(east).toBeCloseTo(haversineKm([115, 23], [116, 23]), 0)
    // From the middle of the hole to its edge: half a degree of latitude or a little less of longitude.
    const hole = distanceToPolygonsKm(SQUARE_WITH_HOLE, { lon: 114, lat: 23 })
    expect(hole).toBeCloseTo(haversineKm([114, 23], [114.5, 23]), 0)
  })
})

describe('fitting a point to a distributor’s sales regions', () => {
  async function setup(regions: string[]) {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    const drawn = t.db
      .insert(brandRegions)
      .values({
        brandId: brand.brandId,
        nameZh: '珠三角',
        nameEn: 'Pearl River Delta',
        polygons: SQUARE_WITH_HOLE,
        minLon: 113,
        minLat: 22,
        maxLon: 115,
        maxLat: 24,
        vertexCount: 10,
        createdAt: 0,
      })
      .returning()
      .get()
    const codes = regions.map((r) => (r === 'DRAWN' ? `X${drawn.id}` : r))
    const d = insertDistributor(t, brand.brandId, { code: 'D-1', regions: codes })
    return { t, brand, drawn, owner: { brandId: brand.brandId, distributorId: d.id } }
  }

  it('is unrestricted without sales regions', async () => {
    const s = await setup([])
    expect(fitToDistributorRegions(s.t.db, s.owner, { lon: 121.47, lat: 31.23 }, () => resolver)).toEqual({
      kind: 'unrestricted',
    })
  })

  it('is inside a shipped province or a brand region, and names the nearest when outside all', async () => {
    const s = await setup(['CN-SH', 'DRAWN'])
    const regions = () => resolver
    expect(fitToDistributorRegions(s.t.db, s.owner, { lon: 121.47, lat: 31.23 }, regions)).toMatchObject({
      kind: 'inside',
      region: { code: 'CN-SH' },
    })
    expect(fitToDistributorRegions(s.t.db, s.owner, { lon: 113.2, lat: 23 }, regions)).toMatchObject({
      kind: 'inside',
      region: { code: `X${s.drawn.id}`, nameEn: 'Pearl River Delta' },
    })
    const beijing = fitToDistributorRegions(s.t.db, s.owner, { lon: 116.4, lat: 39.9 }, regions)
    expect(beijing).toMatchObject({ kind: 'outside', nearest: { code: 'CN-SH' } })
    if (beijing.kind !== 'outside') throw new Error('expected outside')
    expect(beijing.allowed.map((r) => r.code)).toEqual(['CN-SH', `X${s.drawn.id}`])
    expect(beijing.nearest.km).toBeGreaterThan(800)
    expect(beijing.nearest.km).toBeLessThan(1100)
    // In the hole of the drawn region: 0.5° from its edge, far from Shanghai.
    const hole = fitToDistributorRegions(s.t.db, s.owner, { lon: 114, lat: 23 }, regions)
    expect(hole).toMatchObject({ kind: 'outside', nearest: { code: `X${s.drawn.id}` } })
    if (hole.kind === 'outside') expect(hole.nearest.km).toBeLessThan(60)
  })

  it('skips a region that no longer exists, and another brand’s drawn region', async () => {
    const s = await setup(['CN-GD'])
    const other = await insertBrand(s.t, { slug: 'rival' })
    const theirs = s.t.db
      .insert(brandRegions)
      .values({ ...s.drawn, id: undefined, brandId: other.brandId })
      .returning()
      .get()
    s.t.db
      .insert(distributorRegions)
      .values([
        { distributorId: s.owner.distributorId, brandId: s.brand.brandId, regionCode: 'X999999' },
        { distributorId: s.owner.distributorId, brandId: s.brand.brandId, regionCode: `X${theirs.id}` },
        { distributorId: s.owner.distributorId, brandId: s.brand.brandId, regionCode: 'ZZ-GONE' },
      ])
      .run()
    const fit = fitToDistributorRegions(s.t.db, s.owner, { lon: 114, lat: 23 }, () => resolver)
    // (114, 23) is in Guangdong, the only region that still stands.
    expect(fit).toMatchObject({ kind: 'inside', region: { code: 'CN-GD' } })
    const far = fitToDistributorRegions(s.t.db, s.owner, { lon: 121.47, lat: 31.23 }, () => resolver)
    if (far.kind !== 'outside') throw new Error('expected outside')
    expect(far.allowed.map((r) => r.code)).toEqual(['CN-GD'])
  })
})
