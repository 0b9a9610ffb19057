import type { DbLike } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import { IMPOSSIBLE_MIN_KM, IMPOSSIBLE_SPEED_KMH } from '../scans/scan-store.ts'
import { fitToDistributorRegions } from './allowed-regions.ts'
import type { SignalKind } from './channel-schema.ts'
import { dropEmptyCases, type NewSignal, recordSignal, withdrawIpSignal } from './diversion-cases.ts'
import { diversionSettingsOf } from './diversion-settings.ts'
import { haversineKm, type RegionResolver } from './region-resolver.ts'

/** How sure a location is before its accuracy is weighed: GPS fixes vs a coarse IP location. */
export const SOURCE_CONFIDENCE = { gps: 0.95, ip: 0.3 } as const
/** The radius assumed for an IP location that reports none (city-level at best). */
export const IP_DEFAULT_RADIUS_KM = 50

/**
 * The confidence of a finding that rests on a position being `distanceKm` away from something
 * (outside the sales region by that much, or that far from another scan):
 *
 *   confidence = base(source) × d / (d + r)
 *
 * where base is 0.95 for GPS and 0.3 for an IP location, d the distance in km, and r the location's
 * accuracy radius in km (for two scans, the sum of both radii; an IP location without one counts
 * 50 km). A fix whose radius is small next to the distance keeps nearly the whole base (GPS ±20 m
 * 863 km out: 0.95); one whose circle reaches across the border is weak (±50 km, 30 km out:
 * 0.95 × 30/80 = 0.36); at d = r it is half the base. The result is rounded to two decimals.
 *
 * @example
 * locationConfidence('gps', 20, 863) // 0.95
 * locationConfidence('gps', 50_000, 30) // 0.36
 */
export function locationConfidence(
  source: 'gps' | 'ip',
  accuracyM: number | null,
  distanceKm: number,
): number {
  return Math.round(SOURCE_CONFIDENCE[source] * weight(distanceKm, radiusKm(source, accuracyM)) * 100) / 100
}

function radiusKm(source: 'gps' | 'ip', accuracyM: number | null): number {
  if (accuracyM === null || !(accuracyM > 0)) return source === 'ip' ? IP_DEFAULT_RADIUS_KM : 0
  return accuracyM / 1000
}

function weight(distanceKm: number, radius: number): number {
  if (!(distanceKm > 0)) return 0
  return distanceKm / (distanceKm + radius)
}

/**
 * Device-count confidence: more phones past the brand's limit make a copied label likelier
 * (a family sharing one item explains one extra phone, not five): 0.5 + 0.15 per phone past the
 * limit, at most 0.95.
 */
export function deviceCountConfidence(devices: number, max: number): number {
  return Math.round(Math.min(0.95, 0.5 + 0.15 * (devices - max)) * 100) / 100
}

type ScanRow = {
  scanId: number
  brandId: number
  codeId: number
  deviceId: string
  at: number
  counted: number
  flag: string | null
  lat: number | null
  lon: number | null
  accuracyM: number | null
  source: 'gps' | 'ip' | null
  regionCode: string | null
  placeEn: string | null
  placeZh: string | null
  distributorId: number | null
  shipmentId: number | null
  batchId: number
  productId: number
  distributorCode: string | null
  distributorName: string | null
}

type OtherScan = {
  id: number
  at: number
  lat: number
  lon: number
  accuracyM: number | null
  source: 'gps' | 'ip' | null
  placeEn: string | null
  placeZh: string | null
  regionCode: string | null
}

