import { z } from 'zod'
import { CASE_STATUSES, type CaseStatus } from './channel-schema.ts'

const DAY_MS = 24 * 60 * 60 * 1000
/** The report's window when none is given: the last 90 days, today included. */
export const DEFAULT_REPORT_DAYS = 90
/** A longer window reads more signals than a page should wait for; export in parts instead. */
export const MAX_REPORT_DAYS = 3 * 366
export const MIN_DECISION_NOTE = 3
export const MAX_DECISION_NOTE = 1000

/** A query value the form leaves empty ('' or missing) is "no filter". */
const blank = (v: unknown) => (v === '' || v === null ? undefined : v)

const id = (what: string) =>
  z.preprocess(blank, z.coerce.number(`${what}: a number`).int(`${what}: a number`).positive().optional())

/** '2026-02-30' parses (as 2 March) in JavaScript; a real day survives the round trip. */
function isCalendarDay(s: string): boolean {
  const ms = Date.parse(`${s}T00:00:00Z`)
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s
}

const day = (what: string) =>
  z.preprocess(
    blank,
    z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, `${what}: a date like 2026-11-01`)
      .refine((s) => isCalendarDay(s), `${what}: not a calendar date`)
      .optional(),
  )

/**
 * A shipped region code ('CN-GD', 'US'), a brand region ('X12'), or '-' for scans with no
 * resolvable place.
 */
const regionCode = z.preprocess(
  (v) => (typeof v === 'string' ? blank(v.trim().toUpperCase()) : v),
  z
    .string()
    .regex(/^(?:[A-Z]{2}(?:-[A-Z0-9]{1,3})?|X\d{1,9}|-)$/, 'region: a code like CN-GD or US')
    .optional(),
)

const status = z.preprocess(blank, z.enum(CASE_STATUSES, 'status: open, confirmed or dismissed').optional())

const page = z.preprocess(blank, z.coerce.number().int().min(1).max(100_000).optional().catch(undefined))

/** The cases list: `?status=&distributor=&product=&region=&page=`. */
export const CaseListQuery = z.object({
  status,
  distributor: id('distributor'),
  product: id('product'),
  region: regionCode,
  page,
})

/** The report and its CSV: the cases list's filters plus a date range (UTC days) and a batch. */
export const ReportQuery = CaseListQuery.extend({
  from: day('from'),
  to: day('to'),
  batch: id('batch'),
})

export type CaseFilters = {
  status?: CaseStatus
  distributorId?: number
  productId?: number
  /** '' selects cases of scans with no resolvable place. */
  regionCode?: string
  /** Activity within [fromMs, toMs): signals in it, cases active in it. */
  fromMs?: number
  toMs?: number
  batchId?: number
}

/** The filters as the form shows them back (dates filled in with their defaults). */
export type ReportFormValues = {
  from: string
  to: string
  status: string
  distributor: string
  product: string
  region: string
  batch: string
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/**
 * Turns a valid report query into filters: dates default to the last 90 days ending today, `to`
 * counts its whole day, and a reversed or too long range is an error for the person to fix.
 *
 * @example
 * reportFilters(ReportQuery.parse({ from: '2026-10-01', to: '2026-10-31' }), Date.now())
 * // → { kind: 'ok', filters: { fromMs: 1759276800000, toMs: 1761955200000 }, values: {…}, page: 1 }
 */
export function reportFilters(
  q: z.infer<typeof ReportQuery>,
  now: number,
):
  | { kind: 'ok'; filters: CaseFilters; values: ReportFormValues; page: number }
  | { kind: 'invalid'; errors: string[]; values: ReportFormValues } {
  const to = q.to ?? utcDay(now)
  const from = q.from ?? utcDay(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_REPORT_DAYS - 1) * DAY_MS)
  const values: ReportFormValues = {
    from,
    to,
    status: q.status ?? '',
    distributor: q.distributor ? String(q.distributor) : '',
    product: q.product ? String(q.product) : '',
    region: q.region ?? '',
    batch: q.batch ? String(q.batch) : '',
  }
  const fromMs = Date.parse(`${from}T00:00:00Z`)
  const toMs = Date.parse(`${to}T00:00:00Z`) + DAY_MS
  if (fromMs >= toMs) return { kind: 'invalid', errors: ['from: must be on or before "to"'], values }
  if (toMs - fromMs > MAX_REPORT_DAYS * DAY_MS)
    return {
      kind: 'invalid',
      errors: [`The range is longer than ${MAX_REPORT_DAYS} days: choose a shorter one.`],
      values,
    }
  return {
    kind: 'ok',
    filters: { ...caseFilters(q), fromMs, toMs, batchId: q.batch },
    values,
    page: q.page ?? 1,
  }
}

export function caseFilters(q: z.infer<typeof CaseListQuery>): CaseFilters {
  return {
    status: q.status,
    distributorId: q.distributor,
    productId: q.product,
    regionCode: q.region === '-' ? '' : q.region,
  }
}

/** A decision on a case: confirm or dismiss, with the note the audit log keeps. */
export const DecisionForm = z.object({
  decision: z.enum(['confirm', 'dismiss'], 'choose confirm or dismiss'),
  note: z
    .string('write a note: what you checked and why')
    .trim()
    .min(MIN_DECISION_NOTE, 'write a note: what you checked and why')
    .max(MAX_DECISION_NOTE, `the note can be at most ${MAX_DECISION_NOTE} characters`),
})
export type Decision = z.infer<typeof DecisionForm>['decision']
