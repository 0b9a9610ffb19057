import { loadRegions, type Region } from '../../src/channels/region-resolver.ts'

/**
 * A choropleth of counts per region, drawn on the server as SVG from the shipped boundaries (no
 * tile server, nothing fetched by the browser), with the same numbers in a table beside it for
 * screen readers and for reading exact figures.
 *
 * @example
 * <RegionMap title="Diverted scans by province" scope="china" counts={new Map([['CN-SH', 12]])} />
 */
export type RegionMapProps = {
  /** Region code → count: 'CN-GD'-style provinces for 'china', ISO alpha-2 countries for 'world'. */
  counts: ReadonlyMap<string, number>
  scope: MapScope
  /** Dots drawn over the regions (e.g. scan positions), with a tooltip each. */
  points?: { lon: number; lat: number; label: string }[]
  title: string
  /** Rendered width in CSS pixels (the drawing scales; default 640). */
  width?: number
  /** Regions drawn with a heavy outline, e.g. a distributor's sales regions. */
  outlined?: readonly string[]
}

export type MapScope = 'china' | 'world'

/** The drawing's own coordinate width; paths are integers in this space. */
const VIEW_WIDTH = 1000
/** Douglas-Peucker tolerance in view units: below half a unit the eye sees no difference. */
const SIMPLIFY_TOLERANCE = 0.6
const DEFAULT_WIDTH = 640
const LEGEND_HEIGHT = 48
/** ColorBrewer OrRd, 5 classes: sequential, readable for the common colour-vision deficiencies. */
const PALETTE = ['#fdd49e', '#fdbb84', '#fc8d59', '#e34a33', '#b30000'] as const
export const NO_DATA_FILL = '#e8ecf1'
/** Antarctica has no distribution channel and would take a fifth of the world drawing. */
const WORLD_EXCLUDED = new Set(['AQ'])
const WORLD_MIN_LAT = -58

type Projected = { code: string; nameEn: string; nameZh: string; d: string }
type Projection = { height: number; project(lon: number, lat: number): [number, number] }
type Drawing = Projection & { regions: Projected[]; byCode: Map<string, Projected> }

const drawings = new Map<MapScope, Drawing>()

/** Province codes of China on the China map: the 31 provinces and CN-HK, CN-MO, CN-TW. */
function regionsOf(scope: MapScope): Region[] {
  return loadRegions().filter((r) =>
    scope === 'china'
      ? r.kind === 'province' && r.code.startsWith('CN-')
      : r.kind === 'country' && !WORLD_EXCLUDED.has(r.code),
  )
}

function projectionFor(regions: Region[], scope: MapScope): Projection {
  let minLon = Infinity
  let minLat = Infinity
  let maxLon = -Infinity
  let maxLat = -Infinity
  for (const r of regions) {
    if (r.polygons.length === 0) continue
    minLon = Math.min(minLon, r.bbox[0])
    minLat = Math.min(minLat, r.bbox[1])
    maxLon = Math.max(maxLon, r.bbox[2])
    maxLat = Math.max(maxLat, r.bbox[3])
  }
  if (scope === 'world') minLat = Math.max(minLat, WORLD_MIN_LAT)
  // Equirectangular with the longitude scaled by cos(middle latitude): China keeps its shape.
  const kx = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180)
  const scale = VIEW_WIDTH / ((maxLon - minLon) * kx)
  return {
    height: Math.ceil((maxLat - minLat) * scale),
    project: (lon, lat) => [(lon - minLon) * kx * scale, (maxLat - lat) * scale],
  }
}

/** Douglas-Peucker over a closed ring in view units; keeps index 0 and returns kept indexes. */
function simplifyRing(xy: Float64Array, tolerance: number): number[] {
  const n = xy.length / 2
  if (n <= 3) return Array.from({ length: n }, (_, i) => i)
  const keep = new Uint8Array(n + 1)
  keep[0] = 1
  keep[n] = 1
  const at = (i: number) => (i === n ? 0 : i) * 2
  const stack: number[] = [0, n]
  const tol2 = tolerance * tolerance
  while (stack.length > 0) {
    const last = stack.pop()!
    const first = stack.pop()!
    const ax = xy[at(first)]!
    const ay = xy[at(first) + 1]!
    const dx = xy[at(last)]! - ax
    const dy = xy[at(last) + 1]! - ay
    const len2 = dx * dx + dy * dy
    let worst = -1
    let worst2 = tol2
    for (let i = first + 1; i < last; i++) {
      const px = xy[i * 2]! - ax
      const py = xy[i * 2 + 1]! - ay
      let d2: number
      if (len2 === 0) d2 = px * px + py * py
      else {
        const t = Math.max(0, Math.min(1, (px * dx + py * dy) / len2))
        d2 = (px - t * dx) ** 2 + (py - t * dy) ** 2
      }
      if (d2 > worst2) {
        worst2 = d2
        worst = i
      }
    }
    if (worst > 0) {
      keep[worst] = 1
      stack.push(first, worst, worst, last)
    }
  }
  const kept: number[] = []
  for (let i = 0; i < n; i++) if (keep[i]) kept.push(i)
  return kept
}

