import { z } from 'zod'

/** Bounds of the programme settings: beyond them a typo is likelier than intent. */
export const MAX_NEW_DAYS = 365
export const MAX_ACTIVE_DAYS = 730
export const MAX_CHURN_DAYS = 5 * 365
export const MAX_BIRTHDAY_POINTS = 100_000
export const MIN_CHURN_FACTOR = 1.5
export const MAX_CHURN_FACTOR = 20

const wholeDays = (label: string, max: number) =>
  z.coerce
    .number(`${label} must be a whole number of days`)
    .int(`${label} must be a whole number of days`)
    .min(1, `${label} must be at least 1 day`)
    .max(max, `${label} must be at most ${max} days`)

/**
 * The programme settings form: lifecycle thresholds that must grow (new < active < churned),
 * birthday points 0 (off) to 100,000, and a churn factor of 1.5 to 20 times the usual interval.
 *
 * @example
 * ProgrammeSettingsForm.safeParse(await c.req.parseBody())
 */
export const ProgrammeSettingsForm = z
  .object({
    newDays: wholeDays('new', MAX_NEW_DAYS),
    activeDays: wholeDays('active', MAX_ACTIVE_DAYS),
    churnDays: wholeDays('churned', MAX_CHURN_DAYS),
    birthdayPoints: z.coerce
      .number('birthday points must be a whole number')
      .int('birthday points must be a whole number')
      .min(0, 'birthday points must be at least 0 (0 turns the bonus off)')
      .max(MAX_BIRTHDAY_POINTS, `birthday points must be at most ${MAX_BIRTHDAY_POINTS}`),
    churnFactor: z.coerce
      .number('churn factor must be a number such as 3 or 2.5')
      .min(MIN_CHURN_FACTOR, `churn factor must be at least ${MIN_CHURN_FACTOR}`)
      .max(MAX_CHURN_FACTOR, `churn factor must be at most ${MAX_CHURN_FACTOR}`)
      // One decimal is all a person means here; more would show as 2.4999999 on the page.
      .transform((n) => Math.round(n * 10) / 10),
  })
  .refine((v) => v.newDays < v.activeDays, {
    message: 'new days must be fewer than active days',
    path: ['activeDays'],
  })
  .refine((v) => v.activeDays < v.churnDays, {
    message: 'active days must be fewer than churned days',
    path: ['churnDays'],
  })
export type ProgrammeSettingsInput = z.infer<typeof ProgrammeSettingsForm>

export const PROGRAMME_JOB_CHOICES = ['all', 'tags', 'birthday', 'churn'] as const

/** "Run jobs now": which job, and the ticked confirmation (a run may credit birthday points). */
export const RunJobsForm = z.object({
  job: z.enum(PROGRAMME_JOB_CHOICES, 'job must be one of all, tags, birthday, churn').default('all'),
  confirm: z.literal('yes', 'tick the box to confirm the run'),
})

export const ChurnPageQuery = z.object({ page: z.coerce.number().int().min(1).max(10_000).catch(1) })
