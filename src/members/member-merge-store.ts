import { and, count, eq, sql } from 'drizzle-orm'
import { heldClaims } from '../channels/channel-schema.ts'
import type { BrandDb } from '../db/brand-scope.ts'
import { type Lot, remainingLots } from '../points/earning-lots.ts'
import { balanceOf, type Entry, MEMBER_ACCOUNT, postTransaction } from '../points/ledger-store.ts'
import { claims, memberTiers, redemptions } from '../points/points-schema.ts'
import { memberLines } from '../points/reward-store.ts'
import { heldTier, raiseTierIfEarned } from '../points/tier-store.ts'
import { scans } from '../scans/scan-schema.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { ERASED_PERSONAL_DATA, findAnyMember, forgetContacts } from './account-store.ts'
import { parseIdentity } from './member-identity.ts'
import { readMergeTarget } from './member-merge-input.ts'
import { contactOf, type MemberPii } from './member-pii.ts'
import { members } from './member-schema.ts'
import { identityCondition, type Member } from './member-store.ts'
import { churnWarnings, memberActivity, memberMerges, memberTags } from './programme-schema.ts'

/** Why two members cannot be merged; each is a clear answer to the owner, never a thrown error. */
export type MergeRefusal =
  | { kind: 'not-found' }
  | { kind: 'target-not-found' }
  | { kind: 'same-member' }
  | { kind: 'already-merged'; intoId: number }
  | { kind: 'erased' }
  | { kind: 'target-merged'; intoId: number }
  | { kind: 'target-merged-here' }
  | { kind: 'target-erased' }

/** The profile fields a kept member without them takes over from the merged one. */
const PROFILE_FIELDS = ['name', 'birthday', 'gender', 'regionCode'] as const

/**
 * Whether `from` may be merged into `into` (both already read within the brand): not the same
 * member, and neither erased nor merged away. A member of another brand is never read, so it
 * answers 'target-not-found' like a member that does not exist.
 */
export function mergeRefusal(from: Member | undefined, into: Member | undefined): MergeRefusal | undefined {
  if (!from) return { kind: 'not-found' }
  if (from.mergedIntoId !== null) return { kind: 'already-merged', intoId: from.mergedIntoId }
  if (from.deletedAt !== null) return { kind: 'erased' }
  if (!into) return { kind: 'target-not-found' }
  if (into.id === from.id) return { kind: 'same-member' }
  if (into.mergedIntoId === from.id) return { kind: 'target-merged-here' }
  if (into.mergedIntoId !== null) return { kind: 'target-merged', intoId: into.mergedIntoId }
  if (into.deletedAt !== null) return { kind: 'target-erased' }
  return undefined
}

export type TargetLookup = { kind: 'found'; member: Member } | { kind: 'no-match' } | { kind: 'invalid' }

/**
 * The member an owner named to merge into: `#42` by number, otherwise a phone or email found by
 * its keyed hash (normalised first, so '138-0013-8000' finds '+8613800138000'). Brand-scoped.
 *
 * @example
 * findMergeTarget(bdb, pii, 'Li.Hua@Example.com') // { kind: 'found', member }
 */
export function findMergeTarget(bdb: BrandDb, pii: MemberPii, text: string): TargetLookup {
  const target = readMergeTarget(text)
  if (target.kind === 'id') {
    const member = findAnyMember(bdb, target.id)
    return member ? { kind: 'found', member } : { kind: 'no-match' }
  }
  const identity = parseIdentity(target.text)
  if (!identity) return { kind: 'invalid' }
  const member = bdb.db
    .select()
    .from(members)
    .where(identityCondition(pii, bdb.brandId, identity))
    .get()
  return member ? { kind: 'found', member } : { kind: 'no-match' }
}

/** One member as the merge preview shows them. */
export type MergeSide = {
  id: number
  phone: string | null
  email: string | null
  name: string | null
  birthday: string | null
  gender: string | null
  regionCode: string | null
  createdAt: number
  balance: number
  /** Remaining earning lots (FIFO), soonest expiry first: what a merge moves, with these dates. */
  lots: Lot[]
  claims: number
  scans: number
  redemptions: number
  tier: string | null
}

function countOf(bdb: BrandDb, table: typeof claims | typeof scans | typeof redemptions, memberId: number) {
  return (
    bdb.db
      .select({ n: count() })
      .from(table)
      .where(bdb.scoped(table, eq(table.memberId, memberId)))
      .get()?.n ?? 0
  )
}

