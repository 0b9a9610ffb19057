import { and, asc, count, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { DbLike } from '../db/index.ts'
import { BRAND_ACCOUNTS, balanceOf, MEMBER_ACCOUNT, postTransaction } from '../points/ledger-store.ts'
import { memberTiers, privacyRequests, tiers } from '../points/points-schema.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import {
  isActivitySort,
  MEMBERS_PAGE_SIZE,
  type MemberSearch,
  type MemberSort,
  memberConditions,
  memberOrder,
  type SegmentFilter,
} from './member-filter.ts'
import { members, outbox } from './member-schema.ts'
import { type TagSource, tagsOfMembers } from './member-tag-store.ts'
import { memberActivity } from './programme-schema.ts'

export const ADMIN_PAGE_SIZE = 50

type Page<T> = { rows: T[]; nextBefore: number | undefined }

function pageOf<T extends { id: number }>(rows: T[]): Page<T> {
  const hasMore = rows.length > ADMIN_PAGE_SIZE
  return {
    rows: rows.slice(0, ADMIN_PAGE_SIZE),
    nextBefore: hasMore ? rows[ADMIN_PAGE_SIZE - 1]?.id : undefined,
  }
}

/** One row of the members list: profile, contact columns (shown through contactOf), tier and activity. */
export type MemberListRow = {
  id: number
  name: string | null
  createdAt: number
  deletedAt: number | null
  mergedIntoId: number | null
  phone: string | null
  email: string | null
  phoneEnc: string | null
  emailEnc: string | null
  phoneHint: string | null
  emailHint: string | null
  tierName: string | null
  /** From the activity roll-up (member_activity); null until the tags job has seen the member. */
  lastScanAt: number | null
  balance: number | null
  pointsEarned: number | null
  lifecycle: string | null
  computedAt: number | null
  tags: { tag: string; source: TagSource }[]
}

const listColumns = {
  id: members.id,
  name: members.name,
  createdAt: members.createdAt,
  deletedAt: members.deletedAt,
  mergedIntoId: members.mergedIntoId,
  phone: members.phone,
  email: members.email,
  phoneEnc: members.phoneEnc,
  emailEnc: members.emailEnc,
  phoneHint: members.phoneHint,
  emailHint: members.emailHint,
  tierName: tiers.name,
  lastScanAt: memberActivity.lastScanAt,
  balance: memberActivity.balance,
  pointsEarned: memberActivity.pointsEarned,
  lifecycle: memberActivity.lifecycle,
  computedAt: memberActivity.computedAt,
}

/** members ⟕ activity ⟕ tier: one primary-key probe each per row, after the WHERE has chosen the row. */
function selectListRows(bdb: BrandDb) {
  return bdb.db
    .select(listColumns)
    .from(members)
    .leftJoin(
      memberActivity,
      and(eq(memberActivity.memberId, members.id), eq(memberActivity.brandId, bdb.brandId)),
    )
    .leftJoin(memberTiers, and(eq(memberTiers.memberId, members.id), eq(memberTiers.brandId, bdb.brandId)))
    .leftJoin(tiers, eq(tiers.id, memberTiers.tierId))
}

export type MemberListPage = { rows: MemberListRow[]; total: number; page: number; pageCount: number }

type ListQuery = { filters: Partial<SegmentFilter>[]; search: MemberSearch; sort?: MemberSort; page?: number }

function whereOf(bdb: BrandDb, query: ListQuery, opts: { unindexedBrand?: boolean } = {}) {
  const filters = query.filters.length > 0 ? query.filters : [{}]
  // The search adds no show-condition of its own ({ show: 'all' }); each filter adds its own.
  return and(
    memberConditions(bdb, { show: 'all' }, query.search, opts),
    ...filters.map((f) => memberConditions(bdb, f, { kind: 'none' }, opts)),
  )
}

/**
 * One page (50) of the members matching every filter given (a saved segment's and the list's own)
 * and a search, in the chosen order, with the total. The count runs over `members` alone with the
 * same WHERE (every filter is a predicate on members), never over the joins the page's columns need.
 *
 * @example
 * listMembers(bdb, { filters: [{ tag: 'vip' }], search: { kind: 'none' }, sort: 'last-scan', page: 2 })
 */
export function listMembers(bdb: BrandDb, query: ListQuery): MemberListPage {
  const where = whereOf(bdb, query)
  const total = bdb.db.select({ n: count() }).from(members).where(where).get()?.n ?? 0
  const pageCount = Math.max(1, Math.ceil(total / MEMBERS_PAGE_SIZE))
  const page = Math.min(query.page ?? 1, pageCount)
  const offset = (page - 1) * MEMBERS_PAGE_SIZE
  const rows = isActivitySort(query.sort)
    ? activitySortedPage(bdb, query, offset)
    : selectListRows(bdb)
        .where(where)
        .orderBy(...memberOrder(query.sort))
        .limit(MEMBERS_PAGE_SIZE)
        .offset(offset)
        .all()
  const tags = tagsOfMembers(
    bdb,
    rows.map((r) => r.id),
  )
  return { rows: rows.map((r) => ({ ...r, tags: tags.get(r.id) ?? [] })), total, page, pageCount }
}

