import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { INTERRUPT_STATUS, onInterrupt, type SignalTarget } from './interrupt.ts'

/** The suffix of the file a print file is written to before it is renamed into place. */
export const PARTIAL_SUFFIX = '.partial'

/**
 * Why `out` cannot take a file, or null when it can: an existing directory or a missing or
 * read-only parent folder. Checked before anything is recorded, so a typo fails at once rather
 * than after a whole print file was streamed to disk.
 *
 * @example
 * outFileProblem('/tmp') // '--out /tmp is a directory; name the file to write'
 */
export function outFileProblem(out: string): string | null {
  if (out.endsWith('/') || out.endsWith(path.sep) || isDirectory(out))
    return `--out ${out} is a directory; name the file to write`
  const parent = path.dirname(path.resolve(out))
  if (!isDirectory(parent)) return `--out ${out}: the folder ${parent} does not exist`
  try {
    fs.accessSync(parent, fs.constants.W_OK)
  } catch {
    return `--out ${out}: the folder ${parent} is not writable`
  }
  return null
}

/**
 * Streams `source` into `out` through `out.partial`, renamed into place once complete, so a
 * printer never picks up half a file. On any failure, and on SIGINT/SIGTERM (then telling
 * `onInterrupted` and exiting 130 or 143), the partial file is removed: even cut off it holds real codes, which must not stay on disk
 * for anyone to print or copy.
 *
 * @example
 * await writeFileAtomically('out/batch-7.csv', file.stream)
 */
export async function writeFileAtomically(
  out: string,
  source: Readable,
  signals: SignalTarget = process,
  onInterrupted: () => void = () => {},
): Promise<void> {
  const tmp = `${out}${PARTIAL_SUFFIX}`
  const release = onInterrupt(signals, (signal) => {
    discard(tmp)
    onInterrupted()
    signals.exit(INTERRUPT_STATUS[signal])
  })
  let renamed = false
  try {
    await pipeline(source, fs.createWriteStream(tmp))
    fs.renameSync(tmp, out)
    renamed = true
  } finally {
    release()
    if (!renamed) discard(tmp)
  }
}

function isDirectory(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false
}

/** Unlinks a file we were writing; never a directory someone else put there under that name. */
function discard(file: string): void {
  try {
    fs.unlinkSync(file)
  } catch {
    // Already gone, or not ours to remove.
  }
}
