import { z } from 'zod'

export const MAX_ADJUSTMENT = 1_000_000
export const MIN_REASON_LENGTH = 5

/**
 * A manual adjustment: a whole, non-zero number of points (a minus sign takes points away) and the
 * reason the audit log keeps with it.
 */
export const AdjustForm = z.object({
  amount: z
    .string('enter a whole number of points')
    .trim()
    .regex(/^[+-]?\d{1,7}$/, 'enter a whole number of points, e.g. 50 or -20')
    .transform(Number)
    .refine((n) => n !== 0, 'an adjustment cannot be zero')
    .refine(
      (n) => Math.abs(n) <= MAX_ADJUSTMENT,
      `at most ${MAX_ADJUSTMENT.toLocaleString('en')} points either way`,
    ),
  reason: z
    .string('say why the points change')
    .trim()
    .min(MIN_REASON_LENGTH, `say why the points change (at least ${MIN_REASON_LENGTH} characters)`)
    .max(500, 'at most 500 characters'),
})

/** `?before=<id>` continues a newest-first list below that id. */
export const BeforeQuery = z.object({
  before: z.coerce.number().int().positive().optional().catch(undefined),
})

export const MAX_TAG_LENGTH = 32
/** A manual tag: letters of any script (so 团购 and vip both), digits, '-' and '_'; no ':' (automatic tags use it). */
export const MANUAL_TAG = /^[\p{L}\p{N}_-]{1,32}$/u

/**
 * The form that adds a manual tag to a member.
 *
 * @example
 * TagForm.parse({ tag: ' 团购-2026 ' }) // { tag: '团购-2026' }
 */
export const TagForm = z.object({
  tag: z
    .string('enter a tag')
    .trim()
    .normalize('NFC')
    .min(1, 'enter a tag')
    .refine((t) => [...t].length <= MAX_TAG_LENGTH, `at most ${MAX_TAG_LENGTH} characters`)
    .refine(
      (t) => [...t].length > MAX_TAG_LENGTH || MANUAL_TAG.test(t),
      'use letters, digits, - and _ only (no spaces or other signs)',
    ),
})

/** The form that removes a tag: any tag the member may hold; the store refuses automatic ones. */
export const RemoveTagForm = z.object({
  tag: z.string('name the tag to remove').trim().min(1, 'name the tag to remove').max(100),
})
