import { z } from 'zod'
import { addDays, type DayKey, daySpan, isDayKey } from './dashboard-days.ts'

/** The preset ranges, in days ending today (China time). */
export const PRESET_DAYS = [7, 30, 90] as const
export const DEFAULT_DAYS = 30
/** A year and a leap day: long enough for a year-on-year look, short enough to answer quickly. */
export const MAX_RANGE_DAYS = 366
export const EARLIEST_DAY = '2000-01-01'

const optionalDay = (label: string) =>
  z
    .string()
    .trim()
    .max(10, `${label} is not a date (YYYY-MM-DD)`)
    .optional()
    .transform((s, ctx): DayKey | undefined => {
      if (s === undefined || s === '') return undefined
      if (isDayKey(s)) return s
      ctx.addIssue({ code: 'custom', message: `${label} is not a date (YYYY-MM-DD)` })
      return z.NEVER
    })

/** The dashboard's query string: a preset (`days`) or a custom range (`from` and `to`). */
export const DashboardQuery = z.object({
  days: z
    .enum(PRESET_DAYS.map(String) as ['7', '30', '90'], {
      error: 'Choose 7, 30 or 90 days, or a custom range.',
    })
    .optional(),
  from: optionalDay('The start date'),
  to: optionalDay('The end date'),
})

export type DashboardRange = { from: DayKey; to: DayKey; preset: number | null }

export type RangeOutcome =
  | ({ kind: 'ok' } & DashboardRange)
  | { kind: 'invalid'; errors: string[]; values: { from: string; to: string } }

/**
 * Reads and checks the range of a dashboard request: a custom range needs both dates, in order,
 * not after today and at most MAX_RANGE_DAYS long; without one, a preset (30 days by default).
 *
 * @example
 * parseRange({ days: '7' }, '2026-11-01') // { kind: 'ok', from: '2026-10-26', to: '2026-11-01', preset: 7 }
 * parseRange({ from: '2026-11-02', to: '2026-11-01' }, '2026-11-01').kind // 'invalid'
 */
export function parseRange(query: Record<string, string | undefined>, today: DayKey): RangeOutcome {
  const values = { from: (query.from ?? '').slice(0, 10), to: (query.to ?? '').slice(0, 10) }
  const parsed = DashboardQuery.safeParse(query)
  if (!parsed.success) return { kind: 'invalid', errors: parsed.error.issues.map((i) => i.message), values }
  const { days, from, to } = parsed.data
  if (from === undefined && to === undefined) {
    const n = days ? Number(days) : DEFAULT_DAYS
    return { kind: 'ok', from: addDays(today, -(n - 1)), to: today, preset: n }
  }
  const errors: string[] = []
  if (from === undefined || to === undefined) errors.push('Give both a start and an end date.')
  else {
    if (from > to) errors.push('The start date is after the end date.')
    if (to > today) errors.push(`The end date is after today (${today}, China time).`)
    if (from < EARLIEST_DAY) errors.push(`The start date must be ${EARLIEST_DAY} or later.`)
    const span = daySpan(from, to)
    if (span > MAX_RANGE_DAYS)
      errors.push(`A range can be at most ${MAX_RANGE_DAYS} days; this one has ${span}.`)
  }
  if (errors.length > 0 || from === undefined || to === undefined) return { kind: 'invalid', errors, values }
  return { kind: 'ok', from, to, preset: null }
}
