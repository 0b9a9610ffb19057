import { CHINA_OFFSET_MS, chinaDateKey, DAY_MS } from '../points/points-calendar.ts'
import type { ProgrammeSettings } from './programme-settings-store.ts'

/**
 * The rules of the automatic tags, as pure functions over one member's figures (rolled up by
 * activity-job.ts) and the brand's settings, so that every threshold can be tested at its edge.
 * Each tag carries a reason written with the member's own figures.
 *
 * Days are China-time calendar days (the brand's consumers live in UTC+8): a scan at 23:00 and one
 * at 01:00 the next morning are one day apart, and "145 days ago" matches the dates on the page.
 *
 * @example
 * lifecycleOf({ joinedAt, lastScanAt }, { newDays: 30, activeDays: 90, churnDays: 365 }, now)
 * // { lifecycle: 'dormant', reason: 'last scan 2026-07-01, 145 days ago; …' }
 */
export const LIFECYCLES = ['new', 'active', 'dormant', 'churned'] as const
export type Lifecycle = (typeof LIFECYCLES)[number]

/** The China-time calendar day of an instant (days since 1970-01-01 in UTC+8). */
export function chinaDayNumber(at: number): number {
  return Math.floor((at + CHINA_OFFSET_MS) / DAY_MS)
}

/** Calendar days (China time) from `from` to `to`: 0 on the same day, 1 the next day. */
export function calendarDaysBetween(from: number, to: number): number {
  return chinaDayNumber(to) - chinaDayNumber(from)
}

export type LifecycleThresholds = Pick<ProgrammeSettings, 'newDays' | 'activeDays' | 'churnDays'>

const ago = (days: number) => (days === 0 ? 'today' : days === 1 ? '1 day ago' : `${days} days ago`)

/**
 * A member's lifecycle stage. "Within N days" includes day N, and the first matching rule wins:
 * 1. new: joined at most `newDays` days ago (scanned or not);
 * 2. active: last scan at most `activeDays` days ago;
 * 3. dormant: last scan more than `activeDays` and at most `churnDays` days ago;
 * 4. churned: last scan more than `churnDays` days ago.
 * A member who never scanned was never active: once no longer new they are dormant, and churned
 * once `churnDays` have passed since joining (the join stands in for the last scan).
 */
export function lifecycleOf(
  m: { joinedAt: number; lastScanAt: number | null },
  t: LifecycleThresholds,
  now: number,
): { lifecycle: Lifecycle; reason: string } {
  const sinceJoin = calendarDaysBetween(m.joinedAt, now)
  const joined = `joined ${chinaDateKey(m.joinedAt)}, ${ago(sinceJoin)}`
  if (sinceJoin <= t.newDays) {
    return { lifecycle: 'new', reason: `${joined}; new for ${t.newDays} days after joining` }
  }
  if (m.lastScanAt === null) {
    if (sinceJoin <= t.churnDays) {
      return {
        lifecycle: 'dormant',
        reason: `${joined}, never scanned; dormant once no longer new, churned after ${t.churnDays} days`,
      }
    }
    return {
      lifecycle: 'churned',
      reason: `${joined}, never scanned; churned after ${t.churnDays} days without a scan`,
    }
  }
  const since = calendarDaysBetween(m.lastScanAt, now)
  const last = `last scan ${chinaDateKey(m.lastScanAt)}, ${ago(since)}`
  if (since <= t.activeDays) {
    return {
      lifecycle: 'active',
      reason: `${last}; active while the last scan is at most ${t.activeDays} days old`,
    }
  }
  if (since <= t.churnDays) {
    return {
      lifecycle: 'dormant',
      reason: `${last}; dormant after ${t.activeDays} days without a scan, churned after ${t.churnDays}`,
    }
  }
  return { lifecycle: 'churned', reason: `${last}; churned after ${t.churnDays} days without a scan` }
}

export type RfmScore = 1 | 2 | 3 | 4 | 5

/** A brand's distribution of one RFM figure; `score` places one member's figure in it. */
export type RfmScale = {
  size: number
  score(value: number): { score: RfmScore; below: number }
}

/**
 * Quintile scores within the brand: a member's score is 1 + ⌊5 × b / n⌋ (at most 5), where n is the
 * number of the brand's scored members and b how many of them have a strictly lower figure. So the
 * lowest fifth scores 1 and the top fifth 5, and equal figures always get equal scores (a tie sits
 * where its lowest member would: a brand where everyone scanned once scores everyone F1).
 *
 * @example
 * rfmScale([1, 2, 3, 4, 5]).score(4) // { score: 4, below: 3 }
 */
export function rfmScale(values: readonly number[]): RfmScale {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  return {
    size: n,
    score(value) {
      // The number of figures strictly below `value` (lower bound by binary search).
      let lo = 0
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((sorted[mid] as number) < value) lo = mid + 1
        else hi = mid
      }
      const score = n === 0 ? 1 : Math.min(5, 1 + Math.floor((5 * lo) / n))
      return { score: score as RfmScore, below: lo }
    },
  }
}

export type Tally<K extends string | number> = { key: K; count: number; lastAt: number }

