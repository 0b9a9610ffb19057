import { and, desc, eq, inArray, lt, ne, type SQL, sql } from 'drizzle-orm'
import { batches, codes } from '../batches/batch-schema.ts'
import { codesInRange } from '../batches/batch-store.ts'
import type { BrandDb } from '../db/brand-scope.ts'
import type { Tx } from '../db/index.ts'
import { products } from '../products/product-schema.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { distributors, type SHIPMENT_KINDS, shipments } from './channel-schema.ts'
import type { ChannelScope } from './channel-scope.ts'

export type Shipment = typeof shipments.$inferSelect
export type ShipmentKind = (typeof SHIPMENT_KINDS)[number]
export const SHIPMENT_PAGE_SIZE = 25

/** Which codes a shipment binds: a whole batch, a seq range of one, or listed serials of any batch. */
export type ShipmentTarget =
  | { kind: 'batch'; batchId: number }
  | { kind: 'range'; batchId: number; from: number; to: number }
  | { kind: 'list'; serials: readonly string[] }

export type ShipmentInput = {
  distributorId: number
  target: ShipmentTarget
  /** Required when any code is bound to another distributor already. */
  reason: string | null
  note: string | null
}

/** A distributor whose codes a shipment would take over, as the re-bind question names it. */
export type PreviousBinding = { distributorId: number; code: string; name: string; count: number }

export type ShipmentOutcome =
  | {
      kind: 'shipped'
      shipment: Shipment
      /** Codes now bound to the distributor (voided ones excepted). */
      bound: number
      /** Of those, codes that were generated or exported and are now activated. */
      activated: number
      voidedSkipped: number
      rebound: number
      /** Listed serials this brand has no code for. */
      unknown: string[]
    }
  | { kind: 'distributor-not-found' }
  | { kind: 'distributor-suspended' }
  | { kind: 'batch-not-found' }
  | { kind: 'batch-not-ready' }
  | { kind: 'bad-range'; quantity: number }
  | { kind: 'nothing-to-ship'; voidedSkipped: number; unknown: string[] }
  | { kind: 'needs-reason'; rebound: number; previous: PreviousBinding[] }
  /** Codes bound to distributors the channel manager does not look after: an owner must move them. */
  | { kind: 'out-of-scope'; count: number }

/** Per (state, current distributor) counts of the codes a shipment names. */
type Group = { state: string; distributorId: number | null; n: number }

// SQLite caps the bound parameters of one statement; lists are read and updated in slices.
const SLICE = 500

/** Generated and exported codes start to earn at warehouse-out; others keep their state. */
const ACTIVATABLE = sql`('generated', 'exported')`

/**
 * Warehouse-out (出库): binds a batch, a seq range or listed serials to a distributor in one
 * transaction. Generated and exported codes become activated (they earn from now on), every
 * unvoided code gets the distributor and this shipment, voided codes are skipped and counted.
 * Codes bound to another distributor are re-bound only with a reason; without one nothing is
 * written and the answer says how many codes and from whom. A channel manager ships only to
 * their own distributors and cannot take codes from distributors outside their scope.
 *
 * A 1M-code batch is one UPDATE: 6.7 s measured on the 2-core machine under a load of ~9 (the
 * same run minted the batch in 88 s), during which SQLite's write lock and the event loop are held.
 *
 * @example
 * createShipment(bdb, scope, actor, { distributorId: 3, target: { kind: 'batch', batchId: 7 }, reason: null, note: null }, now)
 * // → { kind: 'shipped', bound: 20000, activated: 20000, voidedSkipped: 0, rebound: 0, … }
 */
