import { asc, desc, eq, inArray } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { DbLike } from '../db/index.ts'
import { remainingLots } from '../points/earning-lots.ts'
import { balanceOf } from '../points/ledger-store.ts'
import {
  claims,
  ledgerEntries,
  ledgerTransactions,
  memberTiers,
  pointSettings,
  privacyRequests,
  redemptions,
  rewards,
  tiers,
} from '../points/points-schema.ts'
import { nextTierProgress } from '../points/tier-rules.ts'
import { earnedInWindow } from '../points/tier-store.ts'
import { scans } from '../scans/scan-schema.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import type { ProfileInput } from './account-input.ts'
import { contactOf, type MemberPii } from './member-pii.ts'
import { type CONSENT_KINDS, memberConsents, members, otpChallenges, outbox } from './member-schema.ts'
import type { Member } from './member-store.ts'

/** "Points expiring soon" on the account page looks this far ahead. */
export const EXPIRING_WINDOW_MS = 30 * 24 * 3_600_000
const DEFAULT_TIER_WINDOW_DAYS = 365

/**
 * The versions of the texts a member agrees to on the profile page; a new text gets a new version.
 * Location is not among them: the scan page asks for it at each scan, and nothing ever read a
 * standing location consent. The 'location' events recorded earlier stay in the member's consent
 * history (their data download, the console), untouched by this form.
 */
export const CONSENT_VERSIONS = { marketing: '2026-11' } as const
export type SettableConsent = keyof typeof CONSENT_VERSIONS
export const SETTABLE_CONSENTS = Object.keys(CONSENT_VERSIONS) as SettableConsent[]

/** What a member's own actions are recorded as in the audit log. */
export const MEMBER_ACTOR: Actor = { staffId: null, label: 'member' }

/** A member of the brand by id, erased ones included (the admin console shows them anonymised). */
export function findAnyMember(bdb: BrandDb, memberId: number): Member | undefined {
  return bdb.db
    .select()
    .from(members)
    .where(bdb.scoped(members, eq(members.id, memberId)))
    .get()
}

export type PointsSummary = {
  balance: number
  /** Points of earning lots that expire within the window (or already have, awaiting the job). */
  expiring: { points: number; firstAt: number } | null
}

/**
 * The balance and what of it expires soon: the member's ledger lines run through the FIFO lots, so
 * points already spent or expired are not announced again.
 */
export function pointsSummary(bdb: BrandDb, memberId: number, now: number): PointsSummary {
  const lines = bdb.db
    .select({ id: ledgerEntries.id, amount: ledgerEntries.amount, expiresAt: ledgerEntries.expiresAt })
    .from(ledgerEntries)
    .where(bdb.scoped(ledgerEntries, eq(ledgerEntries.memberId, memberId)))
    .all()
  const soon = remainingLots(lines).filter(
    (l) => l.expiresAt !== null && l.expiresAt <= now + EXPIRING_WINDOW_MS,
  )
  return {
    balance: balanceOf(bdb.db, bdb.brandId, memberId),
    expiring:
      soon.length === 0
        ? null
        : {
            points: soon.reduce((s, l) => s + l.remaining, 0),
            firstAt: Math.min(...soon.map((l) => l.expiresAt!)),
          },
  }
}

export type TierStatus = {
  current: string | null
  next: { name: string; needed: number } | null
  earned: number
  windowDays: number
}

/**
 * The tier a member holds (as the tier rules last set it) and how far the next one is. "Earned"
 * counts what the tier rules count in the brand's rolling window (tier-store's earnedInWindow).
 * Null when the brand has no tiers.
 */
export function tierStatus(bdb: BrandDb, memberId: number, now: number): TierStatus | null {
  const all = bdb.db.select().from(tiers).where(bdb.scoped(tiers)).orderBy(asc(tiers.threshold)).all()
  if (all.length === 0) return null
  const held = bdb.db
    .select({ tierId: memberTiers.tierId })
    .from(memberTiers)
    .where(bdb.scoped(memberTiers, eq(memberTiers.memberId, memberId)))
    .get()
  const current = all.find((t) => t.id === held?.tierId) ?? null
  const windowDays =
    bdb.db
      .select({ days: pointSettings.tierWindowDays })
      .from(pointSettings)
      .where(bdb.scoped(pointSettings))
      .get()?.days ?? DEFAULT_TIER_WINDOW_DAYS
  // The same basis the tier rules use (claims and positive adjustments, a merged member's included).
  const earned = earnedInWindow(bdb.db, bdb.brandId, memberId, now, windowDays)
  // Above the held tier only: a member kept in a higher tier until the review is not told to "reach" a lower one.
  const above = all.filter((t) => current === null || t.threshold > current.threshold)
  const { next, needed } = nextTierProgress(earned, above)
  return {
    current: current?.name ?? null,
    next: next ? { name: next.name, needed } : null,
    earned,
    windowDays,
  }
}

