import { and, count, eq, gte, inArray, lte } from 'drizzle-orm'
import { batches } from '../batches/batch-schema.ts'
import { diversionCases } from '../channels/channel-schema.ts'
import type { ChannelScope } from '../channels/channel-scope.ts'
import type { BrandDb } from '../db/brand-scope.ts'
import { dailyStats } from '../members/programme-schema.ts'
import { jobRuns } from '../points/points-schema.ts'
import { products } from '../products/product-schema.ts'
import { countBatchRate, DAY_DISTRIBUTORS_JOB, DAY_ROLLUP_JOB, readBatchRates } from './daily-stats-job.ts'
import { type DayKey, dayStart, daysBetween } from './dashboard-days.ts'
import {
  type DayFigures,
  type DayRollup,
  type DistributorRollup,
  dayFigures,
  figuresFromRollup,
} from './day-figures.ts'
import { DistinctCounter } from './distinct-counter.ts'

/** Batches in the scan-rate table: the most scanned in the range. */
export const TOP_BATCHES = 20
/** Products in each top list. */
export const TOP_PRODUCTS = 10
/** A batch not in the job's snapshot yet is counted on request only up to this size (~10 ms). */
export const LIVE_RATE_MAX_CODES = 20_000

/**
 * Who is looking: members' figures (sign-ins, claims, redemptions, new members, the funnel, top
 * products by claims) need 'members.read' (owners, analysts); a channel manager's channel scope
 * limits scans and the map to the codes shipped to their distributors and hides the brand-wide
 * figures (unique scanners, batches, products), and the cases to their distributors' cases.
 */
export type DashboardViewer = { showMembers: boolean; channel: ChannelScope }

export type DayPoint = {
  day: DayKey
  scans: number
  uniqueScanners: number
  signIns: number
  claims: number
  redemptions: number
  newMembers: number
}

/** A distinct count over the range; `exact` is false once the day summaries became sketches. */
export type Estimate = { value: number; exact: boolean }

export type BatchRate = {
  batchId: number
  productName: string
  sku: string
  lot: string | null
  scans: number
  activated: number | null
  scanned: number | null
  /** Scanned ÷ activated, 0..1; null when nothing is activated or the batch is not counted yet. */
  rate: number | null
}

export type ProductCount = { productId: number; name: string; sku: string; count: number }

export type Dashboard = {
  from: DayKey
  to: DayKey
  /** Days read from the live tables because the job has not rolled them up (today, at least). */
  liveDays: DayKey[]
  series: DayPoint[]
  totals: Omit<DayPoint, 'day' | 'uniqueScanners'> & { uniqueScanners: Estimate }
  /** Owners and analysts. */
  funnel?: { scanners: Estimate; signers: Estimate; claimers: Estimate; repeatClaimers: Estimate }
  /** Brand-wide viewers. */
  batchRates?: BatchRate[]
  /** When the scan-rate snapshot was taken (null: never). */
  ratesAt?: number | null
  regions: Map<string, number>
  /** China when most located scans are in China (or none are located), else the world. */
  mapScope: 'china' | 'world'
  topByScans?: ProductCount[]
  topByClaims?: ProductCount[]
  openCases: number
}

/**
 * Everything the dashboard shows for one brand and range: finished days from daily_stats and
 * their stored breakdowns, days not yet rolled up (today) from the indexed tables, the scan rates
 * from the job's snapshot.
 *
 * @example
 * const d = loadDashboard(bdb, { showMembers: true, channel: channelScopeOf(db, staff) }, { from: '2026-10-03', to: '2026-11-01' }, clock.now())
 * d.totals.scans // 31234
 */
