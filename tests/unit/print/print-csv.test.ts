import { describe, expect, it } from 'vitest'
import { csvCell, csvPrintStream, txtPrintStream } from '../../../src/batches/print-csv.ts'
import { contentTypeFor, fileNameFor, PRINT_FORMATS } from '../../../src/batches/print-formats.ts'
import { countingSource, mixedRows, readAll, rowsFrom } from './print-fixtures.ts'

describe('the CSV print file', () => {
  it('has the header seq,serial,url and exactly the given rows, in order', async () => {
    const rows = mixedRows(12)
    const text = (await readAll(csvPrintStream(rowsFrom(rows)))).toString()
    const lines = text.split('\r\n')
    expect(lines.at(-1)).toBe('')
    expect(lines.slice(0, -1)).toEqual([
      'seq,serial,url',
      ...rows.map((r) => `${r.seq},${r.serial},${r.url}`),
    ])
  })

  it('holds only the header for an empty batch', async () => {
    expect((await readAll(csvPrintStream(rowsFrom([])))).toString()).toBe('seq,serial,url\r\n')
  })

  it('defuses cells a spreadsheet would run as formulas and quotes what needs quoting', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${start}1+1`)).toMatch(/^"?'/)
    expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`)
    expect(csvCell('https://x/10/A,B')).toBe('"https://x/10/A,B"')
    expect(csvCell('HTTP://LOCALHOST:3000/C/ABC')).toBe('HTTP://LOCALHOST:3000/C/ABC')
  })

  it('reads rows only as fast as the file is consumed', async () => {
    const { state, rows } = countingSource()
    const stream = csvPrintStream(rows)
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve))
    stream.pause()
    for (let i = 0; i < 20; i++) await new Promise(setImmediate)
    expect(first.length).toBeGreaterThan(0)
    // one 64 KiB block is ~1 000 rows; an endless source proves nothing more is buffered
    expect(state.pulled).toBeLessThan(5_000)
    stream.destroy()
    await new Promise(setImmediate)
    expect(state.released).toBe(true)
  })
})

describe('the TXT print file', () => {
  it('has one tab-separated seq, serial and url line per row and no header', async () => {
    const rows = mixedRows(12)
    const text = (await readAll(txtPrintStream(rowsFrom(rows)))).toString()
    expect(text).toBe(rows.map((r) => `${r.seq}\t${r.serial}\t${r.url}\r\n`).join(''))
  })

  it('refuses a value that would shift the columns on a label', async () => {
    const rows = rowsFrom([{ seq: 1, serial: 'AB12', url: 'https://x/10/A\tB' }])
    await expect(readAll(txtPrintStream(rows))).rejects.toThrow(/tab or line break/)
  })
})

describe('print formats', () => {
  it('name every download safely and serve it with its content type', () => {
    expect(PRINT_FORMATS.map((f) => fileNameFor(f, 'TEA-1 lot/7"'))).toEqual([
      'TEA-1-lot-7.csv',
      'TEA-1-lot-7.txt',
      'TEA-1-lot-7-csv.zip',
      'TEA-1-lot-7-svg.zip',
      'TEA-1-lot-7.pdf',
    ])
    expect(fileNameFor('pdf', '../..')).toBe('codes.pdf')
    expect(contentTypeFor('csv')).toBe('text/csv; charset=utf-8')
    expect(contentTypeFor('pdf')).toBe('application/pdf')
  })
})
