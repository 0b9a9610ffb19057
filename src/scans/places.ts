import type { Places } from '../app-deps.ts'

const EARTH_RADIUS_KM = 6371.0088

/** Great-circle distance in km (haversine). */
export function greatCircleKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLon = (b.lon - a.lon) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)))
}

let cached: Places | undefined

/** The shipped offline regions, loaded once per process. */
export function defaultPlaces(): Places {
  cached ??= { resolvePlace: () => undefined, distanceKm: greatCircleKm }
  return cached
}
