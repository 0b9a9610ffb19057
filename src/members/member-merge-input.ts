import { z } from 'zod'

/** `?into=…` on the merge page: the other member as an owner types it (number, phone or email). */
export const MergeQuery = z.object({
  into: z.string().trim().max(254, 'at most 254 characters').optional(),
})

/**
 * The confirmation form: the member to keep (by id, as the preview showed it) and the ticked box.
 * The ids are read again inside the merge transaction; nothing here is trusted beyond its shape.
 */
export const MergeForm = z.object({
  into: z
    .string('choose the member to keep')
    .trim()
    .regex(/^\d{1,12}$/, 'choose the member to keep')
    .transform(Number),
  confirm: z.literal('yes', 'tick the box to confirm the merge'),
})

/**
 * What an owner typed to name the member to keep: `#123` (or a short number that is not a phone)
 * is a member number; anything else is read as a phone or email.
 *
 * @example
 * readMergeTarget('#42') // { kind: 'id', id: 42 }
 * readMergeTarget('138 0013 8000') // { kind: 'contact', text: '138 0013 8000' }
 */
export function readMergeTarget(
  text: string,
): { kind: 'id'; id: number } | { kind: 'contact'; text: string } {
  const id = /^#\s*(\d{1,12})$/.exec(text) ?? /^(\d{1,6})$/.exec(text)
  return id ? { kind: 'id', id: Number(id[1]) } : { kind: 'contact', text }
}
