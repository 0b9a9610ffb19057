import { execFileSync } from 'node:child_process'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { csvZipPrintStream, svgZipPrintStream } from '../../../src/batches/print-zip.ts'
import { zipStream } from '../../../src/batches/print-zip-writer.ts'
import {
  countingSource,
  mixedRows,
  readAll,
  rowsFrom,
  shortRow,
  tempFile,
  unzipEntries,
  unzipNames,
} from './print-fixtures.ts'

describe('the CSV ZIP print file', () => {
  it('splits the batch into files of rowsPerFile rows, each with the header', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => shortRow(i + 1))
    const zip = await readAll(csvZipPrintStream(rowsFrom(rows), { baseName: 'TEA-1 L7', rowsPerFile: 10 }))
    const entries = unzipEntries(tempFile('codes.zip', zip))
    expect([...entries.keys()]).toEqual(['TEA-1-L7-0001.csv', 'TEA-1-L7-0002.csv', 'TEA-1-L7-0003.csv'])
    const files = [...entries.values()].map((csv) => csv.toString().split('\r\n').slice(0, -1))
    for (const lines of files) expect(lines[0]).toBe('seq,serial,url')
    expect(files.map((lines) => lines.length - 1)).toEqual([10, 10, 5])
    expect(files.flatMap((lines) => lines.slice(1))).toEqual(rows.map((r) => `${r.seq},${r.serial},${r.url}`))
  })

  it('does not add an empty file when the batch fills the last one exactly', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => shortRow(i + 1))
    const zip = await readAll(csvZipPrintStream(rowsFrom(rows), { baseName: 'b', rowsPerFile: 10 }))
    expect([...unzipEntries(tempFile('codes.zip', zip)).keys()]).toEqual(['b-0001.csv', 'b-0002.csv'])
  })

  it('compresses a CSV file larger than one block into a stream unzip verifies', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => shortRow(i + 1))
    const zip = await readAll(csvZipPrintStream(rowsFrom(rows), { baseName: 'big' }))
    const csv = unzipEntries(tempFile('codes.zip', zip)).get('big-0001.csv')!.toString()
    expect(csv.split('\r\n').length - 2).toBe(5_000)
    expect(zip.length).toBeLessThan(csv.length / 1.5)
  })

  it('reads rows only as fast as the ZIP is consumed, and releases the source when cancelled', async () => {
    const { state, rows } = countingSource()
    const stream = csvZipPrintStream(rows, { baseName: 'endless', rowsPerFile: 1_000 })
    await new Promise((resolve) => stream.once('data', resolve))
    stream.pause()
    for (let i = 0; i < 20; i++) await new Promise(setImmediate)
    expect(state.pulled).toBeLessThan(5_000)
    stream.destroy()
    for (let i = 0; i < 5; i++) await new Promise(setImmediate)
    expect(state.released).toBe(true)
  })
})

describe('the SVG ZIP print file', () => {
  it('holds one SVG per code named by padded seq and serial', async () => {
    const rows = mixedRows(4)
    const zip = await readAll(svgZipPrintStream(rowsFrom(rows), { baseName: 'b' }))
    const entries = unzipEntries(tempFile('codes.zip', zip))
    expect([...entries.keys()]).toEqual(rows.map((r) => `${String(r.seq).padStart(8, '0')}-${r.serial}.svg`))
    for (const svg of entries.values())
      expect(svg.toString()).toMatch(/^<svg [^>]*shape-rendering="crispEdges"/)
  })

  it('keeps GS1 serial characters from making folders inside the ZIP', async () => {
    const zip = await readAll(
      svgZipPrintStream(rowsFrom([{ seq: 7, serial: 'A/B%C', url: 'X' }]), { baseName: 'b' }),
    )
    expect([...unzipEntries(tempFile('codes.zip', zip)).keys()]).toEqual(['00000007-A_B_C.svg'])
  })

  it('pulls only the handful of codes the consumer has room for', async () => {
    const { state, rows } = countingSource()
    const stream = svgZipPrintStream(rows, { baseName: 'endless' })
    await new Promise((resolve) => stream.once('data', resolve))
    stream.pause()
    for (let i = 0; i < 20; i++) await new Promise(setImmediate)
    // the readable buffer holds 16 KiB: ~20 compressed SVG entries of ~800 bytes
    expect(state.pulled).toBeLessThan(40)
    stream.destroy()
  })
})

describe('the ZIP writer', () => {
  it('writes ZIP64 end records that unzip reads once a ZIP passes 65 535 entries', async () => {
    async function* entries() {
      for (let i = 0; i < 70_000; i++) yield { name: `${i}.txt`, data: Buffer.from('x') }
    }
    const zip = await readAll(Readable.from(zipStream(entries())))
    const names = unzipNames(tempFile('many.zip', zip))
    expect(names.length).toBe(70_000)
    expect(names.at(-1)).toBe('69999.txt')
  })

  it('streams a central directory that outgrew its memory budget back from disk intact', async () => {
    async function* entries() {
      for (let i = 0; i < 300; i++) yield { name: `${i}.txt`, data: Buffer.from(`entry ${i}`) }
    }
    const zip = await readAll(Readable.from(zipStream(entries(), { centralDirectoryMemoryBytes: 1_000 })))
    const path = tempFile('spilled.zip', zip)
    expect(unzipNames(path)).toEqual(Array.from({ length: 300 }, (_, i) => `${i}.txt`))
    expect(execFileSync('unzip', ['-p', path, '299.txt']).toString()).toBe('entry 299')
  })
})
