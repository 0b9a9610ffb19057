import { and, desc, eq, gt, lt, type SQL, sql } from 'drizzle-orm'
import type { Keyring } from '../codes/keyring.ts'
import { computeTag, mintSerial } from '../codes/token.ts'
import type { BrandDb } from '../db/brand-scope.ts'
import type { Db } from '../db/index.ts'
import { isUniqueViolation } from '../db/sqlite-errors.ts'
import { products } from '../products/product-schema.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { batches, type CodeState, codes } from './batch-schema.ts'

export const MAX_BATCH_SIZE = 10_000_000
/** Rows per mint transaction: large enough to amortise the commit, small enough (~15 ms) to keep the
 * event loop responsive while the console mints in the background. */
export const MINT_CHUNK_SIZE = 5_000
export const BATCH_PAGE_SIZE = 25

export type Batch = typeof batches.$inferSelect

export type BatchInput = {
  productId: number
  quantity: number
  lot: string | null
  producedOn: string | null
  expiresOn: string | null
  urlMode: 'short' | 'gs1'
}

export type CreateBatchOutcome =
  | { kind: 'created'; batch: Batch }
  | { kind: 'product-not-found' }
  | { kind: 'gs1-needs-gtin' }
  | { kind: 'no-signing-key' }

/**
 * Records a new batch in state `minting`; its codes are minted afterwards by `mintChunk` calls (in
 * the background in the server, in the foreground in the CLI), so a 10M batch never blocks a request.
 */
export function createBatch(
  bdb: BrandDb,
  keyring: Keyring,
  actor: Actor,
  input: BatchInput,
  now: number,
): CreateBatchOutcome {
  const key = keyring.activeKeyFor(bdb.brandId)
  if (!key) return { kind: 'no-signing-key' }
  return bdb.db.transaction((tx) => {
    const product = tx
      .select()
      .from(products)
      .where(bdb.scoped(products, eq(products.id, input.productId)))
      .get()
    if (!product) return { kind: 'product-not-found' as const }
    if (input.urlMode === 'gs1' && !product.gtin) return { kind: 'gs1-needs-gtin' as const }
    const batch = tx
      .insert(batches)
      .values({
        ...input,
        brandId: bdb.brandId,
        kid: key.kid,
        status: 'minting',
        createdByStaffId: actor.staffId,
        createdAt: now,
      })
      .returning()
      .get()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'batch.create',
      subjectType: 'batch',
      subjectId: batch.id,
      detail: { sku: product.sku, quantity: input.quantity, lot: input.lot, urlMode: input.urlMode },
    })
    return { kind: 'created' as const, batch }
  })
}

/** `done` once the batch left `minting`: `status` then says whether it is `ready` or `failed`. */
export type MintProgress = { minted: number; quantity: number; done: boolean; status: Batch['status'] }

/**
 * Mints and stores the next chunk of a batch's codes in one transaction, together with the batch's
 * progress counter, so a crash leaves a batch that resumes exactly where it stopped. The transaction
 * takes the write lock before it reads the counter (IMMEDIATE): the server resuming a batch at start
 * while the CLI still mints it then alternates chunks with it instead of failing on a stale read.
 */
export function mintChunk(
  db: Db,
  keyring: Keyring,
  batchId: number,
  now: number,
  chunkSize = MINT_CHUNK_SIZE,
): MintProgress {
  const insert = db.$client.prepare(
    "INSERT INTO codes (brand_id, batch_id, seq, serial, kid, tag, state) VALUES (?, ?, ?, ?, ?, ?, 'generated')",
  )
  return db.transaction((tx) => {
    const batch = tx.select().from(batches).where(eq(batches.id, batchId)).get()
    if (!batch) throw new Error(`batch ${batchId} does not exist`)
    if (batch.status !== 'minting')
      return { minted: batch.mintedCount, quantity: batch.quantity, done: true, status: batch.status }
    const key = keyring.keyFor(batch.kid)
    if (!key) throw new Error(`signing key ${batch.kid} of batch ${batchId} is not loaded`)
    const end = Math.min(batch.quantity, batch.mintedCount + chunkSize)
    for (let seq = batch.mintedCount + 1; seq <= end; seq++) {
      insertUniqueCode(insert, batch, key.secret, seq)
    }
    const done = end === batch.quantity
    tx.update(batches)
      .set({ mintedCount: end, ...(done ? { status: 'ready' as const, finishedAt: now } : {}) })
      .where(eq(batches.id, batchId))
      .run()
    return {
      minted: end,
      quantity: batch.quantity,
      done,
      status: done ? ('ready' as const) : ('minting' as const),
    }
  }, IMMEDIATE)
}

const IMMEDIATE = { behavior: 'immediate' } as const

type InsertStatement = { run(...params: unknown[]): unknown }

function insertUniqueCode(insert: InsertStatement, batch: Batch, secret: Uint8Array, seq: number): void {
  // 80 random bits make a collision astronomically rare, but the unique index is the authority:
  // on a clash we simply draw again.
  for (let attempt = 0; ; attempt++) {
    const serial = mintSerial()
    try {
      insert.run(batch.brandId, batch.id, seq, serial, batch.kid, computeTag(secret, batch.kid, serial))
      return
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= 3) throw err
    }
  }
}