export function createShipment(
  bdb: BrandDb,
  scope: ChannelScope,
  actor: Actor,
  input: ShipmentInput,
  now: number,
): ShipmentOutcome {
  if (!scope.seesDistributor(input.distributorId)) return { kind: 'distributor-not-found' }
  return bdb.db.transaction((tx): ShipmentOutcome => {
    const distributor = tx
      .select()
      .from(distributors)
      .where(bdb.scoped(distributors, eq(distributors.id, input.distributorId)))
      .get()
    if (!distributor) return { kind: 'distributor-not-found' }
    if (distributor.status !== 'active') return { kind: 'distributor-suspended' }

    const t = input.target
    let batch: typeof batches.$inferSelect | undefined
    let range: { from: number; to: number } | undefined
    const listRows: { id: number; state: string; distributorId: number | null }[] = []
    let unknown: string[] = []
    let groups: Group[]
    if (t.kind === 'list') {
      const found = new Set<string>()
      for (let i = 0; i < t.serials.length; i += SLICE) {
        const rows = tx
          .select({
            id: codes.id,
            serial: codes.serial,
            state: codes.state,
            distributorId: codes.distributorId,
          })
          .from(codes)
          .where(bdb.scoped(codes, inArray(codes.serial, t.serials.slice(i, i + SLICE) as string[])))
          .all()
        for (const r of rows) {
          found.add(r.serial)
          listRows.push(r)
        }
      }
      unknown = t.serials.filter((s) => !found.has(s))
      groups = groupRows(listRows)
    } else {
      batch = tx
        .select()
        .from(batches)
        .where(bdb.scoped(batches, eq(batches.id, t.batchId)))
        .get()
      if (!batch) return { kind: 'batch-not-found' }
      if (batch.status !== 'ready') return { kind: 'batch-not-ready' }
      range = t.kind === 'range' ? { from: t.from, to: t.to } : { from: 1, to: batch.quantity }
      if (range.from < 1 || range.to > batch.quantity || range.from > range.to)
        return { kind: 'bad-range', quantity: batch.quantity }
      groups = tx
        .select({ state: codes.state, distributorId: codes.distributorId, n: sql<number>`count(*)` })
        .from(codes)
        .where(bdb.scoped(codes, codesInRange(batch.id, range.from, range.to)))
        .groupBy(codes.state, codes.distributorId)
        .all()
    }

    let voidedSkipped = 0
    let bound = 0
    let activated = 0
    const previous = new Map<number, number>()
    for (const g of groups) {
      if (g.state === 'voided') {
        voidedSkipped += g.n
        continue
      }
      bound += g.n
      if (g.state === 'generated' || g.state === 'exported') activated += g.n
      if (g.distributorId !== null && g.distributorId !== distributor.id)
        previous.set(g.distributorId, (previous.get(g.distributorId) ?? 0) + g.n)
    }
    if (bound === 0) return { kind: 'nothing-to-ship', voidedSkipped, unknown }
    const hidden = [...previous.keys()].filter((id) => !scope.seesDistributor(id))
    if (hidden.length > 0)
      return { kind: 'out-of-scope', count: hidden.reduce((sum, id) => sum + previous.get(id)!, 0) }
    const rebound = [...previous.values()].reduce((a, b) => a + b, 0)
    const previousNamed = namePrevious(tx, bdb, previous)
    if (rebound > 0 && !input.reason) return { kind: 'needs-reason', rebound, previous: previousNamed }

    const shipment = tx
      .insert(shipments)
      .values({
        brandId: bdb.brandId,
        distributorId: distributor.id,
        kind: t.kind,
        batchId: batch?.id ?? null,
        seqFrom: range?.from ?? null,
        seqTo: range?.to ?? null,
        codeCount: bound,
        reboundCount: rebound,
        reason: rebound > 0 ? input.reason : null,
        note: input.note,
        actorStaffId: actor.staffId,
        actorLabel: actor.label,
        createdAt: now,
      })
      .returning()
      .get()
    const binding = {
      state: sql`CASE WHEN ${codes.state} IN ${ACTIVATABLE} THEN 'activated' ELSE ${codes.state} END`,
      activatedAt: sql`CASE WHEN ${codes.state} IN ${ACTIVATABLE} THEN ${now} ELSE ${codes.activatedAt} END`,
      distributorId: distributor.id,
      shipmentId: shipment.id,
    }
    const notVoided = ne(codes.state, 'voided')
    let changed = 0
    if (batch && range) {
      changed = tx
        .update(codes)
        .set(binding)
        .where(bdb.scoped(codes, codesInRange(batch.id, range.from, range.to), notVoided))
        .run().changes
    } else {
      const ids = listRows.filter((r) => r.state !== 'voided').map((r) => r.id)
      for (let i = 0; i < ids.length; i += SLICE) {
        changed += tx
          .update(codes)
          .set(binding)
          .where(and(inArray(codes.id, ids.slice(i, i + SLICE)), notVoided))
          .run().changes
      }
    }
    // The counts were read in this same transaction; a mismatch would be a bug, not a race.
    if (changed !== bound)
      throw new Error(`shipment ${shipment.id}: bound ${changed} codes, expected ${bound}`)
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'shipment.create',
      subjectType: 'shipment',
      subjectId: shipment.id,
      detail: {
        distributorId: distributor.id,
        distributorCode: distributor.code,
        kind: t.kind,
        ...(batch ? { batchId: batch.id, from: range!.from, to: range!.to } : {}),
        ...(t.kind === 'list'
          ? {
              serials: t.serials.length <= 10_000 ? [...t.serials] : `${t.serials.length} serials`,
              unknown: unknown.length,
            }
          : {}),
        bound,
        activated,
        voidedSkipped,
        rebound,
        ...(rebound > 0
          ? {
              reason: input.reason,
              reboundFrom: previousNamed.map((p) => ({
                distributorId: p.distributorId,
                code: p.code,
                count: p.count,
              })),
            }
          : {}),
        ...(input.note ? { note: input.note } : {}),
      },
    })
    return { kind: 'shipped', shipment, bound, activated, voidedSkipped, rebound, unknown }
  })
}

