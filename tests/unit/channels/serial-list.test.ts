import { describe, expect, it } from 'vitest'
import { readSerialList } from '../../../src/channels/serial-list.ts'
import { Keyring } from '../../../src/codes/keyring.ts'
import { formatHuman, parseToken } from '../../../src/codes/token.ts'

const keyring = new Keyring([
  { kid: 'A1', brandId: 1, secret: new Uint8Array(32).fill(7), active: true },
  { kid: 'B2', brandId: 2, secret: new Uint8Array(32).fill(9), active: true },
])
const serialOf = (token: string) => {
  const p = parseToken(token)
  if (p.kind !== 'ok') throw new Error(p.kind)
  return p.serial
}

describe('reading a list of codes to ship', () => {
  it('reads URLs, printed codes in any case, bare serials and print-file CSV rows, once each', () => {
    const [t1, t2, t3] = [keyring.mint(1), keyring.mint(1), keyring.mint(1)]
    const text = [
      'seq,serial,url',
      `1,${formatHuman(t1)},HTTPS://OC.EXAMPLE.COM/C/${t1}`,
      formatHuman(t2).toLowerCase(),
      `  ${serialOf(t3).toLowerCase()}  `,
      `https://oc.example.com/c/${t1.toLowerCase()}`,
      '',
    ].join('\r\n')
    expect(readSerialList(text, keyring, 1)).toEqual({
      kind: 'ok',
      serials: [serialOf(t1), serialOf(t2), serialOf(t3)],
      unrecognised: [],
    })
  })

  it('reports forged codes, other brands’ codes and text that is no code', () => {
    const mine = keyring.mint(1)
    const theirs = keyring.mint(2)
    const forged = `${mine.slice(0, 20)}${mine[20] === '0' ? '1' : '0'}${mine.slice(21)}`
    const outcome = readSerialList([mine, theirs, forged, 'hello'].join('\n'), keyring, 1)
    expect(outcome).toEqual({
      kind: 'ok',
      serials: [serialOf(mine)],
      unrecognised: [theirs, forged, 'hello'],
    })
  })

  it('says when the list is empty or too long', () => {
    expect(readSerialList('\n serial \n\n', keyring, 1)).toEqual({ kind: 'empty' })
    expect(readSerialList('x\n'.repeat(100_001), keyring, 1)).toEqual({ kind: 'too-many', count: 100_001 })
  })
})
