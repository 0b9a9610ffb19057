import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eq } from 'drizzle-orm'
import { channelScopeOf } from '../../src/channels/channel-scope.ts'
import { loadRegions } from '../../src/channels/region-resolver.ts'
import { ReportQuery, reportFilters } from '../../src/channels/report-input.ts'
import { diversionMatrix } from '../../src/channels/report-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { type Db, openDatabase } from '../../src/db/index.ts'
import { createBrand } from '../../src/staff/brand-setup.ts'
import { hashPassword } from '../../src/staff/password.ts'
import { staff } from '../../src/staff/staff-schema.ts'
import { type BenchContext, formatCount, type Row, verdictFor } from './bench-row.ts'
import { freePort, startReady, stop } from './child-server.ts'
import { percentile, signIn, type Timing, timeRequests } from './http-timing.ts'

/**
 * Issue 5, "It must show": the diversion report's response time over ≥ 1M stored scans. A database
 * is built with raw prepared inserts (N scans, default 1,000,000, of which ~2% carry an off-region
 * signal, grouped in cases over 20 distributors × 30 provinces × 5 products), then the real server
 * answers the report page (unfiltered, filtered, and as a channel manager) and the CSV export over
 * HTTP, one request at a time: median and p95 of the wall time to the last byte.
 */
const DISTRIBUTORS = 20
const PROVINCES = 30
const PRODUCTS = 5
/** 40 batches, two per distributor (of different products): ~20 × 2 × 29 case groups. */
const BATCHES_PER_PRODUCT = 8
const SCANS_PER_CODE = 5
const SIGNAL_SHARE = 0.02
/** Scans spread over the last 60 days: inside the report's default 90-day window. */
const SPAN_DAYS = 60
const DAY_MS = 86_400_000
const INSERT_TX_ROWS = 100_000
const WARM_UP = 3
const PAGE_RUNS = 30
const EXPORT_RUNS = 8
/** Budgets for an interactive filter and a download a person waits for (p95, ms). */
const PAGE_P95_BUDGET_MS = 500
const EXPORT_P95_BUDGET_MS = 3_000
const SERVER_START_TIMEOUT_MS = 60_000
const PASSWORD = 'bench report password'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const APP_SERVER = join(REPO, 'src/server.ts')

type Built = {
  scans: number
  signals: number
  cases: number
  /** Distinct diverted scans the unfiltered report must count. */
  divertedScans: number
  busiest: { distributorId: number; regionCode: string }
  ownerEmail: string
  managerEmail: string
  masterKeyHex: string
  buildMs: number
}

/** A fixed-seed generator (mulberry32): every run builds the same data. */
function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function run(ctx: BenchContext): Promise<Row[]> {
  const dataDir = join(ctx.tmpDir, 'report-app')
  mkdirSync(dataDir, { recursive: true })
  const built = await buildDatabase(ctx, join(dataDir, 'onecode.db'), ctx.codes)
  const children = new Set<ChildProcess>()
  const killAll = () => {
    for (const child of children) child.kill('SIGKILL')
  }
  process.once('exit', killAll)
  try {
    const port = await freePort()
    const baseUrl = `http://127.0.0.1:${port}`
    const starting = startReady(
      APP_SERVER,
      port,
      {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        PUBLIC_BASE_URL: baseUrl,
        LOG_LEVEL: 'warn',
        SEED_DEMO: '0',
        ONECODE_MASTER_KEY: built.masterKeyHex,
      },
      { timeoutMs: SERVER_START_TIMEOUT_MS },
    )
    const child = starting.child
    children.add(child)
    await starting.port
    try {
      const owner = await signIn(baseUrl, built.ownerEmail, PASSWORD)
      const manager = await signIn(baseUrl, built.managerEmail, PASSWORD)
      const filtered = `/admin/diversion?distributor=${built.busiest.distributorId}&region=${built.busiest.regionCode}&status=open`
      // The page must hold what the database holds before its speed means anything.
      const first = await fetch(`${baseUrl}/admin/diversion`, { headers: { cookie: owner } })
      const html = await first.text()
      const total = /<table class="matrix" data-total="(\d+)">/.exec(html)?.[1]
      if (first.status !== 200 || Number(total) !== built.divertedScans)
        throw new Error(
          `report answered ${first.status} with total ${total}, expected ${built.divertedScans}`,
        )

      ctx.log('report: GET /admin/diversion')
      const page = await timeRequests(baseUrl, '/admin/diversion', owner, PAGE_RUNS)
      ctx.log('report: GET /admin/diversion with filters')
      const pageFiltered = await timeRequests(baseUrl, filtered, owner, PAGE_RUNS)
      ctx.log('report: GET /admin/diversion as a channel manager')
      const pageManager = await timeRequests(baseUrl, '/admin/diversion', manager, PAGE_RUNS)
      ctx.log('report: GET /admin/diversion/export.csv')
      const csv = await timeRequests(baseUrl, '/admin/diversion/export.csv', owner, EXPORT_RUNS)
      const baseline = matrixSqlMs(join(dataDir, 'onecode.db'), built)
      return rows(built, { page, pageFiltered, pageManager, csv }, baseline)
    } finally {
      await stop(child)
      children.delete(child)
    }
  } finally {
    killAll()
    process.removeListener('exit', killAll)
  }
}

