import { z } from 'zod'

export const MAX_REWARD_PRICE = 10_000_000
export const MAX_REWARD_STOCK = 10_000_000
export const MAX_CANCEL_REASON_LENGTH = 500

/** An optional whole number from a form: '' means "none" (unlimited stock, no per-member limit). */
const optionalCount = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(12)
    .transform((s, ctx) => {
      if (s === '') return null
      const n = Number(s)
      if (!Number.isSafeInteger(n) || n < 0 || n > max) {
        ctx.addIssue({ code: 'custom', message: `${what} must be a whole number from 0 to ${max}, or empty` })
        return z.NEVER
      }
      return n
    })

/**
 * A `datetime-local` value read as UTC (the admin pages show every time in UTC); '' means open.
 * Seconds are optional because browsers omit them.
 */
const optionalUtcTime = z
  .string()
  .trim()
  .max(25)
  .transform((s, ctx) => {
    if (s === '') return null
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s)
    const ms = m
      ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0))
      : Number.NaN
    if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 16) !== s.slice(0, 16)) {
      ctx.addIssue({ code: 'custom', message: 'enter a date and time like 2026-12-01T00:00' })
      return z.NEVER
    }
    return ms
  })

/** The owner's reward form (strings from a plain HTML form). */
export const RewardForm = z
  .object({
    name: z.string().trim().min(1, 'name is required').max(200),
    description: z
      .string()
      .trim()
      .max(2000)
      .optional()
      .transform((s) => (s ? s : null)),
    pointsPrice: z
      .string()
      .trim()
      .regex(/^\d{1,9}$/, 'points price must be a whole number')
      .transform(Number)
      .refine((n) => n > 0 && n <= MAX_REWARD_PRICE, `points price must be from 1 to ${MAX_REWARD_PRICE}`),
    stock: optionalCount(MAX_REWARD_STOCK, 'stock').default(null),
    perMemberLimit: optionalCount(1_000_000, 'per-member limit')

      .default(null)
      .refine((n) => n !== 0, 'per-member limit must be at least 1, or empty for none'),
    availableFrom: optionalUtcTime.default(null),
    availableUntil: optionalUtcTime.default(null),
    // An unchecked checkbox sends nothing.
    active: z
      .literal('on')
      .optional()
      .transform((v) => v === 'on'),
  })
  .refine(
    (f) => f.availableFrom === null || f.availableUntil === null || f.availableFrom < f.availableUntil,
    { message: 'availableUntil: the window must end after it starts', path: ['availableUntil'] },
  )

export type RewardInput = {
  name: string
  description: string | null
  pointsPrice: number
  /** Units left; null = unlimited. */
  stock: number | null
  perMemberLimit: number | null
  availableFrom: number | null
  availableUntil: number | null
  active: boolean
}

/** The member's redeem button: the member CSRF token and the idempotency key of this page render. */
export const RedeemForm = z.object({
  _csrf: z.string().max(100),
  key: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
})

/** The owner's cancellation: a reason for the audit log and an explicit confirmation. */
export const CancelRedemptionForm = z.object({
  reason: z
    .string()
    .trim()
    .min(1, 'a reason is required')
    .max(MAX_CANCEL_REASON_LENGTH, `the reason is longer than ${MAX_CANCEL_REASON_LENGTH} characters`),
  confirm: z.literal('yes', 'tick the box to confirm the cancellation'),
})
