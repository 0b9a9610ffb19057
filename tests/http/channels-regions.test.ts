import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { listBrandRegions } from '../../src/channels/brand-region-store.ts'
import {
  auditLog,
  brandRegions,
  distributorRegions,
  distributors,
  staffDistributors,
} from '../../src/db/schema.ts'
import {
  buildTestApp,
  type Client,
  insertBrand,
  insertStaff,
  locationOf,
  signInAs,
} from '../support/test-app.ts'

const square = (x: number, y: number, size = 1) => [
  [x, y],
  [x + size, y],
  [x + size, y + size],
  [x, y + size],
  [x, y],
]

function upload(
  client: Client,
  text: string,
  names: { nameZh?: string; nameEn?: string } = {},
  fileName = 'r.geojson',
) {
  const form = new FormData()
  form.set('file', new File([text], fileName, { type: 'application/geo+json' }))
  form.set('nameZh', names.nameZh ?? '')
  form.set('nameEn', names.nameEn ?? '')
  return client.post('/admin/regions', form)
}

async function brandWithOwner() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, owner }
}

const NAMES = { nameZh: '珠三角', nameEn: 'Pearl River Delta' }
const GOOD = JSON.stringify({ type: 'Polygon', coordinates: [square(112.5, 22, 1.5)] })

