import type { Db, DbLike } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import { claimCode } from '../points/claim-store.ts'

type HeldRow = { id: number; codeId: number; memberId: number; idempotencyKey: string }

const statementsFor = preparedPerConnection((c) => ({
  insert: c.prepare<{
    brandId: number
    codeId: number
    memberId: number
    scanId: number
    caseId: number
    key: string
    now: number
  }>(`
    INSERT INTO held_claims (brand_id, code_id, member_id, scan_id, case_id, idempotency_key, status, created_at)
    VALUES (@brandId, @codeId, @memberId, @scanId, @caseId, @key, 'held', @now)`),
  heldOfCase: c.prepare<[number, number], HeldRow>(`
    SELECT id, code_id AS codeId, member_id AS memberId, idempotency_key AS idempotencyKey
    FROM held_claims WHERE case_id = ? AND brand_id = ? AND status = 'held' ORDER BY id`),
  mark: c.prepare<{ id: number; status: 'released' | 'refused'; now: number }>(
    'UPDATE held_claims SET status = @status, decided_at = @now WHERE id = @id',
  ),
  setClaim: c.prepare<[number, number]>('UPDATE held_claims SET claim_id = ? WHERE id = ?'),
  claimIdByKey: c.prepare<[string], { id: number }>('SELECT id FROM claims WHERE idempotency_key = ?'),
  refuseAll: c.prepare<{ caseId: number; brandId: number; now: number }>(`
    UPDATE held_claims SET status = 'refused', decided_at = @now
    WHERE case_id = @caseId AND brand_id = @brandId AND status = 'held'`),
  ofMember: c.prepare<[number, number, number], MemberHeldClaim>(`
    SELECT h.id, h.status, h.created_at AS at, h.decided_at AS decidedAt, p.name AS product
    FROM held_claims h
    JOIN codes c ON c.id = h.code_id
    JOIN batches b ON b.id = c.batch_id
    JOIN products p ON p.id = b.product_id
    WHERE h.member_id = ? AND h.brand_id = ?
    ORDER BY h.id DESC LIMIT ?`),
}))

/**
 * Records a claim held for review, inside the claim's transaction (claimCode's `beforeAward`).
 * The partial unique index on held claims keeps one per code; a second one throws a unique
 * violation, which claimCode answers as `held`.
 *
 * @example
 * holdClaim(db, { brandId, codeId, memberId, scanId, caseId, idempotencyKey: key, now })
 */
export function holdClaim(
  db: DbLike,
  h: {
    brandId: number
    codeId: number
    memberId: number
    scanId: number
    caseId: number
    idempotencyKey: string
    now: number
  },
): void {
  const { brandId, codeId, memberId, scanId, caseId, idempotencyKey: key, now } = h
  statementsFor(db).insert.run({ brandId, codeId, memberId, scanId, caseId, key, now })
}

/**
 * Settles the claims held under a case once a manager has decided it, inside the caller's
 * transaction (better-sqlite3 nests it as a savepoint; pass the `Db` handle, whose one connection
 * carries the caller's open transaction):
 * - `dismissed` (the item was sold in its region after all): each held claim goes through the
 *   normal claim path with its own idempotency key (caps were checked when it was held, so they
 *   are not again) and is marked `released` with its claim id; one the code's state no longer
 *   allows (voided meanwhile, say) is marked `refused`;
 * - `confirmed` (diverted): every held claim is marked `refused`; the code stays unclaimed.
 *
 * @example
 * db.transaction(() => { decideCase(…); settleHeldClaims(db, brandId, caseId, 'dismissed', now) })
 */
export function settleHeldClaims(
  db: Db,
  brandId: number,
  caseId: number,
  decision: 'confirmed' | 'dismissed',
  now: number,
): { released: number; refused: number } {
  const q = statementsFor(db)
  return db.$client.transaction(() => {
    if (decision === 'confirmed') {
      return { released: 0, refused: q.refuseAll.run({ caseId, brandId, now }).changes }
    }
    let released = 0
    let refused = 0
    for (const held of q.heldOfCase.all(caseId, brandId)) {
      // No longer held first: a held claim blocks every claim of its code, this one included.
      q.mark.run({ id: held.id, status: 'released', now })
      const outcome = claimCode(db, {
        brandId,
        codeId: held.codeId,
        memberId: held.memberId,
        idempotencyKey: held.idempotencyKey,
        now,
        skipCaps: true,
      })
      const claim = outcome.kind === 'claimed' ? q.claimIdByKey.get(held.idempotencyKey) : undefined
      if (claim) {
        q.setClaim.run(claim.id, held.id)
        released++
      } else {
        q.mark.run({ id: held.id, status: 'refused', now })
        refused++
      }
    }
    return { released, refused }
  })()
}

export type MemberHeldClaim = {
  id: number
  status: 'held' | 'released' | 'refused'
  at: number
  decidedAt: number | null
  product: string
}

/** A member's held claims, newest first (at most `limit`), for their account page. */
export function heldClaimsOfMember(
  db: DbLike,
  brandId: number,
  memberId: number,
  limit = 20,
): MemberHeldClaim[] {
  return statementsFor(db).ofMember.all(memberId, brandId, limit)
}
