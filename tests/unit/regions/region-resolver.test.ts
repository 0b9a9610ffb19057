import { beforeAll, describe, expect, it } from 'vitest'
import {
  createRegionResolver,
  haversineKm,
  loadRegions,
  type RegionResolver,
} from '../../../src/channels/region-resolver.ts'

let resolver: RegionResolver

beforeAll(() => {
  resolver = createRegionResolver(loadRegions())
})

const SHANGHAI = [121.47, 31.23] as const
const GUANGZHOU = [113.26, 23.13] as const

describe('resolving a scan location to a region', () => {
  it('names Guangzhou as Guangdong, China', () => {
    const place = resolver.resolve(...GUANGZHOU)
    expect(place?.country.code).toBe('CN')
    expect(place?.province).toMatchObject({ code: 'CN-GD', nameEn: 'Guangdong' })
    expect(place?.province?.nameZh).toContain('广东')
  })

  it.each([
    ['Shanghai', SHANGHAI[0], SHANGHAI[1], 'CN-SH', '上海'],
    ['Beijing', 116.4, 39.9, 'CN-BJ', '北京'],
    ['Ürümqi', 87.62, 43.83, 'CN-XJ', '新疆'],
    ['Lhasa', 91.13, 29.65, 'CN-XZ', '西藏'],
    ['Shenzhen', 114.06, 22.54, 'CN-GD', '广东'],
  ])('names %s by its province', (_name, lon, lat, code, zh) => {
    const place = resolver.resolve(lon, lat)
    expect(place?.country.code).toBe('CN')
    expect(place?.province?.code).toBe(code)
    expect(place?.province?.nameZh).toContain(zh)
  })

  it('puts Hong Kong, Macau and Taiwan in the province slot, keeping the country Natural Earth gives', () => {
    expect(resolver.resolve(114.17, 22.32)).toMatchObject({
      country: { code: 'HK' },
      province: { code: 'CN-HK', nameZh: '香港', nameEn: 'Hong Kong' },
    })
    expect(resolver.resolve(113.54, 22.19)).toMatchObject({
      country: { code: 'MO' },
      province: { code: 'CN-MO' },
    })
    expect(resolver.resolve(121.56, 25.04)).toMatchObject({
      country: { code: 'TW' },
      province: { code: 'CN-TW', nameZh: '台湾' },
      city: { nameZh: '台北市', nameEn: 'Taipei' },
    })
  })

  it.each([
    ['Paris', 2.35, 48.86, 'FR', '法国'],
    ['New York', -74.0, 40.71, 'US', '美国'],
    ['Sydney', 151.21, -33.87, 'AU', '澳大利亚'],
  ])('names %s by its country only', (_name, lon, lat, code, zh) => {
    const place = resolver.resolve(lon, lat)
    expect(place?.country).toMatchObject({ code, nameZh: zh })
    expect(place?.province).toBeUndefined()
  })

  it('finds nothing in the middle of the Pacific or for impossible coordinates', () => {
    expect(resolver.resolve(-150, 0)).toBeUndefined()
    expect(resolver.resolve(Number.NaN, 10)).toBeUndefined()
    expect(resolver.resolve(200, 10)).toBeUndefined()
  })

  it('respects holes: Lesotho is not South Africa', () => {
    expect(resolver.resolve(28.2, -29.6)?.country.code).toBe('LS')
    expect(resolver.resolve(28.0, -26.2)?.country.code).toBe('ZA')
  })
})

describe('the shipped regions', () => {
  it('are every country and China’s 34 provincial units, each with a Chinese and an English name', () => {
    const all = resolver.all()
    const provinces = all.filter((r) => r.kind === 'province')
    expect(provinces).toHaveLength(34)
    expect(all.filter((r) => r.kind === 'country').length).toBeGreaterThan(230)
    for (const r of all) {
      expect(r.nameZh, r.code).toMatch(/\p{Script=Han}/u)
      expect(r.nameEn, r.code).toMatch(/^\p{Lu}/u)
      expect(r.polygons.length, r.code).toBeGreaterThan(0)
    }
  })

  it('are found by code', () => {
    expect(resolver.byCode('CN-GD')).toMatchObject({ kind: 'province', country: 'CN', nameEn: 'Guangdong' })
    expect(resolver.byCode('US')).toMatchObject({ kind: 'country', nameZh: '美国' })
    expect(resolver.byCode('XX')).toBeUndefined()
  })

  it('are loaded once per process', () => {
    expect(loadRegions()).toBe(loadRegions())
  })
})

describe('distance to a region', () => {
  it('is zero inside the region', () => {
    expect(resolver.distanceToRegionKm(...GUANGZHOU, 'CN-GD')).toBe(0)
    expect(resolver.distanceToRegionKm(...SHANGHAI, 'CN')).toBe(0)
  })

  it('measures Shanghai to Guangdong’s nearest border (NE Guangdong, ≈ 860 km), less than to Guangzhou', () => {
    const toBorder = resolver.distanceToRegionKm(...SHANGHAI, 'CN-GD')
    const toCity = haversineKm(SHANGHAI, GUANGZHOU)
    expect(toCity).toBeGreaterThan(1000)
    expect(toCity).toBeLessThan(1400)
    expect(toBorder).toBeGreaterThan(760)
    expect(toBorder).toBeLessThan(960)
  })

  it('is small just across a border and grows with distance', () => {
    // Zhuhai is in Guangdong, a few km from Macau.
    const nearMacau = resolver.distanceToRegionKm(113.56, 22.27, 'CN-MO')
    expect(nearMacau).toBeGreaterThan(0)
    expect(nearMacau).toBeLessThan(15)
    expect(resolver.distanceToRegionKm(2.35, 48.86, 'CN')).toBeGreaterThan(5000)
  })

  it('refuses an unknown region code', () => {
    expect(() => resolver.distanceToRegionKm(0, 0, 'NOPE')).toThrow(/unknown region/)
  })
})

describe('haversineKm', () => {
  it('measures a degree of latitude as ≈ 111 km and a point to itself as 0', () => {
    expect(haversineKm([0, 0], [0, 1])).toBeCloseTo(111.2, 0)
    expect(haversineKm([121.47, 31.23], [121.47, 31.23])).toBe(0)
  })
})