function rows(
  b: Built,
  t: { page: Timing; pageFiltered: Timing; pageManager: Timing; csv: Timing },
  baselineMs: number,
): Row[] {
  const data = `${formatCount(b.scans)} scans, ${formatCount(b.signals)} signals, ${formatCount(b.cases)} cases`
  const describe = (x: Timing) =>
    `median ${x.median.toFixed(0)} ms · p95 ${x.p95.toFixed(0)} ms · ${(x.bytes / 1024).toFixed(0)} KB (${x.runs} runs)`
  const baseline = `matrix SQL alone ${baselineMs.toFixed(1)} ms (in-process)`
  const pageRow = (name: string, x: Timing): Row => ({
    bench: 'report',
    case: `${name} (${data})`,
    measured: describe(x),
    baseline,
    ratio: x.median / baselineMs,
    target: `p95 ≤ ${PAGE_P95_BUDGET_MS} ms`,
    verdict: verdictFor(x.p95, PAGE_P95_BUDGET_MS),
  })
  return [
    pageRow('GET /admin/diversion, default 90 days, no filter', t.page),
    pageRow('GET /admin/diversion, distributor + region + status filters', t.pageFiltered),
    pageRow('GET /admin/diversion as a channel manager (1 distributor)', t.pageManager),
    {
      bench: 'report',
      case: `GET /admin/diversion/export.csv, every signal (${formatCount(b.signals)} rows)`,
      measured: describe(t.csv),
      baseline,
      ratio: t.csv.median / baselineMs,
      target: `p95 ≤ ${(EXPORT_P95_BUDGET_MS / 1000).toFixed(0)} s`,
      verdict: verdictFor(t.csv.p95, EXPORT_P95_BUDGET_MS),
    },
    {
      bench: 'report',
      case: `building the report database (raw inserts, ${formatCount(b.scans)} scans)`,
      measured: `${(b.buildMs / 1000).toFixed(1)} s`,
      baseline: '—',
      ratio: null,
      target: '—',
      verdict: '—',
    },
  ]
}

/**
 * One brand with an owner and a channel manager (real password hashes, so the bench signs in
 * through the form), 20 distributors each selling in 1–2 provinces, 5 products × 8 batches, N/5
 * codes, N scans over 60 days, and for ~2% of them an off-region signal in a case per
 * (distributor, product, province).
 */
