import { and, eq } from 'drizzle-orm'
import { batches, codes } from '../batches/batch-schema.ts'
import type { Db, DbLike } from '../db/index.ts'
import { isUniqueViolation } from '../db/sqlite-errors.ts'
import { products } from '../products/product-schema.ts'
import { BRAND_ACCOUNTS, balanceOf, MEMBER_ACCOUNT, postTransaction } from './ledger-store.ts'
import { claims } from './points-schema.ts'

export type ClaimInput = {
  brandId: number
  codeId: number
  memberId: number
  idempotencyKey: string
  now: number
}

export type ClaimOutcome =
  | { kind: 'claimed'; points: number; balance: number; replay: boolean }
  | { kind: 'already-claimed'; byYou: boolean; at: number }
  | { kind: 'not-activated' }
  | { kind: 'voided' }
  | { kind: 'no-points' }
  | { kind: 'not-found' }

/**
 * Awards a code's points to a member exactly once, in one transaction: the unique index on
 * claims(code_id) is the guard (another process racing us fails there), the code moves from
 * `activated` to `claimed`, and the ledger gets a balanced claim transaction. Retrying with the same
 * idempotency key answers the first outcome again instead of a second award.
 *
 * @example
 * claimCode(db, { brandId, codeId, memberId, idempotencyKey: form.key, now })
 */
export function claimCode(db: Db, input: ClaimInput): ClaimOutcome {
  try {
    return db.transaction((tx): ClaimOutcome => {
      const previous = tx.select().from(claims).where(eq(claims.idempotencyKey, input.idempotencyKey)).get()
      if (previous && previous.memberId === input.memberId && previous.codeId === input.codeId) {
        return {
          kind: 'claimed',
          points: previous.points,
          balance: balanceOf(tx, input.brandId, input.memberId),
          replay: true,
        }
      }
      const code = tx
        .select({ id: codes.id, state: codes.state, points: products.points })
        .from(codes)
        .innerJoin(batches, eq(batches.id, codes.batchId))
        .innerJoin(products, eq(products.id, batches.productId))
        .where(and(eq(codes.id, input.codeId), eq(codes.brandId, input.brandId)))
        .get()
      if (!code) return { kind: 'not-found' }
      if (code.state === 'voided') return { kind: 'voided' }
      if (code.state === 'claimed') return alreadyClaimed(tx, input)
      if (code.state !== 'activated') return { kind: 'not-activated' }
      if (code.points <= 0) return { kind: 'no-points' }
      const moved = tx
        .update(codes)
        .set({ state: 'claimed', claimedAt: input.now })
        .where(and(eq(codes.id, code.id), eq(codes.state, 'activated')))
        .run()
      if (moved.changes !== 1) return alreadyClaimed(tx, input)
      const txId = postTransaction(
        tx,
        input.brandId,
        {
          kind: 'claim',
          memo: `code ${code.id}`,
          entries: [
            { account: MEMBER_ACCOUNT, memberId: input.memberId, amount: code.points },
            { account: BRAND_ACCOUNTS.issued, amount: -code.points },
          ],
        },
        input.now,
      )
      tx.insert(claims)
        .values({
          brandId: input.brandId,
          codeId: code.id,
          memberId: input.memberId,
          txId,
          points: code.points,
          idempotencyKey: input.idempotencyKey,
          createdAt: input.now,
        })
        .run()
      return {
        kind: 'claimed',
        points: code.points,
        balance: balanceOf(tx, input.brandId, input.memberId),
        replay: false,
      }
    })
  } catch (err) {
    // Another process claimed the code (or used the key) between our read and our insert.
    if (isUniqueViolation(err)) return alreadyClaimed(db, input)
    throw err
  }
}

function alreadyClaimed(db: DbLike, input: ClaimInput): ClaimOutcome {
  const claim = db.select().from(claims).where(eq(claims.codeId, input.codeId)).get()
  return {
    kind: 'already-claimed',
    byYou: claim?.memberId === input.memberId,
    at: claim?.createdAt ?? input.now,
  }
}
