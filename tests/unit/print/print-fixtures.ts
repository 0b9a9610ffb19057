import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { PrintRow } from '../../../src/batches/print-row.ts'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** Deterministic Crockford text (mulberry32), so a failing case can be reproduced. */
export function crockford(length: number, seed: number): string {
  let state = seed >>> 0
  let text = ''
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    text += CROCKFORD[((t ^ (t >>> 14)) >>> 0) % 32]
  }
  return text
}

export function withDashes(text: string): string {
  return text.match(/.{1,4}/g)!.join('-')
}

/** A short-mode row: upper-case URL, 31 Crockford characters after /C/. */
export function shortRow(seq: number): PrintRow {
  const token = crockford(31, seq)
  return { seq, serial: withDashes(token), url: `HTTP://LOCALHOST:3000/C/${token}` }
}

/** A GS1 Digital Link row: GTIN, lot, 18-character serial and a 13-character tag. */
export function gs1Row(seq: number): PrintRow {
  const serial = crockford(18, seq)
  const url = `https://localhost:3000/01/09506000134352/10/L1/21/${serial}?t=${crockford(13, seq + 1000)}`
  return { seq, serial: withDashes(serial), url }
}

/** Six short and six GS1 rows, interleaved, as a realistic mixed fixture. */
export function mixedRows(count = 12): PrintRow[] {
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? shortRow(i + 1) : gs1Row(i + 1)))
}

export async function* rowsFrom(rows: Iterable<PrintRow>): AsyncGenerator<PrintRow> {
  for (const row of rows) yield row
}

/** An endless source that counts how many rows were pulled and whether it was released. */
export function countingSource(makeRow: (seq: number) => PrintRow = shortRow) {
  const state = { pulled: 0, released: false }
  async function* rows(): AsyncGenerator<PrintRow> {
    try {
      for (;;) yield makeRow(++state.pulled)
    } finally {
      state.released = true
    }
  }
  return { state, rows: rows() }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Writes bytes to a fresh temporary directory and returns the file's path. */
export function tempFile(name: string, bytes: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'onecode-print-')), name)
  writeFileSync(path, bytes)
  return path
}

/** Entry names after Debian's `unzip` (an independent reader) has checked every CRC. */
export function unzipNames(zipPath: string): string[] {
  execFileSync('unzip', ['-tq', zipPath])
  return execFileSync('unzip', ['-Z1', zipPath], { maxBuffer: 1 << 30 })
    .toString()
    .split('\n')
    .filter((name) => name !== '')
}

/** Entry names and contents through Debian's `unzip`. */
export function unzipEntries(zipPath: string): Map<string, Buffer> {
  const names = unzipNames(zipPath)
  return new Map(
    names.map(
      (name) => [name, execFileSync('unzip', ['-p', zipPath, name], { maxBuffer: 1 << 30 })] as const,
    ),
  )
}