export async function buildDatabase(ctx: BenchContext, file: string, scanCount: number): Promise<Built> {
  const started = performance.now()
  const master = randomBytes(32)
  const db: Db = openDatabase(file)
  const now = Date.now()
  const ownerEmail = 'owner@report.bench'
  const managerEmail = 'manager@report.bench'
  const hash = await hashPassword(PASSWORD)
  const brand = createBrand(
    db,
    master,
    { slug: 'report', name: 'Report Bench Co', ownerEmail, ownerName: 'Owner', passwordHash: hash },
    now,
  )
  if (brand.kind !== 'created') throw new Error(`bench brand not created: ${brand.kind}`)
  const brandId = brand.brandId
  const manager = db
    .insert(staff)
    .values({
      brandId,
      email: managerEmail,
      name: 'Manager',
      role: 'channel_manager',
      passwordHash: hash,
      createdAt: now,
    })
    .returning()
    .get()
  const c = db.$client
  const random = seeded(7)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const provinces = loadRegions()
    .filter((r) => r.kind === 'province' && r.code.startsWith('CN-'))
    .map((r) => r.code)
    .slice(0, PROVINCES)

  const distributorIds: number[] = []
  const homeOf = new Map<number, string[]>()
  c.transaction(() => {
    const insertDistributor = c.prepare(
      "INSERT INTO distributors (brand_id, code, name, status, created_at) VALUES (?, ?, ?, 'active', ?) RETURNING id",
    )
    const insertRegion = c.prepare(
      'INSERT INTO distributor_regions (distributor_id, brand_id, region_code) VALUES (?, ?, ?)',
    )
    for (let i = 0; i < DISTRIBUTORS; i++) {
      const id = (
        insertDistributor.get(
          brandId,
          `D-${String(i + 1).padStart(3, '0')}`,
          `Distributor ${i + 1}`,
          now,
        ) as {
          id: number
        }
      ).id
      const home = [
        provinces[i % provinces.length]!,
        ...(i % 2 === 0 ? [provinces[(i + 7) % provinces.length]!] : []),
      ]
      for (const code of home) insertRegion.run(id, brandId, code)
      distributorIds.push(id)
      homeOf.set(id, home)
    }
    c.prepare('INSERT INTO staff_distributors (staff_id, distributor_id, brand_id) VALUES (?, ?, ?)').run(
      manager.id,
      distributorIds[0],
      brandId,
    )
  })()

  // Products and batches; codes are spread over the batches, and each batch ships to one distributor.
  const codeCount = Math.max(1, Math.ceil(scanCount / SCANS_PER_CODE))
  const batches: { id: number; productId: number; distributorId: number; shipmentId: number }[] = []
  c.transaction(() => {
    const insertProduct = c.prepare(
      'INSERT INTO products (brand_id, sku, name, points, created_at, updated_at) VALUES (?, ?, ?, 10, ?, ?) RETURNING id',
    )
    const insertBatch = c.prepare(
      `INSERT INTO batches (brand_id, product_id, lot, quantity, url_mode, kid, status, minted_count, created_at)
       VALUES (?, ?, ?, ?, 'short', 'B0', 'ready', ?, ?) RETURNING id`,
    )
    const insertShipment = c.prepare(
      `INSERT INTO shipments (brand_id, distributor_id, kind, batch_id, seq_from, seq_to, code_count, actor_label, created_at)
       VALUES (?, ?, 'batch', ?, 1, ?, ?, 'bench', ?) RETURNING id`,
    )
    const perBatch = Math.ceil(codeCount / (PRODUCTS * BATCHES_PER_PRODUCT))
    for (let p = 0; p < PRODUCTS; p++) {
      const productId = (
        insertProduct.get(brandId, `SKU-${p + 1}`, `Product ${p + 1}`, now, now) as { id: number }
      ).id
      for (let k = 0; k < BATCHES_PER_PRODUCT; k++) {
        const id = (
          insertBatch.get(brandId, productId, `L${p}${k}`, perBatch, perBatch, now) as { id: number }
        ).id
        const distributorId = distributorIds[(p * BATCHES_PER_PRODUCT + k) % DISTRIBUTORS]!
        const shipmentId = (
          insertShipment.get(brandId, distributorId, id, perBatch, perBatch, now) as { id: number }
        ).id
        batches.push({ id, productId, distributorId, shipmentId })
      }
    }
  })()

  ctx.log(`report: inserting ${formatCount(codeCount)} codes`)
  const codeBatch = new Int32Array(codeCount + 1)
  const insertCode = c.prepare(
    `INSERT INTO codes (id, brand_id, batch_id, seq, serial, kid, tag, state, activated_at, distributor_id, shipment_id)
     VALUES (?, ?, ?, ?, ?, 'B0', 'TAGTAGTAGTAG', 'activated', ?, ?, ?)`,
  )
  const firstCodeId =
    ((c.prepare('SELECT coalesce(max(id), 0) AS m FROM codes').get() as { m: number }).m ?? 0) + 1
  for (let from = 0; from < codeCount; from += INSERT_TX_ROWS) {
    c.transaction(() => {
      for (let i = from; i < Math.min(codeCount, from + INSERT_TX_ROWS); i++) {
        const b = batches[i % batches.length]!
        codeBatch[i] = i % batches.length
        insertCode.run(
          firstCodeId + i,
          brandId,
          b.id,
          Math.floor(i / batches.length) + 1,
          `S${String(i).padStart(15, '0')}`,
          now,
          b.distributorId,
          b.shipmentId,
        )
      }
    })()
  }

  ctx.log(`report: inserting ${formatCount(scanCount)} scans with ~${SIGNAL_SHARE * 100}% signals`)
  const insertScan = c.prepare(
    `INSERT INTO scans (brand_id, code_id, device_id, ip_prefix, user_agent, verdict, counted, lat, lon, accuracy_m,
       location_source, located_at, region_code, place_zh, place_en, at)
     VALUES (?, ?, ?, '203.0.113.0/24', 'bench', 'genuine-seen', 1, 30.0, 115.0, 30, 'gps', ?, ?, '省', 'Province', ?)`,
  )
  const insertCase = c.prepare(
    `INSERT INTO diversion_cases (brand_id, distributor_id, product_id, region_code, status, signal_count,
       max_confidence, first_at, last_at) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?) RETURNING id`,
  )
  const insertSignal = c.prepare(
    `INSERT INTO diversion_signals (brand_id, case_id, kind, scan_id, code_id, distributor_id, product_id, batch_id,
       shipment_id, region_code, confidence, distance_km, reasons, at)
     VALUES (?, ?, 'off-region', ?, ?, ?, ?, ?, ?, ?, ?, ?, '{"rule":"outside sales regions"}', ?)`,
  )
  type CaseAgg = { id: number; count: number; max: number; first: number; last: number }
  const cases = new Map<string, CaseAgg>()
  const perGroup = new Map<string, number>()
  let signals = 0
  const start = now - SPAN_DAYS * DAY_MS
  for (let from = 0; from < scanCount; from += INSERT_TX_ROWS) {
    c.transaction(() => {
      for (let i = from; i < Math.min(scanCount, from + INSERT_TX_ROWS); i++) {
        const codeIndex = Math.floor(random() * codeCount)
        const b = batches[codeBatch[codeIndex]!]!
        const at = start + Math.floor((i / scanCount) * SPAN_DAYS * DAY_MS)
        const diverted = random() < SIGNAL_SHARE
        const home = homeOf.get(b.distributorId)!
        const region = diverted ? pick(provinces.filter((p) => !home.includes(p))) : pick(home)
        const scanId = Number(
          insertScan.run(brandId, firstCodeId + codeIndex, `dev-${i % 50_000}`, at, region, at)
            .lastInsertRowid,
        )
        if (!diverted) continue
        const key = `${b.distributorId}|${b.productId}|${region}`
        let agg = cases.get(key)
        if (!agg) {
          // One case per (distributor, product, province); some already decided, the rest open.
          const status = random() < 0.3 ? pick(['confirmed', 'dismissed'] as const) : 'open'
          const id = (
            insertCase.get(brandId, b.distributorId, b.productId, region, status, at, at) as { id: number }
          ).id
          agg = { id, count: 0, max: 0, first: at, last: at }
          cases.set(key, agg)
        }
        const confidence = 0.5 + random() * 0.5
        insertSignal.run(
          brandId,
          agg.id,
          scanId,
          firstCodeId + codeIndex,
          b.distributorId,
          b.productId,
          b.id,
          b.shipmentId,
          region,
          confidence,
          100 + random() * 2000,
          at,
        )
        agg.count++
        agg.max = Math.max(agg.max, confidence)
        agg.last = at
        perGroup.set(`${b.distributorId}|${region}`, (perGroup.get(`${b.distributorId}|${region}`) ?? 0) + 1)
        signals++
      }
    })()
  }
  c.transaction(() => {
    const update = c.prepare(
      'UPDATE diversion_cases SET signal_count = ?, max_confidence = ?, first_at = ?, last_at = ? WHERE id = ?',
    )
    for (const a of cases.values()) update.run(a.count, a.max, a.first, a.last, a.id)
  })()
  c.pragma('wal_checkpoint(TRUNCATE)')
  c.exec('ANALYZE')
  const [busiestKey] = [...perGroup].sort((x, y) => y[1] - x[1])[0] ?? ['0|']
  const [busiestDistributor, busiestRegion] = busiestKey.split('|')
  db.$client.close()
  const buildMs = performance.now() - started
  ctx.log(
    `report: built ${formatCount(scanCount)} scans, ${formatCount(signals)} signals, ${cases.size} cases in ${(buildMs / 1000).toFixed(1)} s`,
  )
  return {
    scans: scanCount,
    signals,
    cases: cases.size,
    divertedScans: signals,
    busiest: { distributorId: Number(busiestDistributor), regionCode: busiestRegion ?? '' },
    ownerEmail,
    managerEmail,
    masterKeyHex: master.toString('hex'),
    buildMs,
  }
}

/** The report's matrix query alone, in-process over the same file: what the page costs beyond SQL. */
function matrixSqlMs(file: string, built: Built): number {
  const db = openDatabase(file)
  try {
    const owner = db.select().from(staff).where(eq(staff.email, built.ownerEmail)).get()!
    const scope = channelScopeOf(db, { staffId: owner.id, brandId: owner.brandId, role: owner.role })
    const report = reportFilters(ReportQuery.parse({}), Date.now())
    if (report.kind !== 'ok') throw new Error('default report filters invalid')
    const bdb = brandDb(db, owner.brandId)
    const times: number[] = []
    for (let i = 0; i < WARM_UP + PAGE_RUNS; i++) {
      const t0 = performance.now()
      diversionMatrix(bdb, scope, report.filters)
      if (i >= WARM_UP) times.push(performance.now() - t0)
    }
    return percentile(times, 0.5)
  } finally {
    db.$client.close()
  }
}
