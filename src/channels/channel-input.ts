import { z } from 'zod'
import { DISTRIBUTOR_STATUSES, DIVERTED_POLICIES } from './channel-schema.ts'

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `at most ${max} characters`)
    .transform((s) => (s === '' ? null : s))
    .nullish()

/** A form value that may come once (a string) or several times (an array), as checkboxes do. */
export const manyValues = z.preprocess(
  (v) => (v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v : [v]),
  z.array(z.string()),
)

export const DistributorForm = z.object({
  name: z.string().trim().min(1, 'name is required').max(200, 'name is at most 200 characters'),
  code: z
    .string()
    .trim()
    .min(1, 'code is required')
    .max(40, 'code is at most 40 characters')
    .regex(/^[A-Za-z0-9._-]+$/, 'code may use letters, digits, dot, dash and underscore'),
  contactName: optionalText(100),
  contactPhone: optionalText(40).refine(
    (s) => s == null || /^[0-9+()\s-]{3,40}$/.test(s),
    'phone may use digits, spaces, + ( ) and -',
  ),
  contactEmail: optionalText(254).refine(
    (s) => s == null || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s),
    'enter a valid email address',
  ),
  status: z.enum(DISTRIBUTOR_STATUSES, 'choose active or suspended').default('active'),
  notes: optionalText(2000),
  regions: manyValues,
})
export type DistributorInput = z.infer<typeof DistributorForm>

export const DistributorQuery = z.object({
  q: z
    .string()
    .trim()
    .max(100)
    .transform((s) => (s === '' ? undefined : s))
    .optional()
    .catch(undefined),
  status: z.enum(DISTRIBUTOR_STATUSES).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).default(1).catch(1),
})

export const ManagersForm = z.object({
  staffIds: manyValues
    .pipe(z.array(z.string().regex(/^[1-9][0-9]{0,15}$/, 'choose channel managers from the list')))
    .transform((ids) => ids.map(Number))
    .pipe(z.array(z.number()).max(500, 'too many channel managers at once')),
})

const seqNumber = z.coerce.number('enter a number').int('enter a whole number').min(1, 'codes count from #1')

/** What the warehouse-out form sends; which fields matter depends on `kind`. */
export const ShipmentForm = z
  .object({
    distributorId: z.coerce.number('choose a distributor').int().positive('choose a distributor'),
    kind: z.enum(['batch', 'range', 'list'], 'choose what to ship: a batch, a range or a list'),
    batchId: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
    from: z.preprocess((v) => (v === '' ? undefined : v), seqNumber.optional()),
    to: z.preprocess((v) => (v === '' ? undefined : v), seqNumber.optional()),
    reason: optionalText(500),
    note: optionalText(500),
  })
  .superRefine((f, ctx) => {
    if (f.kind !== 'list' && f.batchId === undefined)
      ctx.addIssue({ code: 'custom', path: ['batchId'], message: 'choose a batch' })
    if (f.kind === 'range') {
      if (f.from === undefined || f.to === undefined)
        ctx.addIssue({ code: 'custom', path: ['from'], message: 'give the first and the last code number' })
      else if (f.from > f.to)
        ctx.addIssue({ code: 'custom', path: ['from'], message: '"from" must not be after "to"' })
    }
  })
export type ShipmentFormInput = z.infer<typeof ShipmentForm>

export const ShipmentQuery = z.object({
  distributor: z.coerce.number().int().positive().optional().catch(undefined),
  before: z.coerce.number().int().positive().optional().catch(undefined),
})

export const RegionUploadForm = z.object({
  nameZh: optionalText(100),
  nameEn: optionalText(100),
})

export const ChannelSettingsForm = z.object({
  divertedPolicy: z.enum(DIVERTED_POLICIES, 'choose award, hold or refuse'),
  maxDevicesPerCode: z.coerce
    .number('max devices must be a number')
    .int('max devices must be a whole number')
    .min(1, 'max devices per code is at least 1')
    .max(1000, 'max devices per code is at most 1,000'),
  bulkClaimCount: z.coerce
    .number('bulk claim count must be a number')
    .int('bulk claim count must be a whole number')
    .min(2, 'bulk claim count is at least 2')
    .max(100_000, 'bulk claim count is at most 100,000'),
  bulkClaimWindowMinutes: z.coerce
    .number('the window must be a number of minutes')
    .int('the window must be a whole number of minutes')
    .min(1, 'the window is at least 1 minute')
    .max(43_200, 'the window is at most 30 days (43,200 minutes)'),
})
export type ChannelSettingsInput = z.infer<typeof ChannelSettingsForm>
