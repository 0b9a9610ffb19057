import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SignalTarget } from '../../codegen/interrupt.ts'
import { outFileProblem, writeFileAtomically } from '../../codegen/out-file.ts'

/** Stands in for `process`: signals are emitted by the test and exit() is recorded, not obeyed. */
function fakeProcess() {
  const emitter = new EventEmitter()
  const exit = vi.fn<(status: number) => void>()
  const target: SignalTarget = {
    once: (signal, handler) => emitter.once(signal, handler),
    off: (signal, handler) => emitter.off(signal, handler),
    exit,
  }
  return { target, emitter, exit }
}

describe('writing a print file to --out', () => {
  let dir: string
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-out-'))
  })
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('refuses a directory, a missing folder and a trailing slash before anything is written', () => {
    expect(outFileProblem(dir)).toMatch(/is a directory/)
    expect(outFileProblem(`${path.join(dir, 'codes')}/`)).toMatch(/is a directory/)
    expect(outFileProblem(path.join(dir, 'missing', 'codes.csv'))).toMatch(/does not exist/)
    expect(outFileProblem(path.join(dir, 'codes.csv'))).toBeNull()
  })

  it('renames the complete file into place and stops listening for signals', async () => {
    const proc = fakeProcess()
    const out = path.join(dir, 'codes.csv')
    await writeFileAtomically(out, Readable.from(['seq,serial,url\n', '1,A,B\n']), proc.target)
    expect(fs.readFileSync(out, 'utf8')).toBe('seq,serial,url\n1,A,B\n')
    expect(fs.readdirSync(dir)).toEqual(['codes.csv'])
    expect(proc.emitter.listenerCount('SIGINT') + proc.emitter.listenerCount('SIGTERM')).toBe(0)
  })

  it('leaves no partial file with codes behind when the print file fails halfway', async () => {
    const proc = fakeProcess()
    const source = new PassThrough()
    const out = path.join(dir, 'codes.csv')
    const writing = writeFileAtomically(out, source, proc.target)
    source.write('seq,serial,url\n1,REAL-CODE,HTTPS://OC.EXAMPLE.COM/C/X\n')
    await vi.waitFor(() => expect(fs.statSync(`${out}.partial`).size).toBeGreaterThan(0))
    source.destroy(new Error('disk full'))
    await expect(writing).rejects.toThrow('disk full')
    expect(fs.readdirSync(dir)).toEqual([])
    expect(proc.emitter.listenerCount('SIGINT')).toBe(0)
  })

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('removes the partial file on %s and exits %i', async (signal, status) => {
    const proc = fakeProcess()
    const source = new PassThrough()
    const out = path.join(dir, 'codes.csv')
    const writing = writeFileAtomically(out, source, proc.target).catch(() => 'stopped')
    source.write('seq,serial,url\n1,REAL-CODE,HTTPS://OC.EXAMPLE.COM/C/X\n')
    await vi.waitFor(() => expect(fs.statSync(`${out}.partial`).size).toBeGreaterThan(0))
    proc.emitter.emit(signal)
    expect(fs.existsSync(`${out}.partial`)).toBe(false)
    expect(proc.exit).toHaveBeenCalledWith(status)
    source.destroy(new Error('exited'))
    expect(await writing).toBe('stopped')
    expect(fs.readdirSync(dir)).toEqual([])
  })
})
