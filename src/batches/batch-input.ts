import { z } from 'zod'
import { isValidGs1Lot } from '../codes/gs1.ts'
import { VOID_REASONS } from './batch-schema.ts'
import { MAX_BATCH_SIZE } from './batch-store.ts'
import { PRINT_FORMATS } from './print-formats.ts'
import { DEFAULT_GRID, isPrintableGrid } from './print-pdf.ts'

const isoDate = z
  .string()
  .trim()
  .transform((s) => (s === '' ? null : s))
  .refine(
    (s) => s === null || (/^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s))),
    'use a date like 2026-12-31',
  )
  .nullish()

export const BatchForm = z
  .object({
    productId: z.coerce.number().int().positive('choose a product'),
    quantity: z.coerce
      .number('quantity must be a number')
      .int('quantity must be a whole number')
      .min(1, 'a batch has at least 1 code')
      .max(MAX_BATCH_SIZE, `a batch has at most ${MAX_BATCH_SIZE.toLocaleString('en')} codes`),
    lot: z
      .string()
      .trim()
      .transform((s) => (s === '' ? null : s))
      .refine(
        (s) => s === null || isValidGs1Lot(s),
        'lot: up to 20 letters, digits and - _ . / (GS1 characters)',
      )
      .nullish(),
    producedOn: isoDate,
    expiresOn: isoDate,
    urlMode: z.enum(['short', 'gs1']).default('short'),
  })
  .refine(
    (b) => !b.producedOn || !b.expiresOn || b.producedOn <= b.expiresOn,
    'the expiry date is before the production date',
  )

const seqNumber = z.coerce.number().int().min(1)

export const RangeForm = z
  .object({ from: seqNumber, to: seqNumber })
  .refine((r) => r.from <= r.to, '"from" must not be after "to"')

/** Activating asks first: only its confirmation page sends `confirm=yes`. */
export const ConfirmForm = z.object({
  confirm: z.literal('yes', 'confirm on the confirmation page'),
})

const gridSize = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.coerce.number().int().min(1).max(20).optional(),
)

export const ExportForm = z
  .object({
    format: z.enum(PRINT_FORMATS, 'choose a print-file format'),
    from: seqNumber.optional(),
    to: seqNumber.optional(),
    columns: gridSize,
    rows: gridSize,
  })
  .refine(
    (f) => isPrintableGrid(f.columns ?? DEFAULT_GRID.columns, f.rows ?? DEFAULT_GRID.rows),
    'that label grid leaves QR codes too small to scan on A4: use fewer columns or rows',
  )

export const VoidForm = z.object({
  reason: z.enum(VOID_REASONS, 'choose a reason'),
  note: z
    .string()
    .trim()
    .max(500)
    .transform((s) => (s === '' ? null : s))
    .nullish(),
  confirm: z.literal('yes', 'tick the box to confirm that voiding is final'),
})

export const LinkForm = z.object({
  recipient: z.string().trim().min(1, 'name the printing house').max(120),
  format: z.enum(PRINT_FORMATS, 'choose a print-file format'),
  ttlHours: z.coerce.number().int().min(1).max(336, 'a link lives at most 14 days (336 hours)'),
})