export function loadDashboard(
  bdb: BrandDb,
  viewer: DashboardViewer,
  range: { from: DayKey; to: DayKey },
  now: number,
): Dashboard {
  const { db, brandId } = bdb
  const days = daysBetween(range.from, range.to)
  const rows = new Map(
    db
      .select()
      .from(dailyStats)
      .where(bdb.scoped(dailyStats, inRange(dailyStats.day, range.from, range.to)))
      .all()
      .map((r) => [r.day, r]),
  )
  const brandWide = viewer.channel.all
  // A channel manager reads only the per-distributor breakdowns; everyone else only the brand's.
  const stored = (job: string) =>
    new Map(
      db
        .select({ day: jobRuns.period, detail: jobRuns.detail })
        .from(jobRuns)
        .where(bdb.scoped(jobRuns, eq(jobRuns.job, job), inRange(jobRuns.period, range.from, range.to)))
        .all()
        .map((r) => [r.day, r.detail as unknown]),
    )
  const rollups = brandWide ? stored(DAY_ROLLUP_JOB) : new Map<string, unknown>()
  const byDistributor = brandWide ? new Map<string, unknown>() : stored(DAY_DISTRIBUTORS_JOB)
  const liveDays: DayKey[] = []
  const figures: DayFigures[] = []
  for (const day of days) {
    const row = rows.get(day)
    if (row)
      figures.push(
        figuresFromRollup(
          row,
          rollups.get(day) as DayRollup | undefined,
          byDistributor.get(day) as DistributorRollup | undefined,
        ),
      )
    else if (dayStart(day) <= now) {
      liveDays.push(day)
      figures.push(dayFigures(db, brandId, day, now))
    }
  }

  const visible = new Set(viewer.channel.distributorIds.map(String))
  const series: DayPoint[] = []
  const devices = new DistinctCounter()
  const signers = new DistinctCounter()
  const claimers = new DistinctCounter()
  const repeatClaimers = new DistinctCounter()
  const regions = new Map<string, number>()
  const batchScans = new Map<number, number>()
  const productScans = new Map<number, number>()
  const productClaims = new Map<number, number>()
  for (const f of figures) {
    let scans = f.scans
    if (brandWide) {
      for (const [code, n] of Object.entries(f.regions)) bump(regions, code, n)
      for (const [id, n] of Object.entries(f.batches)) bump(batchScans, Number(id), n)
      for (const [id, [s, c]] of Object.entries(f.products)) {
        if (s > 0) bump(productScans, Number(id), s)
        if (c > 0) bump(productClaims, Number(id), c)
      }
      devices.merge(f.devices)
      signers.merge(f.signers)
      claimers.merge(f.claimers)
      repeatClaimers.merge(f.repeatClaimers)
    } else {
      scans = 0
      for (const [id, d] of Object.entries(f.distributors)) {
        if (!visible.has(id)) continue
        scans += d.scans
        for (const [code, n] of Object.entries(d.regions)) bump(regions, code, n)
      }
    }
    series.push({
      day: f.day,
      scans,
      uniqueScanners: brandWide ? f.uniqueScanners : 0,
      signIns: viewer.showMembers ? f.signIns : 0,
      claims: viewer.showMembers ? f.claims : 0,
      redemptions: viewer.showMembers ? f.redemptions : 0,
      newMembers: viewer.showMembers ? f.newMembers : 0,
    })
  }
  const sum = (k: keyof Omit<DayPoint, 'day'>) => series.reduce((s, p) => s + p[k], 0)
  const scanners: Estimate = brandWide ? estimateOf(devices) : { value: 0, exact: true }

  const dashboard: Dashboard = {
    from: range.from,
    to: range.to,
    liveDays,
    series,
    totals: {
      scans: sum('scans'),
      uniqueScanners: scanners,
      signIns: sum('signIns'),
      claims: sum('claims'),
      redemptions: sum('redemptions'),
      newMembers: sum('newMembers'),
    },
    regions,
    mapScope: mapScopeOf(regions),
    openCases: openCasesOf(bdb, viewer.channel),
  }
  if (viewer.showMembers && brandWide) {
    dashboard.funnel = {
      scanners,
      signers: estimateOf(signers),
      claimers: estimateOf(claimers),
      repeatClaimers: estimateOf(repeatClaimers),
    }
    dashboard.topByClaims = topProducts(bdb, productClaims)
  }
  if (brandWide) {
    const snapshot = readBatchRates(db, brandId)
    dashboard.ratesAt = snapshot?.at ?? null
    dashboard.batchRates = batchRatesOf(bdb, batchScans, snapshot?.batches ?? {})
    dashboard.topByScans = topProducts(bdb, productScans)
  }
  return dashboard
}

function inRange(column: typeof dailyStats.day | typeof jobRuns.period, from: DayKey, to: DayKey) {
  return and(gte(column, from), lte(column, to))
}

function bump<K>(m: Map<K, number>, k: K, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n)
}

function estimateOf(counter: DistinctCounter): Estimate {
  return { value: counter.count(), exact: counter.isExact() }
}

function openCasesOf(bdb: BrandDb, channel: ChannelScope): number {
  const row = bdb.db
    .select({ n: count() })
    .from(diversionCases)
    .where(
      bdb.scoped(
        diversionCases,
        eq(diversionCases.status, 'open'),
        channel.distributorFilter(diversionCases.distributorId),
      ),
    )
    .get()
  return row?.n ?? 0
}

function mapScopeOf(regions: Map<string, number>): 'china' | 'world' {
  let china = 0
  let total = 0
  for (const [code, n] of regions) {
    total += n
    if (code.startsWith('CN-')) china += n
  }
  return total === 0 || china * 2 >= total ? 'china' : 'world'
}

function topProducts(bdb: BrandDb, counts: Map<number, number>): ProductCount[] {
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, TOP_PRODUCTS)
  if (top.length === 0) return []
  const names = new Map(
    bdb.db
      .select({ id: products.id, name: products.name, sku: products.sku })
      .from(products)
      .where(
        bdb.scoped(
          products,
          inArray(
            products.id,
            top.map(([id]) => id),
          ),
        ),
      )
      .all()
      .map((p) => [p.id, p]),
  )
  return top.flatMap(([productId, n]) => {
    const p = names.get(productId)
    return p ? [{ productId, name: p.name, sku: p.sku, count: n }] : []
  })
}

function batchRatesOf(
  bdb: BrandDb,
  scans: Map<number, number>,
  snapshot: Record<string, [number, number]>,
): BatchRate[] {
  const top = [...scans].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, TOP_BATCHES)
  if (top.length === 0) return []
  const info = new Map(
    bdb.db
      .select({
        id: batches.id,
        lot: batches.lot,
        quantity: batches.quantity,
        productName: products.name,
        sku: products.sku,
      })
      .from(batches)
      .innerJoin(products, eq(products.id, batches.productId))
      .where(
        bdb.scoped(
          batches,
          inArray(
            batches.id,
            top.map(([id]) => id),
          ),
        ),
      )
      .all()
      .map((b) => [b.id, b]),
  )
  return top.flatMap(([batchId, n]) => {
    const b = info.get(batchId)
    if (!b) return []
    const counted =
      snapshot[batchId] ?? (b.quantity <= LIVE_RATE_MAX_CODES ? countBatchRate(bdb.db, batchId) : null)
    const [activated, scanned] = counted ?? [null, null]
    return [
      {
        batchId,
        productName: b.productName,
        sku: b.sku,
        lot: b.lot,
        scans: n,
        activated,
        scanned,
        rate: activated ? scanned! / activated : null,
      },
    ]
  })
}
