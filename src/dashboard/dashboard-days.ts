import { CHINA_OFFSET_MS, chinaDateKey, DAY_MS } from '../points/points-calendar.ts'

/**
 * The dashboard's calendar: days are 'YYYY-MM-DD' in China time (UTC+8, no daylight saving), the
 * day the brand's consumers live in, as for the points caps (src/points/points-calendar.ts).
 *
 * @example
 * dayStart('2026-11-01') // Date.UTC(2026, 9, 31, 16): 2026-11-01 00:00 in Shanghai
 * addDays('2026-11-01', -1) // '2026-10-31'
 */
export type DayKey = string

const DAY_KEY = /^(\d{4})-(\d{2})-(\d{2})$/

/** Whether `s` is a real calendar date written 'YYYY-MM-DD' (2026-02-30 is not). */
export function isDayKey(s: string): boolean {
  const m = DAY_KEY.exec(s)
  if (!m) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.toISOString().slice(0, 10) === s
}

/** The instant (UTC ms) a China-time day begins. */
export function dayStart(day: DayKey): number {
  return Date.parse(`${day}T00:00:00Z`) - CHINA_OFFSET_MS
}

/** The China-time day of an instant. */
export function dayOf(at: number): DayKey {
  return chinaDateKey(at)
}

export function addDays(day: DayKey, n: number): DayKey {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}

/** Days from `from` to `to`, both included (1 when equal). */
export function daySpan(from: DayKey, to: DayKey): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1
}

/** Every day from `from` to `to`, both included, in order. */
export function daysBetween(from: DayKey, to: DayKey): DayKey[] {
  const out: DayKey[] = []
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d)
  return out
}
