/**
 * One line that says why, for the box an htmx request swaps: htmx 4 swaps 4xx and 5xx answers, so
 * a bare text answer would replace the whole card or box with an unstyled text node.
 *
 * @example
 * c.html(<FragmentAlert message="This page has expired." />, 403)
 */
export function FragmentAlert({ message }: { message: string }) {
  return (
    <p class="errors" role="alert">
      {message}
    </p>
  )
}
