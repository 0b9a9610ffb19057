import { z } from 'zod'
import { isValidGtin, toGtin14 } from '../codes/gs1.ts'

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `at most ${max} characters`)
    .transform((s) => (s === '' ? null : s))
    .nullish()

export const ProductForm = z.object({
  sku: z
    .string()
    .trim()
    .min(1, 'SKU is required')
    .max(64, 'SKU is at most 64 characters')
    .regex(/^[A-Za-z0-9._-]+$/, 'SKU may use letters, digits, dot, dash and underscore'),
  name: z.string().trim().min(1, 'name is required').max(200, 'name is at most 200 characters'),
  gtin: z
    .string()
    .trim()
    .transform((s) => s.replace(/[\s-]/g, ''))
    .refine(
      (s) => s === '' || isValidGtin(s),
      'GTIN must be 8, 12, 13 or 14 digits with a correct check digit',
    )
    .transform((s) => (s === '' ? null : toGtin14(s)))
    .nullish(),
  points: z.coerce.number().int('points must be a whole number').min(0).max(1_000_000).default(0),
  imageUrl: optionalText(2000).refine(
    (s) => s == null || /^https?:\/\/[^\s"'<>]+$/.test(s),
    'image URL must start with http:// or https://',
  ),
  notes: optionalText(2000),
})
export type ProductInput = z.infer<typeof ProductForm>
