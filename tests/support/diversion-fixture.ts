import { eq } from 'drizzle-orm'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import type { CaseStatus, SignalKind } from '../../src/channels/channel-schema.ts'
import {
  distributorRegions,
  distributors,
  diversionCases,
  diversionSignals,
  heldClaims,
  shipments,
  staffDistributors,
} from '../../src/channels/channel-schema.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { identityColumns, memberPii } from '../../src/members/member-pii.ts'
import { members } from '../../src/members/member-schema.ts'
import { scans } from '../../src/scans/scan-schema.ts'
import { insertBatch, insertProduct, type TestApp } from './test-app.ts'

/**
 * Builders for the diversion pages' tests: rows written straight into the tables (as the signal
 * engine would leave them), each returning what it inserted.
 */

export const SHANGHAI = {
  lon: 121.47,
  lat: 31.23,
  regionCode: 'CN-SH',
  placeEn: 'Shanghai',
  placeZh: '上海市',
}
export const BEIJING = { lon: 116.4, lat: 39.9, regionCode: 'CN-BJ', placeEn: 'Beijing', placeZh: '北京市' }

export function insertDistributor(
  t: TestApp,
  brandId: number,
  input: { code: string; name?: string; regions?: string[]; managerIds?: number[] },
) {
  const d = t.db
    .insert(distributors)
    .values({
      brandId,
      code: input.code,
      name: input.name ?? `Distributor ${input.code}`,
      contactName: 'Ms Chen',
      createdAt: t.clock.now(),
    })
    .returning()
    .get()
  for (const regionCode of input.regions ?? ['CN-GD'])
    t.db.insert(distributorRegions).values({ distributorId: d.id, brandId, regionCode }).run()
  for (const staffId of input.managerIds ?? [])
    t.db.insert(staffDistributors).values({ staffId, distributorId: d.id, brandId }).run()
  return d
}

/** A product, a batch of `quantity` activated codes, and a shipment binding them all to the distributor. */
export function insertShippedBatch(
  t: TestApp,
  brandId: number,
  distributorId: number | null,
  input: { sku: string; productName?: string; quantity?: number; lot?: string; points?: number },
) {
  const product = insertProduct(t, brandId, { sku: input.sku, name: input.productName, points: input.points })
  const batch = insertBatch(t, brandId, product.id, {
    quantity: input.quantity ?? 5,
    lot: input.lot ?? 'LOT-A',
  })
  activateCodes(brandDb(t.db, brandId), { staffId: null, label: 'test' }, batch.id, null, t.clock.now())
  const shipment =
    distributorId === null
      ? undefined
      : t.db
          .insert(shipments)
          .values({
            brandId,
            distributorId,
            kind: 'batch',
            batchId: batch.id,
            seqFrom: 1,
            seqTo: batch.quantity,
            codeCount: batch.quantity,
            reason: 'first shipment',
            note: 'Guangzhou warehouse',
            actorLabel: 'warehouse@test',
            createdAt: t.clock.now(),
          })
          .returning()
          .get()
  if (shipment)
    t.db
      .update(codes)
      .set({ distributorId, shipmentId: shipment.id })
      .where(eq(codes.batchId, batch.id))
      .run()
  const codeRows = t.db.select().from(codes).where(eq(codes.batchId, batch.id)).orderBy(codes.seq).all()
  return { product, batch, shipment, codes: codeRows }
}

export function insertScan(
  t: TestApp,
  input: {
    brandId: number
    codeId: number
    at?: number
    place?: { lon: number; lat: number; regionCode: string; placeEn: string; placeZh: string }
    source?: 'gps' | 'ip'
    accuracyM?: number
    deviceId?: string
  },
) {
  const place = input.place ?? SHANGHAI
  return t.db
    .insert(scans)
    .values({
      brandId: input.brandId,
      codeId: input.codeId,
      deviceId: input.deviceId ?? 'device-aaaaaaaaaaaa',
      ipPrefix: '203.0.113.0/24',
      userAgent: 'test',
      verdict: 'genuine-first',
      counted: true,
      lat: place.lat,
      lon: place.lon,
      accuracyM: input.accuracyM ?? 25,
      locationSource: input.source ?? 'gps',
      locatedAt: input.at ?? t.clock.now(),
      regionCode: place.regionCode,
      placeZh: place.placeZh,
      placeEn: place.placeEn,
      at: input.at ?? t.clock.now(),
    })
    .returning()
    .get()
}

