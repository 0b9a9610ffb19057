import type { Places } from '../app-deps.ts'
import {
  createRegionResolver,
  haversineKm,
  loadRegions,
  type RegionResolver,
  type ResolvedPlace,
} from '../channels/region-resolver.ts'

/** Great-circle distance in km between two WGS-84 points. */
export function greatCircleKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  return haversineKm([a.lon, a.lat], [b.lon, b.lat])
}

/**
 * The coarse place a consumer sees ("广东省 广州市", "Guangdong, China"): province (and city where
 * the data has one) inside China, the country elsewhere; never the precise position.
 */
export function describePlace(place: ResolvedPlace): { code: string; zh: string; en: string } {
  const { country, province, city } = place
  if (!province) return { code: country.code, zh: country.nameZh, en: country.nameEn }
  return {
    code: province.code,
    zh: city ? `${province.nameZh} ${city.nameZh}` : province.nameZh,
    en: city ? `${city.nameEn}, ${province.nameEn}` : `${province.nameEn}, ${country.nameEn}`,
  }
}

let cached: Places | undefined
let cachedResolver: RegionResolver | undefined

/**
 * The resolver over the shipped regions, built once per process on first use; the scan places and
 * the diversion checks share it (the data is loaded and indexed once).
 */
export function defaultRegionResolver(): RegionResolver {
  cachedResolver ??= createRegionResolver(loadRegions())
  return cachedResolver
}

/** The shipped offline regions, loaded once per process (~0.4 s) on first use. */
export function defaultPlaces(): Places {
  if (!cached) {
    const resolver = defaultRegionResolver()
    cached = {
      resolvePlace: (lon, lat) => {
        const place = resolver.resolve(lon, lat)
        return place ? describePlace(place) : undefined
      },
      distanceKm: greatCircleKm,
      regionResolver: defaultRegionResolver,
    }
  }
  return cached
}