/** A member's side of the preview; phone and email are masked unless `unmasked` (owners). */
export function mergeSide(bdb: BrandDb, pii: MemberPii, member: Member, unmasked: boolean): MergeSide {
  const contact = contactOf(pii, member, unmasked)
  return {
    id: member.id,
    ...contact,
    name: member.name,
    birthday: member.birthday,
    gender: member.gender,
    regionCode: member.regionCode,
    createdAt: member.createdAt,
    balance: balanceOf(bdb.db, bdb.brandId, member.id),
    lots: remainingLots(memberLines(bdb.db, bdb.brandId, member.id)),
    claims: countOf(bdb, claims, member.id),
    scans: countOf(bdb, scans, member.id),
    redemptions: countOf(bdb, redemptions, member.id),
    tier: heldTier(bdb.db, bdb.brandId, member.id)?.name ?? null,
  }
}

/** What the kept member takes over from the merged one: contact channels and profile fields it lacks. */
export type Takeover = { phone: boolean; email: boolean; fields: (typeof PROFILE_FIELDS)[number][] }

export function takeoverOf(from: Member, into: Member): Takeover {
  const hasPhone = (m: Member) => m.phoneHash !== null || m.phoneEnc !== null || m.phone !== null
  const hasEmail = (m: Member) => m.emailHash !== null || m.emailEnc !== null || m.email !== null
  return {
    phone: hasPhone(from) && !hasPhone(into),
    email: hasEmail(from) && !hasEmail(into),
    fields: PROFILE_FIELDS.filter((f) => from[f] !== null && into[f] === null),
  }
}

export type MergePreview =
  | { kind: 'preview'; from: MergeSide; into: MergeSide; takeover: Takeover }
  | MergeRefusal

/** Both members side by side, as the viewer may see them, before the owner confirms. */
export function previewMerge(
  bdb: BrandDb,
  pii: MemberPii,
  ids: { fromId: number; intoId: number },
  unmasked: boolean,
): MergePreview {
  const from = findAnyMember(bdb, ids.fromId)
  const into = findAnyMember(bdb, ids.intoId)
  const refusal = mergeRefusal(from, into)
  if (refusal) return refusal
  return {
    kind: 'preview',
    from: mergeSide(bdb, pii, from!, unmasked),
    into: mergeSide(bdb, pii, into!, unmasked),
    takeover: takeoverOf(from!, into!),
  }
}

export type MergeOutcome =
  | {
      kind: 'merged'
      fromId: number
      intoId: number
      pointsMoved: number
      lots: number
      txId: number | null
      tier: string | null
    }
  | MergeRefusal

/**
 * Merges member `fromId` (the duplicate) into `intoId` (the member kept), in one IMMEDIATE
 * transaction, so that both rows and the ledger are read under the write lock:
 * - the duplicate's remaining earning lots move with their expiry dates through one balanced
 *   'merge' transaction (per lot: the duplicate −N and the kept member +N, same expires_at), so
 *   the append-only ledger keeps the history and both balances still equal their lines' sums;
 * - its claims, scans, redemptions, held claims and manual tags are reassigned (auto tags and
 *   rolled-up activity are recomputed by the tags job; the ledger lines stay on the old id);
 * - a phone, email or profile field the kept member lacks is taken over, and the duplicate's
 *   personal data is erased as at account deletion; the row stays, marked merged_into_id;
 * - the kept member's tier is raised if the two members' earnings together reach a higher one;
 * - a member_merges row and an audit record (ids and counts, no personal data) are written.
 *
 * @example
 * mergeMembers(s.bdb, pii, { staffId: s.staffId, label: s.email }, { fromId: 7, intoId: 3 }, now)
 */
