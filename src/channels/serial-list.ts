import { tokenFromInput } from '../codes/code-input.ts'
import { isCrockford, normalizeCodeInput } from '../codes/crockford.ts'
import type { Keyring } from '../codes/keyring.ts'
import { SERIAL_LENGTH, TOKEN_LENGTH } from '../codes/token.ts'

/** Most codes one shipment list may name (pasted, uploaded or given to the CLI). */
export const MAX_SHIPMENT_LIST = 100_000

export type SerialList =
  | { kind: 'ok'; serials: string[]; unrecognised: string[] }
  | { kind: 'empty' }
  | { kind: 'too-many'; count: number }

const HEADER_CELL = /^(seq|serial|url|code|codes|token)$/i

/**
 * Reads a list of codes as warehouse staff have them: one per line, or a print-file CSV (the URL
 * or serial column is found by itself, a header row skipped). Each line may be a scanned URL,
 * the printed human form (`K7AB-CDEF-…`, any case, dashes ignored) or the bare 16-character
 * serial. Full codes must carry this brand's valid signature; what cannot be read comes back in
 * `unrecognised` so it can be reported. Serials are deduplicated.
 *
 * @example
 * readSerialList('serial\nk7ab-cdef-…\nHTTPS://OC.EXAMPLE.COM/C/K7…', keyring, brandId)
 * // → { kind: 'ok', serials: ['ABCDEF…', …], unrecognised: [] }
 */
export function readSerialList(text: string, keyring: Keyring, brandId: number): SerialList {
  const candidates: string[] = []
  for (const line of text.split(/\r?\n/)) {
    const cells = line
      .split(/[,\t;]/)
      .map((x) => x.trim().replace(/^"|"$/g, '').trim())
      .filter((x) => x !== '')
    const cell =
      cells.find((x) => /\/c\/|\/21\//i.test(x)) ?? cells.find((x) => x.length >= SERIAL_LENGTH) ?? cells[0]
    if (cell && !HEADER_CELL.test(cell)) candidates.push(cell)
  }
  if (candidates.length === 0) return { kind: 'empty' }
  if (candidates.length > MAX_SHIPMENT_LIST) return { kind: 'too-many', count: candidates.length }
  const serials = new Set<string>()
  const unrecognised: string[] = []
  for (const candidate of candidates) {
    const serial = serialOf(candidate, keyring, brandId)
    if (serial) serials.add(serial)
    else unrecognised.push(candidate.slice(0, 80))
  }
  return { kind: 'ok', serials: [...serials], unrecognised }
}

function serialOf(candidate: string, keyring: Keyring, brandId: number): string | undefined {
  const raw = tokenFromInput(candidate)
  // Bound the work: a genuine code with dashes is far shorter than this.
  if (raw.length > TOKEN_LENGTH * 4) return undefined
  const normalized = normalizeCodeInput(raw)
  if (normalized.length === SERIAL_LENGTH && isCrockford(normalized)) return normalized
  const verdict = keyring.verify(normalized)
  return verdict.kind === 'valid' && verdict.brandId === brandId ? verdict.serial : undefined
}
