import { z } from 'zod'

/** Longest expiry and tier window a brand may set: beyond these a typo is likelier than intent. */
export const MAX_EXPIRY_MONTHS = 120
export const MAX_TIER_WINDOW_DAYS = 3 * 365
export const MIN_MULTIPLIER_PCT = 100
export const MAX_MULTIPLIER_PCT = 500
export const MAX_POINTS_SETTING = 100_000_000

/** An optional whole number from a form: '' means "none" (no expiry, no cap). */
const optionalWhole = (label: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((s, ctx): number | null => {
      if (s === undefined || s === '') return null
      const n = Number(s)
      const problem = !Number.isInteger(n)
        ? `${label} must be a whole number`
        : n < min
          ? `${label} must be at least ${min}`
          : n > max
            ? `${label} must be at most ${max}`
            : undefined
      if (problem === undefined) return n
      ctx.addIssue({ code: 'custom', message: problem })
      return z.NEVER
    })

export const PointSettingsForm = z
  .object({
    expiryMonths: optionalWhole('expiry months', 1, MAX_EXPIRY_MONTHS),
    dailyCap: optionalWhole('daily cap', 1, MAX_POINTS_SETTING),
    weeklyCap: optionalWhole('weekly cap', 1, MAX_POINTS_SETTING),
    tierWindowDays: z.coerce
      .number('tier window must be a whole number of days')
      .int('tier window must be a whole number of days')
      .min(1, 'tier window must be at least 1 day')
      .max(MAX_TIER_WINDOW_DAYS, `tier window must be at most ${MAX_TIER_WINDOW_DAYS} days`),
  })
  .refine((v) => v.dailyCap === null || v.weeklyCap === null || v.weeklyCap >= v.dailyCap, {
    message: 'the weekly cap must be at least the daily cap',
    path: ['weeklyCap'],
  })
export type PointSettingsInput = z.infer<typeof PointSettingsForm>

export const TierForm = z.object({
  name: z.string().trim().min(1, 'name is required').max(40, 'name is at most 40 characters'),
  threshold: z.coerce
    .number('threshold must be a whole number')
    .int('threshold must be a whole number')
    .min(0, 'threshold must be at least 0')
    .max(MAX_POINTS_SETTING, `threshold must be at most ${MAX_POINTS_SETTING}`),
  multiplierPct: z.coerce
    .number('multiplier must be a whole number')
    .int('multiplier must be a whole number (percent)')
    .min(MIN_MULTIPLIER_PCT, `multiplier must be at least ${MIN_MULTIPLIER_PCT}%`)
    .max(MAX_MULTIPLIER_PCT, `multiplier must be at most ${MAX_MULTIPLIER_PCT}%`),
})
export type TierInput = z.infer<typeof TierForm>