describe('uploading a brand region', () => {
  it('stores a good upload with its bbox and an audit record, and lists it', async () => {
    const { t, brand, owner } = await brandWithOwner()
    const res = await upload(owner, GOOD, NAMES)
    expect(res.status).toBe(303)
    const [row] = listBrandRegions(t.db, brand.brandId)
    expect(row).toMatchObject({
      nameZh: '珠三角',
      nameEn: 'Pearl River Delta',
      minLon: 112.5,
      minLat: 22,
      maxLon: 114,
      maxLat: 23.5,
      vertexCount: 5,
      createdByStaffId: brand.ownerId,
    })
    expect(row!.polygons).toEqual([[square(112.5, 22, 1.5)]])
    expect(decodeURIComponent(locationOf(res)!)).toContain(`X${row!.id} 珠三角`)
    const audit = t.db.select().from(auditLog).where(eq(auditLog.action, 'region.upload')).get()
    expect(audit).toMatchObject({ subjectId: `X${row!.id}` })
    const page = await (await owner.get('/admin/regions')).text()
    expect(page).toContain('Pearl River Delta')
    expect(page).toContain(`X${row!.id}`)
    expect(page).toContain('<svg class="region-thumb"')
    // The new region is offered on the distributor form.
    expect(await (await owner.get('/admin/distributors/new')).text()).toContain(`value="X${row!.id}"`)
  })

  it('stores every feature of a FeatureCollection as its own region (pasted, not uploaded)', async () => {
    const { t, brand, owner } = await brandWithOwner()
    const text = JSON.stringify({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { name_zh: '甲区', name_en: 'Zone A' },
          geometry: { type: 'Polygon', coordinates: [square(0, 0)] },
        },
        {
          type: 'Feature',
          properties: { name_zh: '乙区', name_en: 'Zone B' },
          geometry: { type: 'Polygon', coordinates: [square(5, 5)] },
        },
      ],
    })
    const res = await owner.post('/admin/regions', { geojson: text, nameZh: '', nameEn: '' })
    expect(res.status).toBe(303)
    expect(listBrandRegions(t.db, brand.brandId).map((r) => r.nameEn)).toEqual(['Zone A', 'Zone B'])
  })

  const unclosed = JSON.stringify({
    type: 'FeatureCollection',
    features: [0, 1, 2].map((i) => ({
      type: 'Feature',
      properties: { name_zh: `区${i}`, name_en: `Zone ${i}` },
      geometry: {
        type: 'MultiPolygon',
        coordinates: [[square(0, 0)], i === 2 ? [square(3, 3).slice(0, 4)] : [square(3, 3)]],
      },
    })),
  })
  const ring = Array.from({ length: 50_001 }, (_, i) => [i % 90, (i * 7) % 80])
  it.each([
    ['not JSON', 'this is not json {', NAMES, 'The file is not valid JSON'],
    [
      'a wrong type',
      JSON.stringify({
        type: 'LineString',
        coordinates: [
          [0, 0],
          [1, 1],
        ],
      }),
      NAMES,
      'GeoJSON type "LineString" is not supported',
    ],
    [
      'an unclosed ring',
      unclosed,
      {},
      'Feature 2, polygon 1, ring 0 is not closed (its last position must repeat the first).',
    ],
    [
      'an out-of-range latitude',
      JSON.stringify({ type: 'Polygon', coordinates: [square(10, 89.5)] }),
      NAMES,
      'Polygon 0, ring 0, point 2: latitude 90.5 is outside -90…90.',
    ],
    [
      'too many vertices',
      JSON.stringify({ type: 'Polygon', coordinates: [ring] }),
      NAMES,
      'more than 50,000 vertices',
    ],
    ['an empty file', '', NAMES, 'Choose a GeoJSON file or paste GeoJSON.'],
    [
      'an empty FeatureCollection',
      '{"type":"FeatureCollection","features":[]}',
      NAMES,
      'The FeatureCollection is empty',
    ],
    ['missing names', GOOD, {}, 'The region has no Chinese name: fill in the name fields.'],
  ])('refuses %s with a clear message and stores nothing', async (_label, text, names, message) => {
    const { t, owner } = await brandWithOwner()
    const res = await upload(owner, text, names)
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain(message.replaceAll('"', '&quot;'))
    expect(t.db.select().from(brandRegions).all()).toHaveLength(0)
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'region.upload')).all()).toHaveLength(0)
  })

  it('refuses a file over 1 MB before reading it', async () => {
    const { t, owner } = await brandWithOwner()
    const res = await upload(owner, `${GOOD}${' '.repeat(1024 * 1024)}`, NAMES)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('at most 1 MB is accepted')
    expect(t.db.select().from(brandRegions).all()).toHaveLength(0)
  })

  it('lets only owners upload; channel managers see only the regions of their distributors', async () => {
    const { t, brand, owner } = await brandWithOwner()
    await upload(owner, GOOD, NAMES)
    await upload(owner, GOOD, { nameZh: '另一区', nameEn: 'Other zone' })
    const [mine, other] = listBrandRegions(t.db, brand.brandId)
    const manager = await insertStaff(t, brand.brandId, { role: 'channel_manager', email: 'cm@tea.test' })
    const d = t.db
      .insert(distributors)
      .values({ brandId: brand.brandId, code: 'D-1', name: 'D', createdAt: t.clock.now() })
      .returning()
      .get()
    t.db
      .insert(distributorRegions)
      .values({ distributorId: d.id, brandId: brand.brandId, regionCode: `X${mine!.id}` })
      .run()
    t.db
      .insert(staffDistributors)
      .values({ staffId: manager.id, distributorId: d.id, brandId: brand.brandId })
      .run()
    const client = await signInAs(t, manager.id)
    const page = await (await client.get('/admin/regions')).text()
    expect(page).toContain('Pearl River Delta')
    expect(page).not.toContain('Other zone')
    expect(page).not.toContain('action="/admin/regions"')
    const form = await (await client.get('/admin/distributors/new')).text()
    expect(form).toContain(`value="X${mine!.id}"`)
    expect(form).not.toContain(`value="X${other!.id}"`)
    // Binding a brand region outside their sight is refused like an unknown code.
    const create = new FormData()
    for (const [k, v] of Object.entries({ name: 'New', code: 'N-1', status: 'active' })) create.set(k, v)
    create.append('regions', `X${other!.id}`)
    const res = await client.post('/admin/distributors', create)
    expect(res.status).toBe(422)
    expect(await res.text()).toContain(`Unknown sales region X${other!.id}`)
    const refused = await upload(client, GOOD, NAMES)
    expect(refused.status).toBe(403)
    expect(t.db.select().from(brandRegions).all()).toHaveLength(2)
  })

  it('never shows another brand’s regions', async () => {
    const { t, owner } = await brandWithOwner()
    await upload(owner, GOOD, NAMES)
    const other = await insertBrand(t, { slug: 'coffee' })
    const theirs = await signInAs(t, other.ownerId)
    const page = await (await theirs.get('/admin/regions')).text()
    expect(page).not.toContain('Pearl River Delta')
    expect(page).toContain('No regions of your own yet.')
  })

  it('refuses an upload without the CSRF token', async () => {
    const { t, owner } = await brandWithOwner()
    const form = new FormData()
    form.set('_csrf', '')
    form.set('geojson', GOOD)
    form.set('nameZh', '甲')
    form.set('nameEn', 'A')
    expect((await owner.post('/admin/regions', form)).status).toBe(403)
    expect(t.db.select().from(brandRegions).all()).toHaveLength(0)
  })

  it('shows region names that carry markup as text', async () => {
    const { owner } = await brandWithOwner()
    const payload = '<img src=x onerror=alert(1)>'
    expect((await upload(owner, GOOD, { nameZh: payload, nameEn: payload })).status).toBe(303)
    const html = await (await owner.get('/admin/regions')).text()
    expect(html).not.toContain(payload)
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })
})