/** Marks a batch whose minting threw as failed, with a message the console shows. */
export function failBatch(db: Db, batchId: number, message: string, now: number): void {
  db.update(batches)
    .set({ status: 'failed', error: message, finishedAt: now })
    .where(eq(batches.id, batchId))
    .run()
}

export function unfinishedBatchIds(db: Db): number[] {
  return db
    .select({ id: batches.id })
    .from(batches)
    .where(eq(batches.status, 'minting'))
    .all()
    .map((r) => r.id)
}

export type BatchWithProduct = Batch & { productSku: string; productName: string; productGtin: string | null }

const batchColumns = {
  batch: batches,
  productSku: products.sku,
  productName: products.name,
  productGtin: products.gtin,
}

function flatten(r: { batch: Batch; productSku: string; productName: string; productGtin: string | null }) {
  return { ...r.batch, productSku: r.productSku, productName: r.productName, productGtin: r.productGtin }
}

export function findBatch(bdb: BrandDb, batchId: number): BatchWithProduct | undefined {
  const r = bdb.db
    .select(batchColumns)
    .from(batches)
    .innerJoin(products, eq(products.id, batches.productId))
    .where(bdb.scoped(batches, eq(batches.id, batchId)))
    .get()
  return r ? flatten(r) : undefined
}

/** A page of batches, newest first; `before` continues below a batch id. */
export function listBatches(bdb: BrandDb, before?: number) {
  const rows = bdb.db
    .select(batchColumns)
    .from(batches)
    .innerJoin(products, eq(products.id, batches.productId))
    .where(bdb.scoped(batches, before ? lt(batches.id, before) : undefined))
    .orderBy(desc(batches.id))
    .limit(BATCH_PAGE_SIZE + 1)
    .all()
    .map(flatten)
  const hasMore = rows.length > BATCH_PAGE_SIZE
  return {
    rows: rows.slice(0, BATCH_PAGE_SIZE),
    nextBefore: hasMore ? rows[BATCH_PAGE_SIZE - 1]?.id : undefined,
  }
}

export function countCodesByState(bdb: BrandDb, batchId: number): Record<CodeState, number> {
  const counts: Record<CodeState, number> = { generated: 0, exported: 0, activated: 0, claimed: 0, voided: 0 }
  const rows = bdb.db
    .select({ state: codes.state, n: sql<number>`count(*)` })
    .from(codes)
    .where(bdb.scoped(codes, eq(codes.batchId, batchId)))
    .groupBy(codes.state)
    .all()
  for (const r of rows) counts[r.state] = r.n
  return counts
}

export type Code = typeof codes.$inferSelect
export const CODE_PAGE_SIZE = 50

/**
 * A page of a batch's codes in print order, optionally of one state. `afterSeq` pages forward,
 * `beforeSeq` back (it wins if both are given); the page says where the next and previous pages
 * start, so the pager links only to pages that hold codes of the same filter.
 *
 * @example
 * const page = listCodes(bdb, batchId, { afterSeq: 50, state: 'activated' })
 * page.prevBeforeSeq // the first seq shown, when an earlier activated code exists
 */
export function listCodes(
  bdb: BrandDb,
  batchId: number,
  opts: { afterSeq?: number; beforeSeq?: number; state?: CodeState },
) {
  const where = (cursor: SQL | undefined) =>
    bdb.scoped(
      codes,
      eq(codes.batchId, batchId),
      cursor,
      opts.state ? eq(codes.state, opts.state) : undefined,
    )
  const before = opts.beforeSeq
  const backward = before !== undefined
  const found = bdb.db
    .select()
    .from(codes)
    .where(where(backward ? lt(codes.seq, before) : opts.afterSeq ? gt(codes.seq, opts.afterSeq) : undefined))
    .orderBy(backward ? desc(codes.seq) : codes.seq)
    .limit(CODE_PAGE_SIZE + 1)
    .all()
  const hasMore = found.length > CODE_PAGE_SIZE
  const rows = found.slice(0, CODE_PAGE_SIZE)
  if (backward) rows.reverse()
  const first = rows[0]?.seq
  const last = rows.at(-1)?.seq
  // The side the cursor came from is asked (LIMIT 1), not assumed: under a state filter it may hold no code.
  const exists = (cursor: SQL) =>
    bdb.db.select({ seq: codes.seq }).from(codes).where(where(cursor)).limit(1).get() !== undefined
  const hasEarlier = backward
    ? hasMore
    : opts.afterSeq !== undefined && first !== undefined && exists(lt(codes.seq, first))
  const hasLater = backward ? last !== undefined && exists(gt(codes.seq, last)) : hasMore
  return {
    rows,
    nextAfterSeq: hasLater ? last : undefined,
    prevBeforeSeq: hasEarlier ? first : undefined,
  }
}

export function findCodeBySerial(
  bdb: BrandDb,
  serial: string,
): (Code & { batch: BatchWithProduct }) | undefined {
  const code = bdb.db
    .select()
    .from(codes)
    .where(bdb.scoped(codes, eq(codes.serial, serial)))
    .get()
  if (!code) return undefined
  const batch = findBatch(bdb, code.batchId)
  return batch ? { ...code, batch } : undefined
}

export function codesInRange(batchId: number, from: number, to: number) {
  return and(eq(codes.batchId, batchId), sql`${codes.seq} BETWEEN ${from} AND ${to}`)
}