export type ConsentEvent = {
  kind: (typeof CONSENT_KINDS)[number]
  version: string
  granted: boolean
  at: number
}

/** Every consent event of the member, newest first (`db` may be a transaction of `bdb`). */
export function consentHistory(bdb: BrandDb, memberId: number, db: DbLike = bdb.db): ConsentEvent[] {
  return db
    .select({
      kind: memberConsents.kind,
      version: memberConsents.version,
      granted: memberConsents.granted,
      at: memberConsents.at,
    })
    .from(memberConsents)
    .where(bdb.scoped(memberConsents, eq(memberConsents.memberId, memberId)))
    .orderBy(desc(memberConsents.id))
    .all()
}

/** The settable consents as they stand: the newest event of each kind decides. */
export function currentConsents(events: ConsentEvent[]): Record<SettableConsent, boolean> {
  return Object.fromEntries(
    SETTABLE_CONSENTS.map((kind) => [kind, events.find((e) => e.kind === kind)?.granted ?? false]),
  ) as Record<SettableConsent, boolean>
}

/**
 * Records the member's consent choices as events, one per change (granted or withdrawn, with the
 * version of the text shown), and returns how many changed. Choices that did not change write nothing.
 */
export function recordConsents(
  bdb: BrandDb,
  memberId: number,
  wanted: Record<SettableConsent, boolean>,
  now: number,
): number {
  return bdb.db.transaction((tx) => {
    const current = currentConsents(consentHistory(bdb, memberId, tx))
    const changes = SETTABLE_CONSENTS.filter((k) => current[k] !== wanted[k])
    if (changes.length > 0) {
      tx.insert(memberConsents)
        .values(
          changes.map((kind) => ({
            brandId: bdb.brandId,
            memberId,
            kind,
            version: CONSENT_VERSIONS[kind],
            granted: wanted[kind],
            at: now,
          })),
        )
        .run()
    }
    return changes.length
  })
}

export function updateProfile(bdb: BrandDb, memberId: number, input: ProfileInput): void {
  bdb.db
    .update(members)
    .set({
      name: input.name,
      birthday: input.birthday,
      gender: input.gender === 'unspecified' ? null : input.gender,
      regionCode: input.regionCode,
    })
    .where(bdb.scoped(members, eq(members.id, memberId)))
    .run()
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/**
 * Everything the brand holds about the member, for "download my data" (PIPL art. 45): profile,
 * consent events, their own scans (with the location they themselves shared), claims, ledger lines
 * and redemptions. Nothing about other people: no other device's scans of the same codes. The
 * request is recorded for the owners' privacy list and the audit log in the same transaction.
 */
export function exportMemberData(
  bdb: BrandDb,
  pii: MemberPii,
  member: Member,
  brand: { slug: string; name: string },
  now: number,
) {
  return bdb.db.transaction((tx) => {
    // The member's own contact in full: it is their data (stored sealed, opened for them only).
    const contact = contactOf(pii, member, true)
    const data = {
      exportedAt: iso(now),
      brand: { slug: brand.slug, name: brand.name },
      profile: {
        memberId: member.id,
        phone: contact.phone,
        email: contact.email,
        name: member.name,
        birthday: member.birthday,
        gender: member.gender ?? 'unspecified',
        regionCode: member.regionCode,
        joinedAt: iso(member.createdAt),
      },
      consents: consentHistory(bdb, member.id, tx)
        .reverse()
        .map((e) => ({ ...e, at: iso(e.at) })),
      scans: tx
        .select({
          at: scans.at,
          verdict: scans.verdict,
          regionCode: scans.regionCode,
          placeZh: scans.placeZh,
          placeEn: scans.placeEn,
          lat: scans.lat,
          lon: scans.lon,
          accuracyM: scans.accuracyM,
          locationSource: scans.locationSource,
          userAgent: scans.userAgent,
        })
        .from(scans)
        .where(bdb.scoped(scans, eq(scans.memberId, member.id)))
        .orderBy(asc(scans.id))
        .all()
        .map((s) => ({ ...s, at: iso(s.at) })),
      claims: tx
        .select({ codeId: claims.codeId, points: claims.points, at: claims.createdAt })
        .from(claims)
        .where(bdb.scoped(claims, eq(claims.memberId, member.id)))
        .orderBy(asc(claims.id))
        .all()
        .map((c) => ({ ...c, at: iso(c.at) })),
      ledger: tx
        .select({
          transaction: ledgerEntries.txId,
          kind: ledgerTransactions.kind,
          amount: ledgerEntries.amount,
          expiresAt: ledgerEntries.expiresAt,
          at: ledgerEntries.createdAt,
        })
        .from(ledgerEntries)
        .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.txId))
        .where(bdb.scoped(ledgerEntries, eq(ledgerEntries.memberId, member.id)))
        .orderBy(asc(ledgerEntries.id))
        .all()
        .map((l) => ({ ...l, expiresAt: iso(l.expiresAt), at: iso(l.at) })),
      redemptions: tx
        .select({
          reward: rewards.name,
          points: redemptions.points,
          rewardCode: redemptions.rewardCode,
          status: redemptions.status,
          at: redemptions.createdAt,
          cancelledAt: redemptions.cancelledAt,
        })
        .from(redemptions)
        .innerJoin(rewards, eq(rewards.id, redemptions.rewardId))
        .where(bdb.scoped(redemptions, eq(redemptions.memberId, member.id)))
        .orderBy(asc(redemptions.id))
        .all()
        .map((r) => ({ ...r, at: iso(r.at), cancelledAt: iso(r.cancelledAt) })),
    }
    tx.insert(privacyRequests)
      .values({ brandId: bdb.brandId, memberId: member.id, kind: 'export', at: now })
      .run()
    recordAudit(tx, bdb.brandId, MEMBER_ACTOR, now, {
      action: 'member.export',
      subjectType: 'member',
      subjectId: member.id,
    })
    return data
  })
}

