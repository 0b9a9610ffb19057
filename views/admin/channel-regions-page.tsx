import type { BrandRegionRow } from '../../src/channels/brand-region-store.ts'
import { brandRegionCode } from '../../src/channels/brand-region-store.ts'
import {
  MAX_GEOJSON_BYTES,
  MAX_REGION_VERTICES,
  MAX_REGIONS_PER_UPLOAD,
} from '../../src/channels/geojson-region.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'
import { ChannelTabs } from './channel-tabs.tsx'

/** Points drawn per region thumbnail: enough to recognise a shape, small enough for a list. */
const THUMB_POINTS = 400

/** A small outline of a region drawn from its own coordinates (north up), no map tiles. */
export function RegionThumbnail({ region }: { region: BrandRegionRow }) {
  const { minLon, minLat, maxLon, maxLat } = region
  const w = Math.max(maxLon - minLon, 1e-6)
  const h = Math.max(maxLat - minLat, 1e-6)
  const step = Math.max(1, Math.ceil(region.vertexCount / THUMB_POINTS))
  const d = region.polygons
    .flatMap((polygon) =>
      polygon.map((ring) => {
        const pts = ring.filter((_, i) => i % step === 0)
        return `M${pts.map(([x, y]) => `${(x! - minLon).toFixed(4)} ${(maxLat - y!).toFixed(4)}`).join('L')}Z`
      }),
    )
    .join('')
  return (
    <svg
      class="region-thumb"
      viewBox={`0 0 ${w.toFixed(4)} ${h.toFixed(4)}`}
      width="64"
      height="64"
      preserveAspectRatio="xMidYMid meet"
      role="img"
      aria-label={`Outline of ${region.nameEn}`}
    >
      <path d={d} fill-rule="evenodd" vector-effect="non-scaling-stroke" />
    </svg>
  )
}

export type RegionUploadValues = { nameZh?: string; nameEn?: string; geojson?: string }

export function RegionsPage(props: {
  staff: StaffView
  regions: BrandRegionRow[]
  /** Distributor codes selling in each region code. */
  usedBy: Map<string, string[]>
  shippedCount: { china: number; countries: number }
  canUpload: boolean
  /** A channel manager sees only the regions of their own distributors. */
  scoped: boolean
  values?: RegionUploadValues
  errors?: string[]
  notice?: string
}) {
  const v = props.values ?? {}
  return (
    <AdminPage staff={props.staff} title="Regions" current="/admin/distributors">
      <ChannelTabs current="/admin/regions" />
      <h1>Sales regions</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      <p class="muted">
        Built in and usable offline: {props.shippedCount.china} Chinese provinces and regions (with Hong Kong,
        Macau and Taiwan) and {props.shippedCount.countries} countries, with Chinese and English names. Choose
        them on a distributor’s page. Your brand can add its own regions below.
      </p>
      <h2>Your brand’s regions</h2>
      {props.regions.length === 0 ? (
        <div class="empty">
          {props.scoped
            ? 'None of your distributors sells in a region of your brand’s own.'
            : 'No regions of your own yet.'}
          {props.canUpload
            ? ' Upload a GeoJSON file to draw a sales area the built-in boundaries do not have.'
            : ''}
        </div>
      ) : (
        <table>
          <thead>
            <tr>
              <th />
              <th>Code</th>
              <th>Name</th>
              <th class="num">Polygons</th>
              <th class="num">Vertices</th>
              <th>Sold in by</th>
              <th>Uploaded</th>
            </tr>
          </thead>
          <tbody>
            {props.regions.map((r) => {
              const code = brandRegionCode(r.id)
              const users = props.usedBy.get(code) ?? []
              return (
                <tr>
                  <td>
                    <RegionThumbnail region={r} />
                  </td>
                  <td class="mono">{code}</td>
                  <td>
                    {r.nameZh} <span class="muted">{r.nameEn}</span>
                  </td>
                  <td class="num">{r.polygons.length}</td>
                  <td class="num">{r.vertexCount.toLocaleString('en')}</td>
                  <td>{users.length === 0 ? <span class="muted">no distributor</span> : users.join(', ')}</td>
                  <td>{formatTime(r.createdAt)}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {props.canUpload ? (
        <section>
          <h2>Upload a region</h2>
          <FormErrors errors={props.errors} />
          <form class="stack card wide" method="post" action="/admin/regions" enctype="multipart/form-data">
            <CsrfField token={props.staff.csrfToken} />
            <p class="muted">
              GeoJSON in WGS-84 longitude/latitude: a Polygon, a MultiPolygon, a Feature of one, or a
              FeatureCollection (each feature becomes a region and names itself with the properties{' '}
              <code>name_zh</code> and <code>name_en</code>). Every ring must be closed (the last position
              repeats the first) and have at least 4 positions. At most {MAX_GEOJSON_BYTES / (1024 * 1024)}{' '}
              MB, {MAX_REGION_VERTICES.toLocaleString('en')} vertices and {MAX_REGIONS_PER_UPLOAD} regions per
              upload. Problems are reported by position, counting from 0 as in the file (“feature 2, polygon
              0, ring 0”).
            </p>
            <label>
              GeoJSON file
              <input name="file" type="file" accept=".geojson,.json,application/geo+json,application/json" />
            </label>
            <label>
              …or paste the GeoJSON
              <textarea name="geojson" rows={5} class="mono">
                {v.geojson ?? ''}
              </textarea>
            </label>
            <div class="grid2">
              <label>
                Chinese name (for a single region)
                <input name="nameZh" maxlength={100} value={v.nameZh ?? ''} />
              </label>
              <label>
                English name (for a single region)
                <input name="nameEn" maxlength={100} value={v.nameEn ?? ''} />
              </label>
            </div>
            <div>
              <button type="submit">Upload</button>
            </div>
          </form>
        </section>
      ) : null}
    </AdminPage>
  )
}