const statementsFor = preparedPerConnection((c) => ({
  scan: c.prepare<[number], ScanRow>(`
    SELECT s.id AS scanId, s.brand_id AS brandId, s.code_id AS codeId, s.device_id AS deviceId, s.at,
           s.counted, s.flag, s.lat, s.lon, s.accuracy_m AS accuracyM, s.location_source AS source,
           s.region_code AS regionCode, s.place_en AS placeEn, s.place_zh AS placeZh,
           c.distributor_id AS distributorId, c.shipment_id AS shipmentId, c.batch_id AS batchId,
           b.product_id AS productId, d.code AS distributorCode, d.name AS distributorName
    FROM scans s
    JOIN codes c ON c.id = s.code_id AND c.brand_id = s.brand_id
    JOIN batches b ON b.id = c.batch_id
    LEFT JOIN distributors d ON d.id = c.distributor_id AND d.brand_id = c.brand_id
    WHERE s.id = ?`),
  // The same counterpart recordLocation measured against: the nearest-in-time GPS-located scan of
  // the code from another device.
  otherScan: c.prepare<{ code: number; scan: number; device: string; at: number }, OtherScan>(`
    SELECT id, at, lat, lon, accuracy_m AS accuracyM, location_source AS source, place_en AS placeEn,
           place_zh AS placeZh, region_code AS regionCode
    FROM scans
    WHERE code_id = @code AND id <> @scan AND lat IS NOT NULL AND location_source = 'gps'
      AND device_id <> @device
    ORDER BY abs(at - @at) LIMIT 1`),
  devices: c.prepare<[number], { n: number }>(
    'SELECT count(DISTINCT device_id) AS n FROM scans WHERE code_id = ? AND counted = 1',
  ),
  /** Runs `work` in one transaction (a savepoint inside another): one commit for all the checks. */
  inOneTransaction: c.transaction((work: () => SignalKind[]) => work()),
}))

/**
 * The checks run on a scan once its location consent is settled (located, or declined), or once
 * the scan page of a scan located by IP (IP_LOCATIONS_FILE) is answered, for codes a shipment
 * bound to a distributor; each finding becomes a signal filed in its case
 * (diversion-cases.ts). A check that already left its signal for this scan leaves no second one,
 * so running this again (a retried request) changes nothing. Never call it while the scan page
 * is answered: it is off the hot path on purpose (an IP-located scan's run waits for setImmediate).
 *
 * - off-region: the located point is outside every sales region of the code's distributor;
 *   confidence from `locationConfidence`, with the km to the nearest allowed region;
 * - impossible travel: recordLocation flagged the scan; the signal carries both scans' times,
 *   places, the distance and the implied speed;
 * - device count: more distinct phones on the code than the brand's `max_devices_per_code`.
 *
 * @example
 * const kinds = checkScanForDiversion(db, scanId, () => resolver) // ['off-region']
 */
export function checkScanForDiversion(
  db: DbLike,
  scanId: number,
  regions: () => RegionResolver,
): SignalKind[] {
  return statementsFor(db).inOneTransaction(() => runChecks(db, scanId, regions))
}