/** One ring as a compact path: integer view units, relative moves, repeated points dropped. */
function ringPath(xy: Float64Array, kept: number[]): { d: string; points: number } {
  let d = ''
  let px = 0
  let py = 0
  let points = 0
  for (const i of kept) {
    const x = Math.round(xy[i * 2]!)
    const y = Math.round(xy[i * 2 + 1]!)
    if (points === 0) d = `M${x} ${y}`
    else if (x === px && y === py) continue
    else d += `${points === 1 ? 'l' : ' '}${x - px} ${y - py}`
    px = x
    py = y
    points++
  }
  return { d: `${d}z`, points }
}

function regionPath(region: Region, projection: Projection): string {
  const rings: { d: string; points: number; size: number }[] = []
  for (const polygon of region.polygons) {
    for (const ring of polygon) {
      const xy = new Float64Array(ring.length)
      let minX = Infinity
      let maxX = -Infinity
      let minY = Infinity
      let maxY = -Infinity
      for (let i = 0; i < ring.length; i += 2) {
        const [x, y] = projection.project(ring[i]!, ring[i + 1]!)
        xy[i] = x
        xy[i + 1] = y
        minX = Math.min(minX, x)
        maxX = Math.max(maxX, x)
        minY = Math.min(minY, y)
        maxY = Math.max(maxY, y)
      }
      rings.push({ ...ringPath(xy, simplifyRing(xy, SIMPLIFY_TOLERANCE)), size: maxX - minX + maxY - minY })
    }
  }
  // Islands and holes smaller than a view unit vanish; a region that is all such (Macau, Andorra on
  // the world map) keeps its largest ring, so it can still be pointed at and read in its tooltip.
  const visible = rings.filter((r) => r.points >= 3 && r.size >= 1)
  if (visible.length > 0) return visible.map((r) => r.d).join('')
  const largest = rings.sort((a, b) => b.size - a.size)[0]
  if (!largest) return ''
  const [, x = '0', y = '0'] = /^M(-?\d+) (-?\d+)/.exec(largest.d) ?? []
  // A one-unit diamond: small but hoverable.
  return `M${x} ${Number(y) - 1}l1 1l-1 1l-1 -1z`
}

/** Projects and simplifies a scope's boundaries once per process; later maps reuse the strings. */
function drawingFor(scope: MapScope): Drawing {
  let drawing = drawings.get(scope)
  if (!drawing) {
    const regions = regionsOf(scope).filter((r) => r.polygons.length > 0)
    const projection = projectionFor(regions, scope)
    const projected = regions.map((r) => ({
      code: r.code,
      nameEn: r.nameEn,
      nameZh: r.nameZh,
      d: regionPath(r, projection),
    }))
    drawing = { ...projection, regions: projected, byCode: new Map(projected.map((r) => [r.code, r])) }
    drawings.set(scope, drawing)
  }
  return drawing
}

/**
 * Upper bounds of the legend's classes for counts up to `max`: one class per value when there are
 * few, else five classes of equal width rounded up.
 *
 * @example
 * classBreaks(3) // [1, 2, 3]
 * classBreaks(100) // [20, 40, 60, 80, 100]
 */
export function classBreaks(max: number): number[] {
  if (max <= 0) return []
  if (max <= PALETTE.length) return Array.from({ length: max }, (_, i) => i + 1)
  const breaks: number[] = []
  for (let i = 1; i <= PALETTE.length; i++) {
    const bound = Math.ceil((max * i) / PALETTE.length)
    if (bound > (breaks.at(-1) ?? 0)) breaks.push(bound)
  }
  return breaks
}

/** The fill of a count: the palette's class for it, `NO_DATA_FILL` for zero or nothing. */
export function fillFor(count: number | undefined, breaks: number[]): string {
  if (!count || count <= 0 || breaks.length === 0) return NO_DATA_FILL
  const k = breaks.findIndex((b) => count <= b)
  const index = k < 0 ? breaks.length - 1 : k
  // Spread fewer classes over the whole palette so that one class is not the palest colour.
  const colour =
    breaks.length === 1
      ? PALETTE.length - 1
      : Math.round((index * (PALETTE.length - 1)) / (breaks.length - 1))
  return PALETTE[colour]!
}

/**
 * Adds province counts into their countries (CN-GD → CN, CN-HK → HK, as Natural Earth counts
 * them), so a world map can show what a report counted by province.
 *
 * @example
 * rollUpToCountries(new Map([['CN-GD', 2], ['CN-SH', 1], ['US', 4]])) // Map { 'CN' => 3, 'US' => 4 }
 */