function groupRows(rows: readonly { state: string; distributorId: number | null }[]): Group[] {
  const byKey = new Map<string, Group>()
  for (const r of rows) {
    const key = `${r.state}|${r.distributorId ?? ''}`
    const g = byKey.get(key)
    if (g) g.n++
    else byKey.set(key, { state: r.state, distributorId: r.distributorId, n: 1 })
  }
  return [...byKey.values()]
}

function namePrevious(tx: Tx, bdb: BrandDb, counts: Map<number, number>): PreviousBinding[] {
  if (counts.size === 0) return []
  return tx
    .select({ id: distributors.id, code: distributors.code, name: distributors.name })
    .from(distributors)
    .where(bdb.scoped(distributors, inArray(distributors.id, [...counts.keys()])))
    .all()
    .map((d) => ({ distributorId: d.id, code: d.code, name: d.name, count: counts.get(d.id) ?? 0 }))
    .sort((a, b) => b.count - a.count)
}

export type ShipmentRow = Shipment & {
  distributorCode: string
  distributorName: string
  lot: string | null
  productSku: string | null
}

/** Shipments with their distributor, batch lot and product SKU, newest first. */
function shipmentRows(bdb: BrandDb, conditions: (SQL | undefined)[], limit: number): ShipmentRow[] {
  return bdb.db
    .select({
      shipment: shipments,
      distributorCode: distributors.code,
      distributorName: distributors.name,
      lot: batches.lot,
      productSku: products.sku,
    })
    .from(shipments)
    .innerJoin(distributors, eq(distributors.id, shipments.distributorId))
    .leftJoin(batches, eq(batches.id, shipments.batchId))
    .leftJoin(products, eq(products.id, batches.productId))
    .where(bdb.scoped(shipments, ...conditions))
    .orderBy(desc(shipments.id))
    .limit(limit)
    .all()
    .map((r) => ({
      ...r.shipment,
      distributorCode: r.distributorCode,
      distributorName: r.distributorName,
      lot: r.lot,
      productSku: r.productSku,
    }))
}

/**
 * One page of the shipments the scope sees, newest first, optionally of one distributor;
 * `before` continues below a shipment id.
 */
export function listShipments(
  bdb: BrandDb,
  scope: ChannelScope,
  opts: { distributorId?: number; before?: number; limit?: number },
) {
  const limit = opts.limit ?? SHIPMENT_PAGE_SIZE
  const rows = shipmentRows(
    bdb,
    [
      scope.distributorFilter(shipments.distributorId),
      opts.distributorId ? eq(shipments.distributorId, opts.distributorId) : undefined,
      opts.before ? lt(shipments.id, opts.before) : undefined,
    ],
    limit + 1,
  )
  const hasMore = rows.length > limit
  return { rows: rows.slice(0, limit), nextBefore: hasMore ? rows[limit - 1]?.id : undefined }
}

/** One shipment the scope sees; undefined for a missing id and for one outside the scope alike. */
export function findShipment(bdb: BrandDb, scope: ChannelScope, id: number): ShipmentRow | undefined {
  return shipmentRows(bdb, [eq(shipments.id, id), scope.distributorFilter(shipments.distributorId)], 1)[0]
}

/** Batches a shipment can take codes from (minted to the end), newest first. */
export function shippableBatches(bdb: BrandDb, limit = 200) {
  return bdb.db
    .select({
      id: batches.id,
      quantity: batches.quantity,
      lot: batches.lot,
      productSku: products.sku,
      createdAt: batches.createdAt,
    })
    .from(batches)
    .innerJoin(products, eq(products.id, batches.productId))
    .where(bdb.scoped(batches, eq(batches.status, 'ready')))
    .orderBy(desc(batches.id))
    .limit(limit)
    .all()
}

/**
 * The scope of the command line (a platform administrator at the server): every distributor of
 * the brand, as an owner sees them.
 */
export const WHOLE_BRAND_SCOPE: ChannelScope = {
  all: true,
  distributorIds: [],
  seesDistributor: () => true,
  seesRegion: () => true,
  distributorFilter: () => undefined,
}
