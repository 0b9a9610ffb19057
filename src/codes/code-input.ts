import { parseDigitalLinkParts } from './gs1.ts'

const SHORT_URL = /\/c\/([^/?#\s]+)/i
const GS1_URL = /\/01\/(\d{8,14})(?:\/10\/([^/?#]+))?\/21\/([^/?#]+)(?:\?(?:.*&)?t=([^&#]+))?/

/**
 * Pulls the token out of whatever a person pastes: a scanned short URL, a GS1 Digital Link, the
 * printed human form with dashes, or the bare token. Returns the raw candidate for the keyring.
 *
 * @example
 * tokenFromInput('HTTP://LOCALHOST:3000/C/AB12…') // 'AB12…'
 */
export function tokenFromInput(input: string): string {
  const s = input.trim()
  const short = SHORT_URL.exec(s)
  if (short?.[1]) return short[1]
  const gs1 = GS1_URL.exec(s)
  if (gs1?.[1] && gs1[3]) {
    const parts = parseDigitalLinkParts({
      gtin: gs1[1],
      lot: gs1[2] ? safeDecode(gs1[2]) : undefined,
      serial: safeDecode(gs1[3]),
      t: gs1[4] ? safeDecode(gs1[4]) : undefined,
    })
    return parts.kind === 'ok' ? parts.token : s
  }
  return s
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