export function rollUpToCountries(counts: ReadonlyMap<string, number>): Map<string, number> {
  const countryOf = new Map(loadRegions().map((r) => [r.code, r.country]))
  const out = new Map<string, number>()
  for (const [code, n] of counts) {
    const country = countryOf.get(code)
    if (country) out.set(country, (out.get(country) ?? 0) + n)
  }
  return out
}

function label(r: { nameEn: string; nameZh: string }): string {
  return r.nameZh && r.nameZh !== r.nameEn ? `${r.nameEn} (${r.nameZh})` : r.nameEn
}

function rangeText(breaks: number[], i: number): string {
  const from = i === 0 ? 1 : breaks[i - 1]! + 1
  const to = breaks[i]!
  return from === to ? String(to) : `${from}–${to}`
}

export function RegionMap(props: RegionMapProps) {
  const drawing = drawingFor(props.scope)
  const width = props.width ?? DEFAULT_WIDTH
  const shown = [...props.counts]
    .filter(([code, n]) => n > 0 && drawing.byCode.has(code))
    .map(([code, n]) => ({ region: drawing.byCode.get(code)!, count: n }))
    .sort((a, b) => b.count - a.count || a.region.code.localeCompare(b.region.code))
  const breaks = classBreaks(shown[0]?.count ?? 0)
  const viewHeight = drawing.height + LEGEND_HEIGHT
  const summary =
    shown.length === 0
      ? `${props.title}: no data`
      : `${props.title}: ${shown
          .slice(0, 3)
          .map((s) => `${s.region.nameEn} ${s.count}`)
          .join(', ')}${shown.length > 3 ? ` and ${shown.length - 3} more regions` : ''}`
  const outlined = (props.outlined ?? []).flatMap((code) => drawing.byCode.get(code) ?? [])
  return (
    <figure class="region-map" style="display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start;margin:0">
      <svg
        xmlns="http://www.w3.org/2000/svg"
        viewBox={`0 0 ${VIEW_WIDTH} ${viewHeight}`}
        width={width}
        height={Math.round((width * viewHeight) / VIEW_WIDTH)}
        role="img"
        aria-label={summary}
        data-scope={props.scope}
        style="max-width:100%;height:auto;background:#f8fafc;border:1px solid #d9dee5;border-radius:8px"
      >
        <g stroke="#ffffff" stroke-width="0.8" stroke-linejoin="round">
          {drawing.regions.map((r) => {
            const count = props.counts.get(r.code) ?? 0
            return (
              <path d={r.d} fill={fillFor(count, breaks)} data-region={r.code}>
                <title>{`${label(r)}: ${count}`}</title>
              </path>
            )
          })}
        </g>
        {outlined.length > 0 ? (
          <g fill="none" stroke="#0b6bcb" stroke-width="2.5" stroke-linejoin="round" data-outlined="">
            {outlined.map((r) => (
              <path d={r.d} data-outline={r.code} />
            ))}
          </g>
        ) : null}
        {props.points && props.points.length > 0 ? (
          <g fill="#1d4ed8" stroke="#ffffff" stroke-width="1.5">
            {props.points.map((p) => {
              const [x, y] = drawing.project(p.lon, p.lat)
              return (
                <circle cx={x.toFixed(1)} cy={y.toFixed(1)} r="5" data-point="">
                  <title>{p.label}</title>
                </circle>
              )
            })}
          </g>
        ) : null}
        <g transform={`translate(12 ${drawing.height + 10})`} font-size="22" fill="#1d232b">
          {breaks.length === 0 ? (
            <text x="0" y="22">
              No data
            </text>
          ) : (
            breaks.map((_, i) => (
              <g transform={`translate(${i * 150} 0)`}>
                <rect width="30" height="24" fill={fillFor(breaks[i], breaks)} stroke="#aab4c0" />
                <text x="38" y="20">
                  {rangeText(breaks, i)}
                </text>
              </g>
            ))
          )}
          {outlined.length > 0 ? (
            <g transform={`translate(${Math.max(breaks.length, 1) * 150 + 10} 0)`}>
              <rect width="30" height="24" fill="none" stroke="#0b6bcb" stroke-width="2.5" />
              <text x="38" y="20">
                sales region
              </text>
            </g>
          ) : null}
        </g>
      </svg>
      <table class="region-map-table" style="width:auto;min-width:14rem">
        <caption style="text-align:left;font-weight:600;padding:0.3rem 0">{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">Region</th>
            <th scope="col" class="num">
              Count
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 ? (
            <tr>
              <td colspan={2} class="muted">
                Nothing to show.
              </td>
            </tr>
          ) : (
            shown.map((s) => (
              <tr data-region={s.region.code}>
                <td>{label(s.region)}</td>
                <td class="num">{s.count}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </figure>
  )
}
