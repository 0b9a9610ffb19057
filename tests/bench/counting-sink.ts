import { Writable } from 'node:stream'

/** A Writable that discards what it is given and counts the bytes: the fastest possible consumer. */
export function countingSink(): Writable & { bytes: number } {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      sink.bytes += chunk.length
      callback()
    },
  }) as Writable & { bytes: number }
  sink.bytes = 0
  return sink
}
