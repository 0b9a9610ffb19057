/**
 * The calendar of the points rules. Caps count per calendar day and ISO week in China time
 * (UTC+8, no daylight saving), because that is the day the brand's consumers live in; expiry counts
 * calendar months in UTC. All inputs and outputs are UTC milliseconds.
 *
 * @example
 * chinaDayStart(Date.UTC(2026, 0, 1, 16)) // Date.UTC(2026, 0, 1, 16): 2026-01-02 00:00 in Shanghai
 */
export const DAY_MS = 86_400_000
export const CHINA_OFFSET_MS = 8 * 3_600_000

/** The China-time day number (days since 1970-01-01 in UTC+8). */
function chinaDay(now: number): number {
  return Math.floor((now + CHINA_OFFSET_MS) / DAY_MS)
}

/** The instant the China-time calendar day holding `now` began. */
export function chinaDayStart(now: number): number {
  return chinaDay(now) * DAY_MS - CHINA_OFFSET_MS
}

/** The instant the ISO week (Monday 00:00, China time) holding `now` began. */
export function chinaWeekStart(now: number): number {
  const day = chinaDay(now)
  // 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays.
  const sinceMonday = (((day + 3) % 7) + 7) % 7
  return (day - sinceMonday) * DAY_MS - CHINA_OFFSET_MS
}

/** 'YYYY-MM-DD' of `now` in China time: the period of a daily job. */
export function chinaDateKey(now: number): string {
  return new Date(now + CHINA_OFFSET_MS).toISOString().slice(0, 10)
}

/** 'YYYY-MM' of `now` in China time: the period of a monthly job. */
export function chinaMonthKey(now: number): string {
  return chinaDateKey(now).slice(0, 7)
}

/**
 * `now` plus whole calendar months in UTC; a day past the end of the target month is clamped to its
 * last day (31 Jan + 1 month = 28/29 Feb), so a lot never expires later than the months promised.
 */
export function addCalendarMonths(now: number, months: number): number {
  const d = new Date(now)
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  )
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate()
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay))
  return target.getTime()
}
