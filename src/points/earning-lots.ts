/**
 * Points are spent and expire first-in-first-out by earning lot: every credit to a member is a lot
 * (with its expiry, or none), and every debit (redemption, expiry, negative adjustment) uses up the
 * lots that expire soonest first (lots that never expire last; ties by earning order).
 *
 * @example
 * remainingLots([{ id: 1, amount: 10, expiresAt: 100 }, { id: 2, amount: -4, expiresAt: null }])
 * // [{ id: 1, remaining: 6, expiresAt: 100 }]
 */
export type LedgerLine = { id: number; amount: number; expiresAt: number | null }
export type Lot = { id: number; remaining: number; expiresAt: number | null }

export function remainingLots(lines: LedgerLine[]): Lot[] {
  const lots = lines
    .filter((l) => l.amount > 0)
    .map((l) => ({ id: l.id, remaining: l.amount, expiresAt: l.expiresAt }))
    .sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.id - b.id)
  let owed = -lines.filter((l) => l.amount < 0).reduce((s, l) => s + l.amount, 0)
  for (const lot of lots) {
    if (owed === 0) break
    const used = Math.min(lot.remaining, owed)
    lot.remaining -= used
    owed -= used
  }
  return lots.filter((l) => l.remaining > 0)
}

/** Points of the remaining lots that have expired by `now`: what the expiry job writes off. */
export function expiredPoints(lines: LedgerLine[], now: number): number {
  return remainingLots(lines)
    .filter((l) => l.expiresAt !== null && l.expiresAt <= now)
    .reduce((s, l) => s + l.remaining, 0)
}