export function mergeMembers(
  bdb: BrandDb,
  pii: MemberPii,
  actor: Actor,
  ids: { fromId: number; intoId: number },
  now: number,
): MergeOutcome {
  return bdb.db.transaction(
    (tx): MergeOutcome => {
      const read = (id: number) =>
        tx
          .select()
          .from(members)
          .where(bdb.scoped(members, eq(members.id, id)))
          .get()
      const from = read(ids.fromId)
      const into = read(ids.intoId)
      const refusal = mergeRefusal(from, into)
      if (refusal || !from || !into) return refusal ?? { kind: 'not-found' }
      const brandId = bdb.brandId

      const lots = remainingLots(memberLines(tx, brandId, from.id))
      const pointsMoved = lots.reduce((s, l) => s + l.remaining, 0)
      const balance = balanceOf(tx, brandId, from.id)
      // FIFO lots account for the whole balance; anything else is a broken ledger, not a merge.
      if (pointsMoved !== balance) {
        throw new Error(`member ${from.id}: remaining lots ${pointsMoved} differ from balance ${balance}`)
      }
      const entries: Entry[] = lots.flatMap((l) => [
        { account: MEMBER_ACCOUNT, memberId: from.id, amount: -l.remaining, expiresAt: l.expiresAt },
        { account: MEMBER_ACCOUNT, memberId: into.id, amount: l.remaining, expiresAt: l.expiresAt },
      ])
      const txId =
        entries.length === 0
          ? null
          : postTransaction(
              tx,
              brandId,
              { kind: 'merge', memo: `member ${from.id} merged into member ${into.id}`, entries },
              now,
            )

      const reassign = (table: typeof claims | typeof scans | typeof redemptions | typeof heldClaims) =>
        tx
          .update(table)
          .set({ memberId: into.id })
          .where(and(eq(table.brandId, brandId), eq(table.memberId, from.id)))
          .run().changes
      const moved = {
        claims: reassign(claims),
        scans: reassign(scans),
        redemptions: reassign(redemptions),
        heldClaims: reassign(heldClaims),
        tags: tx.run(sql`
          INSERT INTO member_tags (member_id, brand_id, tag, source, reason, created_by_staff_id, created_at)
          SELECT ${into.id}, brand_id, tag, source, reason, created_by_staff_id, created_at
            FROM member_tags WHERE member_id = ${from.id} AND brand_id = ${brandId} AND source = 'manual'
          ON CONFLICT (member_id, tag) DO NOTHING`).changes,
      }
      tx.delete(memberTags)
        .where(and(eq(memberTags.brandId, brandId), eq(memberTags.memberId, from.id)))
        .run()
      for (const derived of [memberActivity, churnWarnings, memberTiers]) {
        tx.delete(derived)
          .where(and(eq(derived.brandId, brandId), eq(derived.memberId, from.id)))
          .run()
      }

      const takeover = takeoverOf(from, into)
      forgetContacts(tx, bdb, pii, from, { phone: !takeover.phone, email: !takeover.email })
      // The duplicate is emptied first: the kept member may take over its phone or email, whose
      // keyed hash is unique within the brand.
      tx.update(members)
        .set({ ...ERASED_PERSONAL_DATA, mergedIntoId: into.id, deletedAt: now })
        .where(bdb.scoped(members, eq(members.id, from.id)))
        .run()
      const gained = {
        ...(takeover.phone
          ? {
              phoneHash: from.phoneHash,
              phoneEnc: from.phoneEnc,
              phoneHint: from.phoneHint,
              phone: from.phone,
            }
          : {}),
        ...(takeover.email
          ? {
              emailHash: from.emailHash,
              emailEnc: from.emailEnc,
              emailHint: from.emailHint,
              email: from.email,
            }
          : {}),
        ...Object.fromEntries(takeover.fields.map((f) => [f, from[f]])),
      }
      if (Object.keys(gained).length > 0) {
        tx.update(members)
          .set(gained)
          .where(bdb.scoped(members, eq(members.id, into.id)))
          .run()
      }

      tx.insert(memberMerges)
        .values({
          brandId,
          fromMemberId: from.id,
          intoMemberId: into.id,
          txId,
          pointsMoved,
          actorStaffId: actor.staffId,
          at: now,
        })
        .run()
      // After the member_merges row: the tier rules count the merged member's earnings with it.
      const { tier } = raiseTierIfEarned(tx, brandId, into.id, now)
      recordAudit(tx, brandId, actor, now, {
        action: 'member.merge',
        subjectType: 'member',
        subjectId: from.id,
        detail: {
          from: from.id,
          into: into.id,
          pointsMoved,
          lots: lots.length,
          txId,
          ...moved,
          tookOver: [
            ...(takeover.phone ? ['phone'] : []),
            ...(takeover.email ? ['email'] : []),
            ...takeover.fields,
          ],
          tier: tier?.name ?? null,
        },
      })
      return {
        kind: 'merged',
        fromId: from.id,
        intoId: into.id,
        pointsMoved,
        lots: lots.length,
        txId,
        tier: tier?.name ?? null,
      }
    },
    { behavior: 'immediate' },
  )
}

export type MergeRecord = typeof memberMerges.$inferSelect

/** The merge that took this member away, if any (for the result page). */
export function mergeRecordOf(bdb: BrandDb, fromId: number): MergeRecord | undefined {
  return bdb.db
    .select()
    .from(memberMerges)
    .where(bdb.scoped(memberMerges, eq(memberMerges.fromMemberId, fromId)))
    .get()
}