/** The shape of `/me/:brand/data.json`. */
export type MemberExport = ReturnType<typeof exportMemberData>

export type EraseOutcome = { kind: 'erased' } | { kind: 'not-found' }

/** What a member row keeps of a person once erased or merged away: nothing personal. */
export const ERASED_PERSONAL_DATA = {
  phone: null,
  email: null,
  phoneHash: null,
  emailHash: null,
  phoneEnc: null,
  emailEnc: null,
  phoneHint: null,
  emailHint: null,
  name: null,
  birthday: null,
  gender: null,
  regionCode: null,
} as const

/**
 * What an erased member's scans keep of them: nothing that points at the person. The user agent
 * column is NOT NULL and '' is what a scan without the header records; nothing but the member's own
 * data download reads it.
 */
const ERASED_SCAN_DATA = { memberId: null, lat: null, lon: null, accuracyM: null, userAgent: '' } as const

/**
 * Deletes the sign-in codes and development outbox messages of a member's phone and/or email.
 * Challenges are found by the keyed hash (and by the plain value for any written before the
 * contacts were encrypted), outbox messages by the plain recipient, opened from the sealed value.
 */
export function forgetContacts(
  tx: DbLike,
  bdb: BrandDb,
  pii: MemberPii,
  member: Member,
  channels: { phone: boolean; email: boolean } = { phone: true, email: true },
): void {
  const plain = contactOf(pii, member, true)
  const hashes = [channels.phone ? member.phoneHash : null, channels.email ? member.emailHash : null]
  const values = [channels.phone ? plain.phone : null, channels.email ? plain.email : null]
  const identifiers = [...hashes, ...values].filter((i): i is string => i !== null)
  if (identifiers.length > 0) {
    tx.delete(otpChallenges)
      .where(bdb.scoped(otpChallenges, inArray(otpChallenges.identifier, identifiers)))
      .run()
  }
  const recipients = values.filter((i): i is string => i !== null)
  if (recipients.length > 0) {
    tx.delete(outbox)
      .where(bdb.scoped(outbox, inArray(outbox.recipient, recipients)))
      .run()
  }
}

/**
 * Erases a member's personal data (PIPL art. 47): phone and email (keyed hash, sealed value, hint
 * and any legacy plain text), name, birthday, gender and region become null and the row is marked
 * deleted, so no session of theirs signs in again and the same phone can join afresh. The ledger
 * is kept (it is append-only and the brand's accounts must still balance) against the now
 * anonymous member id; consent events stay as the record of what was agreed. Sign-in codes and
 * development outbox messages sent to their phone or email are deleted with them. Their scans stay
 * for the brand's figures but no longer point at them: the member id, the precise coordinates and
 * the browser's user agent go; the coarse region stays (as the retention job leaves it), and so do
 * the device id and located_at, which the verdicts (distinct devices per code) and the "already
 * located" guard read. The request is listed for the owners and audited, without the erased
 * identifiers.
 */
export function eraseMember(bdb: BrandDb, pii: MemberPii, memberId: number, now: number): EraseOutcome {
  return bdb.db.transaction((tx): EraseOutcome => {
    const member = tx
      .select()
      .from(members)
      .where(bdb.scoped(members, eq(members.id, memberId)))
      .get()
    if (!member || member.deletedAt !== null) return { kind: 'not-found' }
    forgetContacts(tx, bdb, pii, member)
    tx.update(members)
      .set({ ...ERASED_PERSONAL_DATA, deletedAt: now })
      .where(bdb.scoped(members, eq(members.id, memberId)))
      .run()
    tx.update(scans)
      .set(ERASED_SCAN_DATA)
      .where(bdb.scoped(scans, eq(scans.memberId, memberId)))
      .run()
    tx.insert(privacyRequests).values({ brandId: bdb.brandId, memberId, kind: 'erasure', at: now }).run()
    recordAudit(tx, bdb.brandId, MEMBER_ACTOR, now, {
      action: 'member.erase',
      subjectType: 'member',
      subjectId: memberId,
    })
    return { kind: 'erased' }
  })
}
