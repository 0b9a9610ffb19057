import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { constants, crc32, deflateRawSync } from 'node:zlib'

/**
 * A file inside a ZIP: either small bytes known up front (one SVG), or a stream of blocks (a CSV
 * chunk of 100 000 rows) that is compressed block by block and never held whole.
 */
export type ZipEntry = { name: string; data: Buffer } | { name: string; blocks: AsyncIterable<Buffer> }

export type ZipStreamOptions = {
  /** The modification time stamped on every entry; pass the export's time for reproducible files. */
  modifiedAt?: Date
  /** Central-directory bytes kept in memory before the rest is spilled to a temporary file. */
  centralDirectoryMemoryBytes?: number
}

/** ~90 bytes of central directory per entry: 8 MiB covers ~90 000 entries before spilling to disk. */
const CENTRAL_DIRECTORY_MEMORY_BYTES = 8 * 1024 * 1024
const SPILL_READ_BYTES = 1024 * 1024
const UINT32_MAX = 0xffffffff
const UINT16_MAX = 0xffff
const FLAG_DATA_DESCRIPTOR = 0x0008
const FLAG_UTF8_NAME = 0x0800
const METHOD_STORE = 0
const METHOD_DEFLATE = 8
const VERSION_DEFLATE = 20
const VERSION_ZIP64 = 45
/** Unix, spec 6.3: lets unzip apply the 0644 mode below. */
const VERSION_MADE_BY = (3 << 8) | VERSION_ZIP64
const FILE_MODE = 0o100644
/** A final, empty, fixed-Huffman deflate block: closes a stream of sync-flushed blocks (as pigz does). */
const DEFLATE_FINAL_BLOCK = Buffer.from([0x03, 0x00])

/**
 * Writes a ZIP (with ZIP64 records once it passes 65 535 entries or 4 GiB) as an async sequence of
 * buffers, pulling the next entry only after the previous one is written, so a ZIP of ten million
 * SVGs needs the memory of one entry plus a bounded slice of the central directory (the rest is
 * spilled to a temporary file and streamed back at the end).
 *
 * yazl was the first choice, but its pump scans its whole entry list on every entry (quadratic for
 * a million SVGs), keeps every entry object until the end and ignores the output's backpressure.
 *
 * @example
 * Readable.from(zipStream(entriesOf(rows), { modifiedAt: clock.now() })).pipe(response)
 */
export async function* zipStream(
  entries: AsyncIterable<ZipEntry>,
  options: ZipStreamOptions = {},
): AsyncGenerator<Buffer> {
  const { date, time } = dosDateTime(options.modifiedAt ?? new Date())
  const directory = new CentralDirectory(
    options.centralDirectoryMemoryBytes ?? CENTRAL_DIRECTORY_MEMORY_BYTES,
  )
  let offset = 0
  let count = 0
  try {
    for await (const entry of entries) {
      const name = Buffer.from(entry.name)
      const headerOffset = offset
      let record: FileRecord
      if ('data' in entry) {
        const deflated = deflateRawSync(entry.data)
        const stored = deflated.length >= entry.data.length
        const body = stored ? entry.data : deflated
        record = {
          flags: FLAG_UTF8_NAME,
          method: stored ? METHOD_STORE : METHOD_DEFLATE,
          crc: crc32(entry.data),
          compressedSize: body.length,
          size: entry.data.length,
        }
        const header = localHeader(name, record, date, time)
        offset += header.length + body.length
        yield Buffer.concat([header, body])
      } else {
        record = {
          flags: FLAG_UTF8_NAME | FLAG_DATA_DESCRIPTOR,
          method: METHOD_DEFLATE,
          crc: 0,
          compressedSize: 0,
          size: 0,
        }
        const header = localHeader(name, record, date, time)
        offset += header.length
        yield header
        for await (const block of entry.blocks) {
          record.crc = crc32(block, record.crc)
          record.size += block.length
          // each block is deflated on its own and sync-flushed, so the pieces concatenate into one stream
          const deflated = deflateRawSync(block, { finishFlush: constants.Z_SYNC_FLUSH })
          record.compressedSize += deflated.length
          yield deflated
        }
        record.compressedSize += DEFLATE_FINAL_BLOCK.length
        if (record.size > UINT32_MAX || record.compressedSize > UINT32_MAX) {
          throw new Error(`zip entry ${entry.name} passed 4 GiB; use more, smaller files`)
        }
        const descriptor = dataDescriptor(record)
        offset += record.compressedSize + descriptor.length
        yield Buffer.concat([DEFLATE_FINAL_BLOCK, descriptor])
      }
      count++
      await directory.add(centralRecord(name, record, date, time, headerOffset))
    }
    const directoryOffset = offset
    for await (const chunk of directory.read()) {
      offset += chunk.length
      yield chunk
    }
    yield endOfCentralDirectory(count, directoryOffset, offset - directoryOffset, offset)
  } finally {
    await directory.dispose()
  }
}

type FileRecord = { flags: number; method: number; crc: number; compressedSize: number; size: number }

function localHeader(name: Buffer, record: FileRecord, date: number, time: number): Buffer {
  const header = Buffer.alloc(30 + name.length)
  header.writeUInt32LE(0x04034b50, 0)
  header.writeUInt16LE(VERSION_DEFLATE, 4)
  header.writeUInt16LE(record.flags, 6)
  header.writeUInt16LE(record.method, 8)
  header.writeUInt16LE(time, 10)
  header.writeUInt16LE(date, 12)
  header.writeUInt32LE(record.crc, 14)
  header.writeUInt32LE(record.compressedSize, 18)
  header.writeUInt32LE(record.size, 22)
  header.writeUInt16LE(name.length, 26)
  header.writeUInt16LE(0, 28)
  name.copy(header, 30)
  return header
}