export function insertCase(
  t: TestApp,
  input: {
    brandId: number
    distributorId: number | null
    productId: number
    regionCode?: string
    status?: CaseStatus
    at?: number
  },
) {
  const at = input.at ?? t.clock.now()
  return t.db
    .insert(diversionCases)
    .values({
      brandId: input.brandId,
      distributorId: input.distributorId,
      productId: input.productId,
      regionCode: input.regionCode ?? 'CN-SH',
      status: input.status ?? 'open',
      firstAt: at,
      lastAt: at,
    })
    .returning()
    .get()
}

/** A signal on a scan, counted into its case (signal count, confidence, activity times). */
export function insertSignal(
  t: TestApp,
  c: { id: number; brandId: number; distributorId: number | null; productId: number; regionCode: string },
  input: {
    scan: { id: number; codeId: number | null; at: number }
    batchId: number
    shipmentId?: number | null
    kind?: SignalKind
    confidence?: number
    distanceKm?: number | null
    reasons?: Record<string, unknown>
  },
) {
  const s = t.db
    .insert(diversionSignals)
    .values({
      brandId: c.brandId,
      caseId: c.id,
      kind: input.kind ?? 'off-region',
      scanId: input.scan.id,
      codeId: input.scan.codeId!,
      distributorId: c.distributorId,
      productId: c.productId,
      batchId: input.batchId,
      shipmentId: input.shipmentId ?? null,
      regionCode: c.regionCode,
      confidence: input.confidence ?? 0.9,
      distanceKm: input.distanceKm === undefined ? 1210 : input.distanceKm,
      reasons: input.reasons ?? {
        text: 'Scanned in Shanghai, outside the sales regions of GD-001 (Guangdong).',
        rule: 'outside sales regions',
        allowed: 'CN-GD',
      },
      at: input.scan.at,
    })
    .returning()
    .get()
  const row = t.db.select().from(diversionCases).where(eq(diversionCases.id, c.id)).get()!
  t.db
    .update(diversionCases)
    .set({
      signalCount: row.signalCount + 1,
      maxConfidence: Math.max(row.maxConfidence, s.confidence),
      firstAt: Math.min(row.firstAt, s.at),
      lastAt: Math.max(row.lastAt, s.at),
    })
    .where(eq(diversionCases.id, c.id))
    .run()
  return s
}

/**
 * One distributor bound to Guangdong with a shipped batch, `scans` GPS scans of its codes in
 * Shanghai (or `place`), each with an off-region signal, grouped in one open case.
 */
export function seedOffRegionCase(
  t: TestApp,
  brandId: number,
  input: {
    distributorCode: string
    distributorName?: string
    managerIds?: number[]
    sku: string
    productName?: string
    scans?: number
    place?: typeof SHANGHAI
    at?: number
    distributorId?: number | null
  },
) {
  const distributor =
    input.distributorId === undefined
      ? insertDistributor(t, brandId, {
          code: input.distributorCode,
          name: input.distributorName,
          managerIds: input.managerIds,
        })
      : undefined
  const distributorId = input.distributorId === undefined ? distributor!.id : input.distributorId
  const shipped = insertShippedBatch(t, brandId, distributorId, {
    sku: input.sku,
    productName: input.productName,
  })
  const place = input.place ?? SHANGHAI
  const c = insertCase(t, {
    brandId,
    distributorId,
    productId: shipped.product.id,
    regionCode: place.regionCode,
    at: input.at,
  })
  const scanRows = []
  const signals = []
  for (let i = 0; i < (input.scans ?? 2); i++) {
    const scan = insertScan(t, {
      brandId,
      codeId: shipped.codes[i]!.id,
      place,
      at: (input.at ?? t.clock.now()) + i * 60_000,
      deviceId: `device-${i}-xxxxxxxx`,
    })
    scanRows.push(scan)
    signals.push(
      insertSignal(t, c, { scan, batchId: shipped.batch.id, shipmentId: shipped.shipment?.id ?? null }),
    )
  }
  return { distributor, distributorId, ...shipped, case: c, scans: scanRows, signals }
}

/** A member and a claim held for a case (the brand's 'hold' policy). */
export function insertHeldClaim(
  t: TestApp,
  input: { brandId: number; codeId: number; scanId: number; caseId: number; phone: string },
) {
  const member = t.db
    .insert(members)
    .values({
      brandId: input.brandId,
      ...identityColumns(memberPii(t.masterKey), input.brandId, { channel: 'sms', phone: input.phone }),
      createdAt: t.clock.now(),
    })
    .returning()
    .get()
  const held = t.db
    .insert(heldClaims)
    .values({
      brandId: input.brandId,
      codeId: input.codeId,
      memberId: member.id,
      scanId: input.scanId,
      caseId: input.caseId,
      idempotencyKey: `held-${input.scanId}`,
      createdAt: t.clock.now(),
    })
    .returning()
    .get()
  return { member, held }
}
