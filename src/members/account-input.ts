import { z } from 'zod'

export const GENDERS = ['female', 'male', 'other', 'unspecified'] as const
export type Gender = (typeof GENDERS)[number]
export const MAX_NAME_LENGTH = 50
export const MAX_REGION_CODE_LENGTH = 10
const EARLIEST_BIRTHDAY = '1900-01-01'

/** Keys of the account message catalogue: the routes translate them, the schema stays language-free. */
export type ProfileErrorKey =
  | 'nameTooLong'
  | 'birthdayInvalid'
  | 'birthdayFuture'
  | 'genderInvalid'
  | 'regionTooLong'
export type ProfileField = 'name' | 'birthday' | 'gender' | 'regionCode'

/** Today's date where our members live (China has one time zone, UTC+8, no daylight saving). */
export function chinaDate(now: number): string {
  return new Date(now + 8 * 3_600_000).toISOString().slice(0, 10)
}

const emptyToNull = (s: string) => (s === '' ? null : s)

/**
 * The profile form. Every field is optional (an empty field clears it); a birthday must be a real
 * calendar date, not in the future (age ≥ 0) and not before 1900.
 *
 * @example
 * profileForm(clock.now()).safeParse(await c.req.parseBody())
 */
export function profileForm(now: number) {
  const today = chinaDate(now)
  return z.object({
    name: z
      .string('nameTooLong' satisfies ProfileErrorKey)
      .trim()
      .max(MAX_NAME_LENGTH, 'nameTooLong' satisfies ProfileErrorKey)
      .default('')
      .transform(emptyToNull),
    birthday: z
      .union([z.literal(''), z.iso.date('birthdayInvalid' satisfies ProfileErrorKey)], {
        error: 'birthdayInvalid' satisfies ProfileErrorKey,
      })
      .default('')
      .refine((d) => d === '' || d >= EARLIEST_BIRTHDAY, 'birthdayInvalid' satisfies ProfileErrorKey)
      .refine((d) => d === '' || d <= today, 'birthdayFuture' satisfies ProfileErrorKey)
      .transform(emptyToNull),
    gender: z.enum(GENDERS, 'genderInvalid' satisfies ProfileErrorKey).default('unspecified'),
    regionCode: z
      .string('regionTooLong' satisfies ProfileErrorKey)
      .trim()
      .max(MAX_REGION_CODE_LENGTH, 'regionTooLong' satisfies ProfileErrorKey)
      .default('')
      .transform(emptyToNull),
  })
}

export type ProfileInput = z.output<ReturnType<typeof profileForm>>

/** Field → the message key of its first problem. */
export function profileErrorsOf(error: z.ZodError): Partial<Record<ProfileField, ProfileErrorKey>> {
  const out: Partial<Record<ProfileField, ProfileErrorKey>> = {}
  for (const issue of error.issues) {
    const field = issue.path[0] as ProfileField
    out[field] ??= issue.message as ProfileErrorKey
  }
  return out
}

/** Checkboxes: a ticked box sends `yes`, an unticked one sends nothing. */
export const ConsentForm = z.object({ marketing: z.literal('yes').optional() })

export const DeleteForm = z.object({ confirm: z.literal('yes') })

export const HistoryQuery = z.object({ page: z.coerce.number().int().min(1).max(10_000).catch(1) })
