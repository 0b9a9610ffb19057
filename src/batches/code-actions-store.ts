import { and, eq, inArray, ne } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { batches, codes, type VoidReason } from './batch-schema.ts'
import { codesInRange } from './batch-store.ts'

/** Most serials one void request may name (a pasted list or an uploaded CSV). */
export const MAX_VOID_LIST = 100_000

export type Range = { from: number; to: number }

export type ActivateOutcome =
  | { kind: 'activated'; count: number; skipped: number }
  | { kind: 'not-found' }
  | { kind: 'not-ready' }
  | { kind: 'bad-range'; quantity: number }

export type ActivationRefusal = Extract<ActivateOutcome, { kind: 'not-ready' | 'bad-range' }>

/**
 * Why this range of a batch cannot be activated, or null when it can; the console asks before it
 * shows the confirmation, and `activateCodes` asks again inside its transaction.
 *
 * @example
 * activationRefusal({ status: 'ready', quantity: 12 }, { from: 10, to: 13 }) // { kind: 'bad-range', quantity: 12 }
 */
export function activationRefusal(
  batch: { status: string; quantity: number },
  range: Range,
): ActivationRefusal | null {
  if (batch.status !== 'ready') return { kind: 'not-ready' }
  if (range.from < 1 || range.to > batch.quantity || range.from > range.to)
    return { kind: 'bad-range', quantity: batch.quantity }
  return null
}

/**
 * Warehouse-out: codes of a batch (all, or a seq range) start to earn points. Codes already
 * activated, claimed or voided are left as they are and counted as skipped.
 */
export function activateCodes(bdb: BrandDb, actor: Actor, batchId: number, range: Range | null, now: number) {
  return bdb.db.transaction((tx): ActivateOutcome => {
    const batch = tx
      .select()
      .from(batches)
      .where(bdb.scoped(batches, eq(batches.id, batchId)))
      .get()
    if (!batch) return { kind: 'not-found' }
    const r = range ?? { from: 1, to: batch.quantity }
    const refusal = activationRefusal(batch, r)
    if (refusal) return refusal
    const result = tx
      .update(codes)
      .set({ state: 'activated', activatedAt: now })
      .where(and(codesInRange(batchId, r.from, r.to), inArray(codes.state, ['generated', 'exported'])))
      .run()
    const total = r.to - r.from + 1
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'codes.activate',
      subjectType: 'batch',
      subjectId: batchId,
      detail: { from: r.from, to: r.to, activated: result.changes, skipped: total - result.changes },
    })
    return { kind: 'activated', count: result.changes, skipped: total - result.changes }
  })
}

export type VoidOutcome =
  | { kind: 'voided'; count: number; alreadyVoided: number; unknown: string[] }
  | { kind: 'not-found' }
  | { kind: 'bad-range'; quantity: number }

export type VoidInput = { reason: VoidReason; note: string | null }

/**
 * Voids a seq range of a batch with a reason (misprint, stolen, …). A voided code still records
 * scans but never earns; voiding is final.
 */
export function voidRange(
  bdb: BrandDb,
  actor: Actor,
  batchId: number,
  range: Range,
  input: VoidInput,
  now: number,
) {
  return bdb.db.transaction((tx): VoidOutcome => {
    const batch = tx
      .select()
      .from(batches)
      .where(bdb.scoped(batches, eq(batches.id, batchId)))
      .get()
    if (!batch) return { kind: 'not-found' }
    if (range.from < 1 || range.to > batch.quantity || range.from > range.to) {
      return { kind: 'bad-range', quantity: batch.quantity }
    }
    const count = tx
      .update(codes)
      .set({ state: 'voided', voidedAt: now, voidReason: input.reason })
      .where(and(codesInRange(batchId, range.from, range.to), ne(codes.state, 'voided')))
      .run().changes
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'codes.void',
      subjectType: 'batch',
      subjectId: batchId,
      detail: { ...input, ...range, voided: count },
    })
    return { kind: 'voided', count, alreadyVoided: range.to - range.from + 1 - count, unknown: [] }
  })
}

// SQLite caps the bound parameters of one statement; lists are looked up and updated in slices.
const SLICE = 500

/** Voids the listed serials of this brand; serials it does not know (or another brand's) come back as unknown. */
export function voidSerials(bdb: BrandDb, actor: Actor, serials: string[], input: VoidInput, now: number) {
  const unique = [...new Set(serials)]
  return bdb.db.transaction((tx): VoidOutcome => {
    const known: string[] = []
    let count = 0
    for (let i = 0; i < unique.length; i += SLICE) {
      const slice = unique.slice(i, i + SLICE)
      const found = tx
        .select({ serial: codes.serial })
        .from(codes)
        .where(bdb.scoped(codes, inArray(codes.serial, slice)))
      known.push(...found.all().map((r) => r.serial))
      count += tx
        .update(codes)
        .set({ state: 'voided', voidedAt: now, voidReason: input.reason })
        .where(bdb.scoped(codes, inArray(codes.serial, slice), ne(codes.state, 'voided')))
        .run().changes
    }
    const knownSet = new Set(known)
    const unknown = unique.filter((s) => !knownSet.has(s))
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'codes.void',
      subjectType: 'codes',
      subjectId: 'list',
      // Which codes were voided is evidence; keep the list itself for any list a person could paste.
      detail: {
        ...input,
        serials: known.length <= 10_000 ? known : `${known.length} serials`,
        voided: count,
      },
    })
    return { kind: 'voided', count, alreadyVoided: known.length - count, unknown }
  })
}
