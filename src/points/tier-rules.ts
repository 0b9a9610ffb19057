/**
 * Tier rules, pure: a member's tier is the highest tier whose threshold is at most the points they
 * earned in the rolling window; a tier earns with a multiplier (100 = 1.0×).
 *
 * @example
 * const tiers = [{ id: 1, name: 'Silver', threshold: 500, multiplierPct: 120 }]
 * tierFor(600, tiers)?.name // 'Silver'
 * nextTierProgress(100, tiers) // { next: tiers[0], needed: 400 }
 */
export type TierRule = { id: number; name: string; threshold: number; multiplierPct: number }

export const BASE_MULTIPLIER_PCT = 100

/** The highest tier reached with `earned` points, or null below every threshold. */
export function tierFor<T extends TierRule>(earned: number, tiers: readonly T[]): T | null {
  let best: T | null = null
  for (const t of tiers) {
    if (t.threshold <= earned && (best === null || t.threshold > best.threshold)) best = t
  }
  return best
}

/** The next tier above `earned` and the points still needed for it (null and 0 at the top). */
export function nextTierProgress<T extends TierRule>(
  earned: number,
  tiers: readonly T[],
): { next: T | null; needed: number } {
  let next: T | null = null
  for (const t of tiers) {
    if (t.threshold > earned && (next === null || t.threshold < next.threshold)) next = t
  }
  return { next, needed: next ? next.threshold - earned : 0 }
}

/** Whether tier `a` ranks above tier `b` (no tier ranks below every tier). */
export function ranksAbove(a: TierRule | null, b: TierRule | null): boolean {
  if (a === null) return false
  return b === null || a.threshold > b.threshold
}

/**
 * The tier a member holds after earning: the higher of the tier they hold and the tier their
 * earnings reach. Upgrades happen at once; only the periodic review may lower a tier.
 */
export function tierAfterEarning<T extends TierRule>(
  held: T | null,
  earned: number,
  tiers: readonly T[],
): T | null {
  const reached = tierFor(earned, tiers)
  return ranksAbove(reached, held) ? reached : held
}

/** Points credited for a product worth `points` at a multiplier, rounded down to whole points. */
export function applyMultiplier(points: number, multiplierPct: number): number {
  return Math.floor((points * multiplierPct) / 100)
}
