/**
 * Distinct counts that can be added up over days: "unique scanners in these 90 days" cannot be the
 * sum of each day's unique scanners (the same phone scans on many days), and re-reading 90 days of
 * scans costs about a second per request at a million scans. Each day's rollup therefore stores a
 * small mergeable summary of who it saw:
 *
 * - up to EXACT_LIMIT values, their 53-bit hashes (exact: a hash collision among a few hundred
 *   values has a chance of about 2^-37);
 * - above that, a HyperLogLog sketch of 2^11 registers (2 KiB, about 2.3 % standard error).
 *
 * Merging two summaries gives the summary of the union, so a range's figure is the merge of its
 * days. Small brands therefore get exact figures; big ones get an estimate shown with "≈".
 *
 * @example
 * const a = new DistinctCounter(); a.add('device-1'); a.add('device-2')
 * const b = DistinctCounter.fromJSON(JSON.parse(JSON.stringify(a))); b.add('device-1')
 * a.merge(b); a.count() // 2; a.isExact() // true
 */
export const EXACT_LIMIT = 256
const PRECISION = 11
const REGISTERS = 1 << PRECISION
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS)

/** The stored form: `x` holds exact hashes in base 36, `h` the registers in base64. */
export type DistinctCounterJson = { x: string[] } | { h: string }

export class DistinctCounter {
  #exact: Set<number> | null = new Set()
  #registers: Uint8Array | null = null

  static fromJSON(json: DistinctCounterJson | undefined): DistinctCounter {
    const counter = new DistinctCounter()
    if (!json) return counter
    if ('h' in json) {
      const bytes = Buffer.from(json.h, 'base64')
      if (bytes.length !== REGISTERS)
        throw new Error(`a sketch has ${REGISTERS} registers, got ${bytes.length}`)
      counter.#exact = null
      counter.#registers = new Uint8Array(bytes)
    } else {
      for (const h of json.x) counter.#exact!.add(Number.parseInt(h, 36))
    }
    return counter
  }

  add(value: string): void {
    this.#addHash(hash53(value))
  }

  merge(other: DistinctCounter): void {
    if (other.#exact) {
      for (const h of other.#exact) this.#addHash(h)
      return
    }
    const mine = this.#toSketch()
    const theirs = other.#registers!
    for (let i = 0; i < REGISTERS; i++) if (theirs[i]! > mine[i]!) mine[i] = theirs[i]!
  }

  isExact(): boolean {
    return this.#exact !== null
  }

  count(): number {
    if (this.#exact) return this.#exact.size
    const registers = this.#registers!
    let sum = 0
    let zeros = 0
    for (let i = 0; i < REGISTERS; i++) {
      sum += 2 ** -registers[i]!
      if (registers[i] === 0) zeros++
    }
    const raw = (ALPHA * REGISTERS * REGISTERS) / sum
    // Linear counting is the better estimate while many registers are still empty.
    if (raw <= 2.5 * REGISTERS && zeros > 0) return Math.round(REGISTERS * Math.log(REGISTERS / zeros))
    return Math.round(raw)
  }

  toJSON(): DistinctCounterJson {
    if (this.#exact) return { x: [...this.#exact].map((h) => h.toString(36)) }
    return { h: Buffer.from(this.#registers!).toString('base64') }
  }

  #addHash(h: number): void {
    if (this.#exact) {
      this.#exact.add(h)
      if (this.#exact.size <= EXACT_LIMIT) return
      this.#toSketch()
      return
    }
    addToRegisters(this.#registers!, h)
  }

  #toSketch(): Uint8Array {
    if (this.#registers) return this.#registers
    const registers = new Uint8Array(REGISTERS)
    for (const h of this.#exact!) addToRegisters(registers, h)
    this.#exact = null
    this.#registers = registers
    return registers
  }
}

function addToRegisters(registers: Uint8Array, h: number): void {
  // Low PRECISION bits pick the register; the rank is read from the 32 bits above them.
  const index = h % REGISTERS
  const rest = Math.floor(h / REGISTERS) % 2 ** 32
  const rank = Math.clz32(rest) + 1
  if (rank > registers[index]!) registers[index] = rank
}

/**
 * cyrb53 (public domain): a fast 53-bit string hash with good avalanche, enough for sketches; it
 * is not a cryptographic hash and needs not be, since only counts leave it.
 */
export function hash53(value: string): number {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}
