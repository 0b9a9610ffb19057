import { desc, lt } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { DbLike } from '../db/index.ts'
import { auditLog } from './staff-schema.ts'

export type Actor = { staffId: number | null; label: string }

export type AuditEntry = {
  action: string
  subjectType: string
  subjectId: string | number
  detail?: Record<string, unknown>
}

/**
 * Appends one audit record. Call it inside the transaction of the action it records, so that an
 * action and its record commit together or not at all.
 *
 * @example
 * recordAudit(tx, brandId, actor, now, { action: 'batch.create', subjectType: 'batch', subjectId: id })
 */
export function recordAudit(tx: DbLike, brandId: number, actor: Actor, at: number, entry: AuditEntry): void {
  tx.insert(auditLog)
    .values({
      brandId,
      actorStaffId: actor.staffId,
      actorLabel: actor.label,
      action: entry.action,
      subjectType: entry.subjectType,
      subjectId: String(entry.subjectId),
      detail: entry.detail ?? {},
      at,
    })
    .run()
}

export const AUDIT_PAGE_SIZE = 50

/** One page of the brand's audit log, newest first; `before` is the id to continue below. */
export function listAudit(bdb: BrandDb, before?: number) {
  const rows = bdb.db
    .select()
    .from(auditLog)
    .where(bdb.scoped(auditLog, before ? lt(auditLog.id, before) : undefined))
    .orderBy(desc(auditLog.id))
    .limit(AUDIT_PAGE_SIZE + 1)
    .all()
  const hasMore = rows.length > AUDIT_PAGE_SIZE
  return {
    rows: rows.slice(0, AUDIT_PAGE_SIZE),
    nextBefore: hasMore ? rows[AUDIT_PAGE_SIZE - 1]?.id : undefined,
  }
}
