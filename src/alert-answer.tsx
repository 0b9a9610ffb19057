import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { FragmentAlert } from '../views/fragment-alert.tsx'
import { wantsFragment } from './htmx-request.ts'

/**
 * A refusal in words: a line for the box to an htmx request (which swaps it in), plain text to a
 * form posted without JavaScript.
 *
 * @example
 * if (!member) return alertAnswer(c, t.signInFirst, 401)
 */
export function alertAnswer(c: Context, message: string, status: ContentfulStatusCode) {
  return wantsFragment(c) ? c.html(<FragmentAlert message={message} />, status) : c.text(message, status)
}
