import { desc, eq, inArray, lt, sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import { BRAND_ACCOUNTS, balanceOf, MEMBER_ACCOUNT, postTransaction } from '../points/ledger-store.ts'
import { ledgerEntries, privacyRequests } from '../points/points-schema.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import type { Identity } from './member-identity.ts'
import { members, outbox } from './member-schema.ts'
import type { Member } from './member-store.ts'

export const ADMIN_PAGE_SIZE = 50

type Page<T> = { rows: T[]; nextBefore: number | undefined }

function pageOf<T extends { id: number }>(rows: T[]): Page<T> {
  const hasMore = rows.length > ADMIN_PAGE_SIZE
  return {
    rows: rows.slice(0, ADMIN_PAGE_SIZE),
    nextBefore: hasMore ? rows[ADMIN_PAGE_SIZE - 1]?.id : undefined,
  }
}

export type MemberRow = Member & { balance: number }

/** Balances of several members in one query (a page of the list). */
function withBalances(bdb: BrandDb, rows: Member[]): MemberRow[] {
  if (rows.length === 0) return []
  const sums = new Map(
    bdb.db
      .select({ memberId: ledgerEntries.memberId, total: sql<number>`sum(${ledgerEntries.amount})` })
      .from(ledgerEntries)
      .where(
        bdb.scoped(
          ledgerEntries,
          inArray(
            ledgerEntries.memberId,
            rows.map((r) => r.id),
          ),
        ),
      )
      .groupBy(ledgerEntries.memberId)
      .all()
      .map((r) => [r.memberId, r.total]),
  )
  return rows.map((r) => ({ ...r, balance: sums.get(r.id) ?? 0 }))
}

/** The brand's members, newest first, erased ones included (shown anonymised). */
export function listMembers(bdb: BrandDb, before?: number): Page<MemberRow> {
  const rows = bdb.db
    .select()
    .from(members)
    .where(bdb.scoped(members, before ? lt(members.id, before) : undefined))
    .orderBy(desc(members.id))
    .limit(ADMIN_PAGE_SIZE + 1)
    .all()
  const page = pageOf(rows)
  return { ...page, rows: withBalances(bdb, page.rows) }
}

/** The member with this normalised phone or email (an erased member has neither any more). */
export function lookupMember(bdb: BrandDb, identity: Identity): MemberRow[] {
  const where =
    identity.channel === 'sms' ? eq(members.phone, identity.phone) : eq(members.email, identity.email)
  return withBalances(bdb, bdb.db.select().from(members).where(bdb.scoped(members, where)).all())
}

export type AdjustOutcome =
  | { kind: 'adjusted'; balance: number; txId: number }
  | { kind: 'below-zero'; balance: number }
  | { kind: 'erased' }
  | { kind: 'not-found' }

/**
 * A manual points adjustment: one 'adjustment' transaction (the member ±N against
 * 'brand:adjusted' ∓N) and its audit record with the reason, committed together. A deduction may
 * not take the balance below zero; the balance is read inside the same write transaction, so two
 * deductions at once cannot both pass the check.
 *
 * @example
 * adjustPoints(bdb, { staffId, label: email }, memberId, { amount: -20, reason: 'Duplicate claim' }, now)
 */
export function adjustPoints(
  bdb: BrandDb,
  actor: Actor,
  memberId: number,
  input: { amount: number; reason: string },
  now: number,
): AdjustOutcome {
  return bdb.db.transaction((tx): AdjustOutcome => {
    const member = tx
      .select({ id: members.id, deletedAt: members.deletedAt })
      .from(members)
      .where(bdb.scoped(members, eq(members.id, memberId)))
      .get()
    if (!member) return { kind: 'not-found' }
    if (member.deletedAt !== null) return { kind: 'erased' }
    const before = balanceOf(tx, bdb.brandId, memberId)
    if (before + input.amount < 0) return { kind: 'below-zero', balance: before }
    const txId = postTransaction(
      tx,
      bdb.brandId,
      {
        kind: 'adjustment',
        memo: input.reason,
        entries: [
          { account: MEMBER_ACCOUNT, memberId, amount: input.amount },
          { account: BRAND_ACCOUNTS.adjusted, amount: -input.amount },
        ],
      },
      now,
    )
    const balance = before + input.amount
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'points.adjust',
      subjectType: 'member',
      subjectId: memberId,
      detail: {
        amount: input.amount,
        reason: input.reason,
        balanceBefore: before,
        balanceAfter: balance,
        txId,
      },
    })
    return { kind: 'adjusted', balance, txId }
  })
}

export type PrivacyRequestRow = typeof privacyRequests.$inferSelect

/** Members' data export and erasure requests, newest first (PIPL accountability). */
export function listPrivacyRequests(bdb: BrandDb, before?: number): Page<PrivacyRequestRow> {
  return pageOf(
    bdb.db
      .select()
      .from(privacyRequests)
      .where(bdb.scoped(privacyRequests, before ? lt(privacyRequests.id, before) : undefined))
      .orderBy(desc(privacyRequests.id))
      .limit(ADMIN_PAGE_SIZE + 1)
      .all(),
  )
}

/** The privacy requests of one member, newest first. */
export function privacyRequestsOf(bdb: BrandDb, memberId: number): PrivacyRequestRow[] {
  return bdb.db
    .select()
    .from(privacyRequests)
    .where(bdb.scoped(privacyRequests, eq(privacyRequests.memberId, memberId)))
    .orderBy(desc(privacyRequests.id))
    .all()
}

export type OutboxRow = typeof outbox.$inferSelect

/** The development outbox of the brand: messages the outbox sender "sent", newest first. */
export function listOutbox(bdb: BrandDb, before?: number): Page<OutboxRow> {
  return pageOf(
    bdb.db
      .select()
      .from(outbox)
      .where(bdb.scoped(outbox, before ? lt(outbox.id, before) : undefined))
      .orderBy(desc(outbox.id))
      .limit(ADMIN_PAGE_SIZE + 1)
      .all(),
  )
}