function dataDescriptor(record: FileRecord): Buffer {
  const descriptor = Buffer.alloc(16)
  descriptor.writeUInt32LE(0x08074b50, 0)
  descriptor.writeUInt32LE(record.crc, 4)
  descriptor.writeUInt32LE(record.compressedSize, 8)
  descriptor.writeUInt32LE(record.size, 12)
  return descriptor
}

function centralRecord(name: Buffer, record: FileRecord, date: number, time: number, offset: number): Buffer {
  const isZip64 = offset >= UINT32_MAX
  const extraLength = isZip64 ? 12 : 0
  const entry = Buffer.alloc(46 + name.length + extraLength)
  entry.writeUInt32LE(0x02014b50, 0)
  entry.writeUInt16LE(VERSION_MADE_BY, 4)
  entry.writeUInt16LE(isZip64 ? VERSION_ZIP64 : VERSION_DEFLATE, 6)
  entry.writeUInt16LE(record.flags, 8)
  entry.writeUInt16LE(record.method, 10)
  entry.writeUInt16LE(time, 12)
  entry.writeUInt16LE(date, 14)
  entry.writeUInt32LE(record.crc, 16)
  entry.writeUInt32LE(record.compressedSize, 20)
  entry.writeUInt32LE(record.size, 24)
  entry.writeUInt16LE(name.length, 28)
  entry.writeUInt16LE(extraLength, 30)
  entry.writeUInt32LE(FILE_MODE * 0x10000, 38)
  entry.writeUInt32LE(isZip64 ? UINT32_MAX : offset, 42)
  name.copy(entry, 46)
  if (isZip64) {
    const extra = 46 + name.length
    entry.writeUInt16LE(0x0001, extra)
    entry.writeUInt16LE(8, extra + 2)
    entry.writeBigUInt64LE(BigInt(offset), extra + 4)
  }
  return entry
}

/** The end records; the ZIP64 pair comes first whenever a classic field would overflow. */
function endOfCentralDirectory(
  count: number,
  directoryOffset: number,
  directorySize: number,
  at: number,
): Buffer {
  const needsZip64 = count >= UINT16_MAX || directoryOffset >= UINT32_MAX || directorySize >= UINT32_MAX
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(Math.min(count, UINT16_MAX), 8)
  end.writeUInt16LE(Math.min(count, UINT16_MAX), 10)
  end.writeUInt32LE(Math.min(directorySize, UINT32_MAX), 12)
  end.writeUInt32LE(Math.min(directoryOffset, UINT32_MAX), 16)
  if (!needsZip64) return end
  const zip64 = Buffer.alloc(56 + 20)
  zip64.writeUInt32LE(0x06064b50, 0)
  zip64.writeBigUInt64LE(44n, 4)
  zip64.writeUInt16LE(VERSION_MADE_BY, 12)
  zip64.writeUInt16LE(VERSION_ZIP64, 14)
  zip64.writeBigUInt64LE(BigInt(count), 24)
  zip64.writeBigUInt64LE(BigInt(count), 32)
  zip64.writeBigUInt64LE(BigInt(directorySize), 40)
  zip64.writeBigUInt64LE(BigInt(directoryOffset), 48)
  zip64.writeUInt32LE(0x07064b50, 56)
  zip64.writeBigUInt64LE(BigInt(at), 64)
  zip64.writeUInt32LE(1, 72)
  return Buffer.concat([zip64, end])
}

/** MS-DOS date and time fields (2-second resolution, years 1980–2107), from the UTC clock. */
function dosDateTime(when: Date): { date: number; time: number } {
  const year = Math.min(Math.max(when.getUTCFullYear(), 1980), 2107)
  return {
    date: ((year - 1980) << 9) | ((when.getUTCMonth() + 1) << 5) | when.getUTCDate(),
    time: (when.getUTCHours() << 11) | (when.getUTCMinutes() << 5) | (when.getUTCSeconds() >> 1),
  }
}

/**
 * The central directory must list every entry and can only be written at the end; past the memory
 * budget its records go to a temporary file, so memory stays flat however many entries there are.
 */
class CentralDirectory {
  private chunks: Buffer[] = []
  private bytes = 0
  private spill: { dir: string; file: Awaited<ReturnType<typeof open>>; size: number } | undefined

  constructor(private readonly memoryBytes: number) {}

  async add(record: Buffer): Promise<void> {
    this.chunks.push(record)
    this.bytes += record.length
    if (this.bytes < this.memoryBytes) return
    if (!this.spill) {
      const dir = await mkdtemp(join(tmpdir(), 'onecode-zip-'))
      this.spill = { dir, file: await open(join(dir, 'central-directory'), 'w+'), size: 0 }
    }
    const block = Buffer.concat(this.chunks)
    await this.spill.file.write(block, 0, block.length, this.spill.size)
    this.spill.size += block.length
    this.chunks = []
    this.bytes = 0
  }

  async *read(): AsyncGenerator<Buffer> {
    if (this.spill) {
      for (let position = 0; position < this.spill.size; position += SPILL_READ_BYTES) {
        const length = Math.min(SPILL_READ_BYTES, this.spill.size - position)
        const { buffer } = await this.spill.file.read(Buffer.alloc(length), 0, length, position)
        yield buffer
      }
    }
    if (this.chunks.length > 0) yield Buffer.concat(this.chunks)
  }

  async dispose(): Promise<void> {
    if (!this.spill) return
    await this.spill.file.close()
    await rm(this.spill.dir, { recursive: true, force: true })
    this.spill = undefined
  }
}