/**
 * A page in last-scan, balance or points order. Members with a roll-up row come first, read from
 * member_activity (in last-scan order straight off member_activity_brand_last_scan_idx: under a
 * millisecond at 100k members, where sorting every member took ~100 ms); members without one
 * (joined since the last run) follow, newest first. How many had a row is counted only when a page
 * starts past them.
 */
function activitySortedPage(bdb: BrandDb, query: ListQuery, offset: number) {
  // Ids first: the sorter then carries (key, id) per member instead of every column of the page.
  const ids = bdb.db
    .select({ id: members.id })
    .from(memberActivity)
    .innerJoin(members, eq(members.id, memberActivity.memberId))
    .where(
      and(
        // Last scan: walk the (brand, last_scan_at) index backwards. Balance and points have no
        // index: read the table in order (the unary +) rather than through the brand's last-scan
        // index out of order, 4–5× slower (EXPLAIN QUERY PLAN on 100k members).
        query.sort === 'last-scan'
          ? eq(memberActivity.brandId, bdb.brandId)
          : sql`+${memberActivity.brandId} = ${bdb.brandId}`,
        whereOf(bdb, query, { unindexedBrand: true }),
      ),
    )
    .orderBy(...memberOrder(query.sort))
    .limit(MEMBERS_PAGE_SIZE)
    .offset(offset)
    .all()
    .map((r) => r.id)
  const byId = new Map(
    (ids.length > 0
      ? selectListRows(bdb)
          .where(bdb.scoped(members, inArray(members.id, ids)))
          .all()
      : []
    ).map((r) => [r.id, r]),
  )
  const first = ids.flatMap((id) => byId.get(id) ?? [])
  if (first.length === MEMBERS_PAGE_SIZE) return first
  const where = whereOf(bdb, query)
  const withActivity =
    first.length > 0
      ? offset + first.length
      : (bdb.db
          .select({ n: count() })
          .from(members)
          .where(
            and(
              where,
              inArray(
                members.id,
                bdb.db
                  .select({ id: memberActivity.memberId })
                  .from(memberActivity)
                  .where(bdb.scoped(memberActivity)),
              ),
            ),
          )
          .get()?.n ?? 0)
  const rest = selectListRows(bdb)
    .where(and(where, isNull(memberActivity.memberId)))
    .orderBy(desc(members.id))
    .limit(MEMBERS_PAGE_SIZE - first.length)
    .offset(Math.max(0, offset - withActivity))
    .all()
  return [...first, ...rest]
}

/** How many members a filter matches (a segment's live size); `db` may be a transaction of `bdb`. */
export function countMembers(bdb: BrandDb, filter: Partial<SegmentFilter>, db: DbLike = bdb.db): number {
  return (
    db
      .select({ n: count() })
      .from(members)
      .where(memberConditions(bdb, filter, { kind: 'none' }))
      .get()?.n ?? 0
  )
}

/** Rows read per query while exporting: each is a short read, so no cursor stays open across awaits. */
export const EXPORT_CHUNK = 2_000

/**
 * Every member matching a filter, in id order, read chunk by chunk (keyset on the id) so a segment
 * of any size streams in constant memory and other requests run between chunks.
 *
 * @example
 * for await (const row of memberRowsOf(bdb, segment.filter)) write(csvLine(row))
 */
export async function* memberRowsOf(
  bdb: BrandDb,
  filter: Partial<SegmentFilter>,
): AsyncGenerator<MemberListRow> {
  // Each chunk starts from the id range of the primary key (hence the unindexed brand check):
  // through the brand's join-date index, every chunk read and sorted the whole brand (4.4 s of CPU
  // for 100k members, against ~1 s).
  const where = memberConditions(bdb, filter, { kind: 'none' }, { unindexedBrand: true })
  let after = 0
  for (;;) {
    const rows = selectListRows(bdb)
      .where(and(where, gt(members.id, after)))
      .orderBy(asc(members.id))
      .limit(EXPORT_CHUNK)
      .all()
    if (rows.length === 0) return
    const tags = tagsOfMembers(
      bdb,
      rows.map((r) => r.id),
    )
    for (const r of rows) yield { ...r, tags: tags.get(r.id) ?? [] }
    after = rows[rows.length - 1]!.id
    if (rows.length < EXPORT_CHUNK) return
    await new Promise((resolve) => setImmediate(resolve))
  }
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
