import { z } from 'zod'
import { issuesOf } from '../staff/staff-input.ts'
import { MAX_PAGE, SegmentFilter } from './member-filter.ts'

export const MAX_SEGMENT_NAME = 80
export const MAX_SEGMENT_DESCRIPTION = 500

/** A segment's name and description; the filter fields travel in the same form. */
export const SegmentMetaForm = z.object({
  name: z
    .string('name: give the segment a name')
    .trim()
    .min(1, 'name: give the segment a name')
    .max(MAX_SEGMENT_NAME, `name: at most ${MAX_SEGMENT_NAME} characters`),
  description: z
    .string()
    .trim()
    .max(MAX_SEGMENT_DESCRIPTION, `description: at most ${MAX_SEGMENT_DESCRIPTION} characters`)
    .optional()
    .transform((d) => (d ? d : null)),
})

/**
 * A whole segment form (name, description and the filter fields), with every problem of both
 * parts at once.
 *
 * @example
 * readSegmentForm({ name: 'VIP', tag: 'vip', joinedFrom: '' }) // { ok: true, input: { name: 'VIP', description: null, filter: { tag: 'vip' } } }
 */
export function readSegmentForm(
  body: Record<string, unknown>,
):
  | { ok: true; input: { name: string; description: string | null; filter: SegmentFilter } }
  | { ok: false; errors: string[] } {
  const meta = SegmentMetaForm.safeParse(body)
  const filter = SegmentFilter.safeParse(body)
  if (meta.success && filter.success) return { ok: true, input: { ...meta.data, filter: filter.data } }
  return {
    ok: false,
    errors: [
      ...(meta.success ? [] : issuesOf(meta.error)),
      ...(filter.success ? [] : issuesOf(filter.error)),
    ],
  }
}

/** Deleting asks first: the confirmation page posts `confirm=yes`. */
export const DeleteSegmentForm = z.object({
  confirm: z.literal('yes', 'confirm the deletion on the confirmation page'),
})

export const SegmentPageQuery = z.object({
  page: z.coerce.number().int().min(1).max(MAX_PAGE).catch(1).default(1),
})
