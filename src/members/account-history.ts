import { sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { LedgerKind } from '../points/points-schema.ts'
import type { VerdictKind } from '../scans/scan-schema.ts'

export const HISTORY_PAGE_SIZE = 20

export type HistoryItem =
  | {
      type: 'scan'
      at: number
      verdict: VerdictKind
      placeZh: string | null
      placeEn: string | null
      /** The place came from the network address (IP_LOCATIONS_FILE), not the phone's own fix. */
      approximate: boolean
      product: string | null
    }
  | {
      type: LedgerKind
      at: number
      /** The member's net change in this transaction. */
      amount: number
      memo: string
      product: string | null
      reward: string | null
    }
  /** A claim held for review (diverted goods, src/channels/held-claims.ts): no points yet. */
  | { type: 'held'; at: number; status: HeldClaimStatus; product: string | null }

type HeldClaimStatus = 'held' | 'released' | 'refused'

type Row = {
  type: 'scan' | 'held' | LedgerKind
  ref: number
  at: number
  amount: number | null
  memo: string | null
  verdict: VerdictKind | null
  placeZh: string | null
  placeEn: string | null
  approximate: number | null
  product: string | null
  reward: string | null
}

/**
 * One page of a member's history, newest first: their scans and every ledger transaction that
 * touched their account (claims, redemptions and their reversals, expiries, adjustments), merged
 * in SQL so that paging stays right however the two kinds interleave. At the same instant a
 * ledger line sorts above the scan that led to it.
 *
 * @example
 * memberHistory(brandDb(db, brandId), member.id, 1) // { items: [...], hasMore: false }
 */
export function memberHistory(
  bdb: BrandDb,
  memberId: number,
  page: number,
): { items: HistoryItem[]; page: number; hasMore: boolean } {
  const brandId = bdb.brandId
  const offset = (page - 1) * HISTORY_PAGE_SIZE
  const rows = bdb.db.all<Row>(sql`
    SELECT * FROM (
      SELECT 'scan' AS type, s.id AS ref, s.at AS at, NULL AS amount, NULL AS memo, s.verdict AS verdict,
             s.place_zh AS placeZh, s.place_en AS placeEn, s.location_source = 'ip' AS approximate,
             p.name AS product, NULL AS reward
        FROM scans s
        LEFT JOIN codes c ON c.id = s.code_id
        LEFT JOIN batches b ON b.id = c.batch_id
        LEFT JOIN products p ON p.id = b.product_id
       WHERE s.brand_id = ${brandId} AND s.member_id = ${memberId}
      UNION ALL
      SELECT t.kind, t.id, t.created_at, sum(e.amount), t.memo, NULL, NULL, NULL, NULL,
             (SELECT p.name FROM claims cl
                JOIN codes c ON c.id = cl.code_id
                JOIN batches b ON b.id = c.batch_id
                JOIN products p ON p.id = b.product_id
               WHERE cl.tx_id = t.id),
             (SELECT r.name FROM redemptions rd JOIN rewards r ON r.id = rd.reward_id
               WHERE rd.brand_id = ${brandId} AND (rd.tx_id = t.id OR rd.reversal_tx_id = t.id) LIMIT 1)
        FROM ledger_transactions t
        JOIN ledger_entries e ON e.tx_id = t.id
       WHERE e.brand_id = ${brandId} AND e.member_id = ${memberId}
       GROUP BY t.id
      UNION ALL
      SELECT 'held', h.id, h.created_at, NULL, h.status, NULL, NULL, NULL, NULL, p.name, NULL
        FROM held_claims h
        JOIN codes c ON c.id = h.code_id
        JOIN batches b ON b.id = c.batch_id
        JOIN products p ON p.id = b.product_id
       WHERE h.brand_id = ${brandId} AND h.member_id = ${memberId}
    )
    ORDER BY at DESC, type = 'scan', ref DESC
    LIMIT ${HISTORY_PAGE_SIZE + 1} OFFSET ${offset}`)
  const items = rows.slice(0, HISTORY_PAGE_SIZE).map(
    (r): HistoryItem =>
      r.type === 'held'
        ? { type: 'held', at: r.at, status: r.memo as HeldClaimStatus, product: r.product }
        : r.type === 'scan'
          ? {
              type: 'scan',
              at: r.at,
              verdict: r.verdict!,
              placeZh: r.placeZh,
              placeEn: r.placeEn,
              approximate: r.approximate === 1,
              product: r.product,
            }
          : {
              type: r.type,
              at: r.at,
              amount: r.amount ?? 0,
              memo: r.memo ?? '',
              product: r.product,
              reward: r.reward,
            },
  )
  return { items, page, hasMore: rows.length > HISTORY_PAGE_SIZE }
}
