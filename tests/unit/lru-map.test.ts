import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LruMap } from '../../src/lru-map.ts'

type Op = { kind: 'get' | 'set' | 'delete'; key: number; value: number }

describe('LruMap', () => {
  it('behaves like a list of keys ordered by last use, cut to its size', () => {
    const op = fc.record({
      kind: fc.constantFrom<Op['kind']>('get', 'set', 'delete'),
      key: fc.integer({ min: 0, max: 6 }),
      value: fc.integer(),
    })
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const lru = new LruMap<number, number>(max)
        // The model: [key, value] pairs, least recently used first.
        let model: [number, number][] = []
        for (const { kind, key, value } of ops) {
          const found = model.find(([k]) => k === key)
          if (kind === 'get') {
            expect(lru.get(key)).toBe(found?.[1])
            if (found) model = [...model.filter(([k]) => k !== key), found]
          } else if (kind === 'set') {
            lru.set(key, value)
            model = [...model.filter(([k]) => k !== key), [key, value] as [number, number]].slice(-max)
          } else {
            expect(lru.delete(key)).toBe(found !== undefined)
            model = model.filter(([k]) => k !== key)
          }
          expect(lru.size).toBe(model.length)
        }
        for (const [k, v] of model) expect(lru.get(k)).toBe(v)
      }),
    )
  })

  it('refuses a size under one', () => {
    expect(() => new LruMap(0)).toThrow(RangeError)
  })
})
