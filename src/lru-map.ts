/**
 * A Map that holds at most `maxEntries` keys and forgets the least recently used first: reading
 * (`get`) or writing (`set`) a key makes it the most recent. For in-process memos on hot paths
 * whose size must not grow with traffic.
 *
 * @example
 * const recent = new LruMap<string, number>(2)
 * recent.set('a', 1).set('b', 2)
 * recent.get('a') // 1, now the most recent
 * recent.set('c', 3) // forgets 'b'
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, V>()

  constructor(readonly maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`an LruMap holds at least one entry, got ${maxEntries}`)
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key)
    if (value === undefined) return undefined
    // Re-inserting moves the key to the end of the Map's order: the first key is the oldest.
    this.#entries.delete(key)
    this.#entries.set(key, value)
    return value
  }

  set(key: K, value: V): this {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    return this
  }

  delete(key: K): boolean {
    return this.#entries.delete(key)
  }
}