/**
 * The preferred one of a member's products, categories or regions: the most claims (or scans);
 * a tie goes to the most recent, and a tie at the same instant to the lowest key, so that a rerun
 * always picks the same. `total` is the sum of all counts (for "7 of 12 claims").
 *
 * @example
 * preferredOf([{ key: 'CN-GD', count: 3, lastAt: 5 }, { key: 'CN-SH', count: 3, lastAt: 9 }])
 * // { key: 'CN-SH', count: 3, lastAt: 9, total: 6 }
 */
export function preferredOf<K extends string | number>(
  tallies: readonly Tally<K>[],
): (Tally<K> & { total: number }) | null {
  let best: Tally<K> | undefined
  let total = 0
  for (const t of tallies) {
    total += t.count
    if (
      !best ||
      t.count > best.count ||
      (t.count === best.count && (t.lastAt > best.lastAt || (t.lastAt === best.lastAt && t.key < best.key)))
    ) {
      best = t
    }
  }
  return best ? { ...best, total } : null
}

/** One member's figures, as the tags job reads them. */
export type MemberFigures = {
  joinedAt: number
  /** Latest scan (a claim counts as the scan it came from); null: never scanned. */
  lastScanAt: number | null
  /** Scans in the last 365 days (RFM frequency). */
  recentScans: number
  /** Points earned by claims in the last 365 days (RFM monetary). */
  pointsEarned: number
  product: { sku: string; name: string; claims: number; ofClaims: number } | null
  category: { name: string; claims: number; ofClaims: number } | null
  region: { code: string; scans: number; ofScans: number } | null
}

/** The brand's RFM distributions over its scored members (members who scanned at least once). */
export type BrandScales = { r: RfmScale; f: RfmScale; m: RfmScale }

export type AutoTag = { tag: string; reason: string }

export type MemberVerdict = {
  lifecycle: Lifecycle
  rfm: { r: RfmScore; f: RfmScore; m: RfmScore } | null
  tags: AutoTag[]
}

/** "62% of the brand's 1,234 scanning members": the share with a strictly lower figure. */
const ofBrand = (below: number, n: number) =>
  `${Math.floor((100 * below) / n)}% of the brand's ${n.toLocaleString('en')} scanning members`

/**
 * Every automatic tag of one member: 'lifecycle:<stage>'; 'rfm:r<1-5>', 'rfm:f<1-5>', 'rfm:m<1-5>'
 * for members who ever scanned (recency is scored on the calendar day of the last scan); and
 * 'product:<sku>', 'category:<name>', 'region:<code>' for the preferred product, category and
 * region, when the member has one.
 *
 * @example
 * autoTagsOf(figures, settings, scales, now).tags
 * // [{ tag: 'lifecycle:active', reason: 'last scan 2026-10-30, 2 days ago; …' }, { tag: 'rfm:r5', … }]
 */
export function autoTagsOf(
  m: MemberFigures,
  settings: LifecycleThresholds,
  scales: BrandScales,
  now: number,
): MemberVerdict {
  const stage = lifecycleOf(m, settings, now)
  const tags: AutoTag[] = [{ tag: `lifecycle:${stage.lifecycle}`, reason: stage.reason }]
  let rfm: MemberVerdict['rfm'] = null
  if (m.lastScanAt !== null) {
    const r = scales.r.score(chinaDayNumber(m.lastScanAt))
    const f = scales.f.score(m.recentScans)
    const mo = scales.m.score(m.pointsEarned)
    rfm = { r: r.score, f: f.score, m: mo.score }
    const since = calendarDaysBetween(m.lastScanAt, now)
    tags.push(
      {
        tag: `rfm:r${r.score}`,
        reason: `recency ${r.score}: last scan ${chinaDateKey(m.lastScanAt)}, ${ago(since)}; more recent than ${ofBrand(r.below, scales.r.size)}`,
      },
      {
        tag: `rfm:f${f.score}`,
        reason: `frequency ${f.score}: ${m.recentScans} scan${m.recentScans === 1 ? '' : 's'} in the last 365 days; more than ${ofBrand(f.below, scales.f.size)}`,
      },
      {
        tag: `rfm:m${mo.score}`,
        reason: `monetary ${mo.score}: ${m.pointsEarned} points earned in the last 365 days; more than ${ofBrand(mo.below, scales.m.size)}`,
      },
    )
  }
  if (m.product) {
    tags.push({
      tag: `product:${m.product.sku}`,
      reason: `most claimed product: ${m.product.sku} (${m.product.name}), ${m.product.claims} of ${m.product.ofClaims} claims`,
    })
  }
  if (m.category) {
    tags.push({
      tag: `category:${m.category.name}`,
      reason: `most claimed category: ${m.category.name}, ${m.category.claims} of ${m.category.ofClaims} claims`,
    })
  }
  if (m.region) {
    tags.push({
      tag: `region:${m.region.code}`,
      reason: `most scans from ${m.region.code}: ${m.region.scans} of ${m.region.ofScans} located scans`,
    })
  }
  return { lifecycle: stage.lifecycle, rfm, tags }
}