function runChecks(db: DbLike, scanId: number, regions: () => RegionResolver): SignalKind[] {
  const q = statementsFor(db)
  const scan = q.scan.get(scanId)
  if (!scan || scan.distributorId === null) return []
  const distributorId = scan.distributorId
  const found: SignalKind[] = []
  const withdrawn: ReturnType<typeof withdrawIpSignal> = []
  const base = {
    brandId: scan.brandId,
    scanId: scan.scanId,
    codeId: scan.codeId,
    distributorId,
    productId: scan.productId,
    batchId: scan.batchId,
    shipmentId: scan.shipmentId,
    regionCode: scan.regionCode ?? '',
    at: scan.at,
  }
  const file = (signal: Omit<NewSignal, keyof typeof base>) => {
    if (recordSignal(db, { ...base, ...signal }).kind === 'recorded') found.push(signal.kind)
  }
  const distributorLabel = `${scan.distributorName ?? 'distributor'} (${scan.distributorCode ?? distributorId})`
  // Reasons outlive the retention of precise coordinates: they name the coarse place only.
  const where = scan.placeEn

  if (scan.lat !== null && scan.lon !== null && scan.source !== null) {
    // A GPS fix shared after the scan was located by IP: its finding replaces the IP one.
    if (scan.source === 'gps') withdrawn.push(...withdrawIpSignal(db, scan.scanId, 'off-region'))
    const point = { lat: scan.lat, lon: scan.lon }
    const fit = fitToDistributorRegions(db, { brandId: scan.brandId, distributorId }, point, regions)
    if (fit.kind === 'outside') {
      const km = fit.nearest.km
      const radius = radiusKm(scan.source, scan.accuracyM)
      const confidence = locationConfidence(scan.source, scan.accuracyM, km)
      file({
        kind: 'off-region',
        confidence,
        distanceKm: km,
        reasons: {
          text:
            `Scanned in ${where ?? 'an unknown place'}, ${formatKm(km)} outside the nearest sales region ` +
            `of ${distributorLabel} (${fit.nearest.nameEn}; allowed: ${fit.allowed.map((r) => r.code).join(', ')}). ` +
            `Location by ${scan.source === 'gps' ? 'GPS' : 'IP address'} ±${formatKm(radius)}; confidence ` +
            `${confidence.toFixed(2)} = ${SOURCE_CONFIDENCE[scan.source]} (${scan.source}) × ` +
            `${formatKm(km)} / (${formatKm(km)} + ${formatKm(radius)}).`,
          place: { zh: scan.placeZh, en: scan.placeEn, regionCode: scan.regionCode },
          nearestRegion: { code: fit.nearest.code, nameEn: fit.nearest.nameEn, nameZh: fit.nearest.nameZh },
          allowedRegions: fit.allowed.map((r) => r.code),
          distanceKm: Math.round(km * 10) / 10,
          source: scan.source,
          accuracyM: scan.accuracyM,
          formula: 'base(source) × d / (d + r)',
          sourceBase: SOURCE_CONFIDENCE[scan.source],
        },
      })
    }
    if (scan.flag === 'impossible-travel') {
      const other = q.otherScan.get({
        code: scan.codeId,
        scan: scan.scanId,
        device: scan.deviceId,
        at: scan.at,
      })
      if (other) {
        const km = haversineKm([other.lon, other.lat], [scan.lon, scan.lat])
        const minutes = Math.max(Math.abs(scan.at - other.at), 60_000) / 60_000
        const kmh = km / (minutes / 60)
        if (km > IMPOSSIBLE_MIN_KM && kmh > IMPOSSIBLE_SPEED_KMH) {
          const radius =
            radiusKm(scan.source, scan.accuracyM) + radiusKm(other.source ?? 'ip', other.accuracyM)
          const sourceBase = Math.min(SOURCE_CONFIDENCE[scan.source], SOURCE_CONFIDENCE[other.source ?? 'ip'])
          const confidence = Math.round(sourceBase * weight(km, radius) * 100) / 100
          const [first, second] =
            other.at <= scan.at
              ? [describeScan(other), describeScan({ ...scan, id: scan.scanId })]
              : [describeScan({ ...scan, id: scan.scanId }), describeScan(other)]
          file({
            kind: 'impossible-travel',
            confidence,
            distanceKm: null,
            reasons: {
              text:
                `Two phones scanned this code ${formatKm(km)} apart within ${Math.round(minutes)} minutes ` +
                `(${first.place ?? 'unknown'} at ${iso(first.at)}, then ${second.place ?? 'unknown'} at ` +
                `${iso(second.at)}): ${Math.round(kmh).toLocaleString('en')} km/h, faster than an airliner ` +
                `(${IMPOSSIBLE_SPEED_KMH} km/h). Two labels carry one code. Confidence ${confidence.toFixed(2)}.`,
              scans: [first, second],
              travelKm: Math.round(km * 10) / 10,
              minutes: Math.round(minutes * 10) / 10,
              speedKmh: Math.round(kmh),
            },
          })
        }
      }
    }
  }

  if (scan.counted === 1) {
    const { maxDevicesPerCode } = diversionSettingsOf(db, scan.brandId)
    const devices = q.devices.get(scan.codeId)?.n ?? 0
    if (devices > maxDevicesPerCode) {
      const confidence = deviceCountConfidence(devices, maxDevicesPerCode)
      file({
        kind: 'device-count',
        confidence,
        distanceKm: null,
        reasons: {
          text:
            `${devices} different phones have scanned this code (the brand's limit is ${maxDevicesPerCode}): ` +
            `its label may have been copied. Confidence ${confidence.toFixed(2)}.`,
          devices,
          maxDevicesPerCode,
          place: where,
        },
      })
    }
  }
  dropEmptyCases(db, withdrawn)
  return found
}

/** A scan as the reasons keep it: time and coarse place, never the precise coordinates (retention). */
function describeScan(s: {
  id: number
  at: number
  placeEn: string | null
  placeZh: string | null
  regionCode: string | null
  accuracyM: number | null
  source: 'gps' | 'ip' | null
}) {
  return {
    scanId: s.id,
    at: s.at,
    place: s.placeEn,
    placeZh: s.placeZh,
    regionCode: s.regionCode,
    accuracyM: s.accuracyM,
    source: s.source,
  }
}

function formatKm(km: number): string {
  if (km < 1) return `${Math.round(km * 1000)} m`
  return `${Math.round(km).toLocaleString('en')} km`
}

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}
