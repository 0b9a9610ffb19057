import type { CodeState, VoidReason } from '../batches/batch-schema.ts'

/** More distinct phones than this for one code suggests a copied label. */
export const MAX_DEVICES_PER_CODE = 5
/** Scans by one device within this window count as one (a consumer re-opening the page). */
export const REPEAT_WINDOW_MS = 30 * 60_000

/** A coarse place; `approximate` when it came from a network address, not the phone's own fix. */
export type Place = { zh: string; en: string; approximate?: boolean }

export type ScanFacts = {
  state: CodeState
  voidReason: VoidReason | null
  /** The earliest counted scan of the code, if any. */
  firstCounted?: { at: number; deviceId: string; place: Place | null }
  deviceId: string
  now: number
  /** Distinct devices among the counted scans, this one included. */
  distinctDevices: number
  impossibleTravel: boolean
}

export type Verdict =
  | { kind: 'genuine-first' }
  | { kind: 'genuine-seen'; firstAt: number; place: Place | null }
  | { kind: 'suspected-copy'; reason: 'devices' | 'travel'; firstAt: number | null }
  | { kind: 'voided'; reason: VoidReason | null }
  | { kind: 'not-activated' }

/**
 * The honest answer for a genuine code (the forged case never gets here). A voided or inactive
 * code says so first: whatever its scans, it earns nothing and the consumer should know why.
 *
 * @example
 * judgeScan({ state: 'activated', voidReason: null, deviceId, now, distinctDevices: 1, impossibleTravel: false })
 * // { kind: 'genuine-first' }
 */
export function judgeScan(f: ScanFacts): Verdict {
  if (f.state === 'voided') return { kind: 'voided', reason: f.voidReason }
  if (f.state === 'generated' || f.state === 'exported') return { kind: 'not-activated' }
  const firstAt = f.firstCounted?.at ?? null
  if (f.impossibleTravel) return { kind: 'suspected-copy', reason: 'travel', firstAt }
  if (f.distinctDevices > MAX_DEVICES_PER_CODE) return { kind: 'suspected-copy', reason: 'devices', firstAt }
  const first = f.firstCounted
  if (!first || (first.deviceId === f.deviceId && first.at > f.now - REPEAT_WINDOW_MS))
    return { kind: 'genuine-first' }
  return { kind: 'genuine-seen', firstAt: first.at, place: first.place }
}
