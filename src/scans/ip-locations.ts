import fs from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parse } from 'csv-parse'
import { ConfigError } from '../config.ts'

/** Where an address is, as the file says: WGS-84 and, when the file gives one, a radius in km. */
export type IpLocation = { lat: number; lon: number; radiusKm: number | null }

/** The offline IP location database, in memory, looked up by binary search. */
export type IpLocations = {
  /** The location of an address ('203.0.113.7', '2408:8000::1', '::ffff:1.2.3.4'), if a range holds it. */
  lookup(ip: string): IpLocation | undefined
  size: { v4: number; v6: number }
}

const DBIP_COLUMNS = 8
/** The same for both reads of a file, so that they count its records alike (lineOfRecord). */
const PARSE_OPTIONS = { relax_column_count: true, trim: true, skip_empty_lines: true } as const
const MAX_RADIUS_KM = 20_000

/**
 * Reads IP_LOCATIONS_FILE once at start: a CSV of IP ranges with coordinates, either DB-IP's
 * "IP to City Lite" as downloaded (no header; ip_start, ip_end, continent, country, stateprov,
 * city, latitude, longitude; IPv4 and IPv6 rows) or our own `ip_start,ip_end,latitude,longitude
 * [,radius_km]` (a header row is allowed). Ranges must be sorted and must not overlap within each
 * family, as DB-IP ships them. Anything else stops the start: a ConfigError names the line and
 * what is wrong with it.
 *
 * Ranges are kept in typed arrays, not objects (DB-IP's ~4M rows would be ~1 GB of objects):
 * IPv4 as Uint32 starts and ends, IPv6 as four Uint32 words each, coordinates as Float32 (within a
 * metre; read back to 4 decimals, ~11 m, far inside an IP location's tens of km).
 *
 * @example
 * const ips = await loadIpLocations('/srv/dbip-city-lite-2026-11.csv')
 * ips.lookup('101.80.0.1') // { lat: 31.2222, lon: 121.458, radiusKm: null }
 */
export async function loadIpLocations(file: string): Promise<IpLocations> {
  const fail = (line: number | null, why: string): never => {
    throw new ConfigError(`IP_LOCATIONS_FILE ${file}: ${line === null ? '' : `line ${line}: `}${why}`)
  }
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(file)
  } catch (err) {
    return fail(null, `cannot be read (${(err as Error).message})`)
  }
  const v4 = new RangeTable(1)
  const v6 = new RangeTable(4)
  const readRow = rowReader(v4, v6)
  // Without `info` csv-parse reads DB-IP's file twice as fast (measured: 10 s instead of 20 for 4M
  // rows), so rows are counted here and a refused row's line is looked up again (lineOfRecord).
  // pipeline() carries a read error (a directory: EISDIR) to the catch below, which .pipe() drops.
  let index = 0
  try {
    await pipeline(
      handle.createReadStream({ highWaterMark: 1 << 20 }),
      parse(PARSE_OPTIONS),
      new Writable({
        objectMode: true,
        write(record: string[], _encoding, done) {
          try {
            readRow(record, index++)
            done()
          } catch (err) {
            done(err as Error)
          }
        },
      }),
    )
  } catch (err) {
    if ((err as NodeJS.ErrnoException).syscall)
      return fail(null, `cannot be read (${(err as Error).message})`)
    if (err instanceof RowProblem) {
      const lineOf = (i: number) => lineOfRecord(file, i)
      const line = await lineOf(err.index)
      return fail(line, typeof err.why === 'string' ? err.why : await err.why(lineOf))
    }
    // csv-parse's own errors already say where ("… at line 3").
    return fail((err as { lines?: number }).lines ?? null, (err as Error).message)
  } finally {
    await handle.close()
  }
  if (v4.n + v6.n === 0) fail(null, 'has no IP ranges')
  return lookupOver(v4.done(), v6.done())
}

/**
 * The database over the finished tables. A function of its own so that its closure holds only
 * them: one inside loadIpLocations would share that scope's context, which holds the row reader
 * and through it the growing arrays (measured: 236 MB kept instead of 92 for 4.2M rows).
 */
function lookupOver(v4Table: FinishedTable, v6Table: FinishedTable): IpLocations {
  const probe = new Uint32Array(4)
  return {
    size: { v4: v4Table.n, v6: v6Table.n },
    lookup(ip) {
      const family = parseAddress(ip, probe)
      if (family === 6 && probe[0] === 0 && probe[1] === 0 && probe[2] === 0xffff) {
        probe[0] = probe[3]!
        return v4Table.find(probe)
      }
      if (family === 4) return v4Table.find(probe)
      if (family === 6) return v6Table.find(probe)
      return undefined
    },
  }
}

type FinishedTable = ReturnType<RangeTable['done']>

/** A row the file may not have: its record index, and why (which may name another row's line). */
class RowProblem extends Error {
  constructor(
    readonly index: number,
    readonly why: string | ((lineOf: (index: number) => Promise<number>) => Promise<string>),
  ) {
    super(typeof why === 'string' ? why : 'row problem')
  }
}

/** The line a record (counted from 0, blank lines skipped) ends on: a second, slower read with `info`. */
async function lineOfRecord(file: string, index: number): Promise<number> {
  const source = fs.createReadStream(file)
  const parser = parse({ ...PARSE_OPTIONS, info: true, to: index + 1 })
  source.on('error', (err) => parser.destroy(err))
  source.pipe(parser)
  let line = 0
  for await (const r of parser as AsyncIterable<{ info: { lines: number } }>) line = r.info.lines
  return line
}

/** Checks one record and adds it to its family's table; throws a RowProblem for a bad one. */
function rowReader(v4: RangeTable, v6: RangeTable) {
  let layout: { columns: string; firstIndex: number; lat: number } | undefined
  const start = new Uint32Array(4)
  const end = new Uint32Array(4)
  return (record: string[], index: number) => {
    const fail = (why: RowProblem['why']): never => {
      throw new RowProblem(index, why)
    }
    const count = record.length
    if (!layout) {
      if (count === DBIP_COLUMNS) layout = { columns: '8 (DB-IP)', firstIndex: index, lat: 6 }
      else if (count === 4 || count === 5) layout = { columns: '4 or 5', firstIndex: index, lat: 2 }
      else
        fail(
          `${count} columns: expected 8 (DB-IP IP to City Lite: ip_start, ip_end, continent, country, stateprov, city, latitude, longitude) or 4–5 (ip_start, ip_end, latitude, longitude[, radius_km]); DB-IP's IP to Country file has no coordinates, use IP to City`,
        )
      if (record[0] === 'ip_start' && layout?.lat === 2) return
    }
    const l = layout!
    if (l.lat === 6 ? count !== DBIP_COLUMNS : count !== 4 && count !== 5)
      fail(
        async (lineOf) =>
          `${count} columns, but line ${await lineOf(l.firstIndex)} has ${l.columns}: every row follows the first row's layout`,
      )
    const [from = '', to = ''] = record
    const family = parseAddress(from, start)
    if (!family) fail(`ip_start "${from}" is not an IP address`)
    const endFamily = parseAddress(to, end)
    if (!endFamily) fail(`ip_end "${to}" is not an IP address`)
    if (family !== endFamily) fail(`${from}–${to} is one IPv4 and one IPv6 address`)
    const lat = coordinate(record[l.lat]!, 'latitude', 90)
    if (typeof lat === 'string') fail(lat)
    const lon = coordinate(record[l.lat + 1]!, 'longitude', 180)
    if (typeof lon === 'string') fail(lon)
    // DB-IP marks reserved and unknown ranges (private networks, loopback, carrier NAT) as
    // country ZZ at 0, 0: they locate nobody, and behind a proxy every scan would land there.
    if (l.lat === 6 && (record[3] === 'ZZ' || (lat === 0 && lon === 0))) return
    let radiusKm = Number.NaN
    const radius = l.lat === 2 ? (record[4] ?? '') : ''
    if (radius !== '') {
      radiusKm = Number(radius)
      if (!(radiusKm > 0 && radiusKm <= MAX_RADIUS_KM))
        fail(`radius_km ${radius} is not a number of km above 0 and up to ${MAX_RADIUS_KM}`)
    }
    const problem = (family === 4 ? v4 : v6).push(start, end, lat as number, lon as number, radiusKm, index)
    if (problem === 'reversed') fail(`${from}–${to} ends before it starts`)
    if (typeof problem === 'number')
      fail(
        async (lineOf) =>
          `${from}–${to} starts at or before the end of the range on line ${await lineOf(problem)}: ranges must be sorted and must not overlap`,
      )
  }
}

function coordinate(field: string, name: string, limit: number): number | string {
  const value = field === '' ? Number.NaN : Number(field)
  if (!Number.isFinite(value)) return `${name} "${field}" is not a number`
  if (value < -limit || value > limit) return `${name} ${field} is outside -${limit}…${limit}`
  return value
}

/**
 * Ranges of one address family in growing typed arrays: `width` Uint32 words an address (1 for
 * IPv4, 4 for IPv6, most significant first), so comparing two is comparing words in order.
 */
class RangeTable {
  n = 0
  private cap = 1024
  private starts: Uint32Array
  private ends: Uint32Array
  private lats = new Float32Array(this.cap)
  private lons = new Float32Array(this.cap)
  private radii: Float32Array | null = null
  private lastIndex = 0

  constructor(private readonly width: number) {
    this.starts = new Uint32Array(this.cap * width)
    this.ends = new Uint32Array(this.cap * width)
  }

  /** Adds a range; 'reversed', or the record index of the range it overlaps or follows, if it cannot. */
  push(start: Uint32Array, end: Uint32Array, lat: number, lon: number, radiusKm: number, index: number) {
    const w = this.width
    if (compare(start, 0, end, 0, w) > 0) return 'reversed'
    if (this.n > 0 && compare(start, 0, this.ends, (this.n - 1) * w, w) <= 0) return this.lastIndex
    if (this.n === this.cap) this.grow()
    this.starts.set(start.subarray(0, w), this.n * w)
    this.ends.set(end.subarray(0, w), this.n * w)
    this.lats[this.n] = lat
    this.lons[this.n] = lon
    if (!Number.isNaN(radiusKm)) {
      this.radii ??= new Float32Array(this.cap).fill(Number.NaN)
      this.radii[this.n] = radiusKm
    } else if (this.radii) this.radii[this.n] = Number.NaN
    this.n++
    this.lastIndex = index
    return undefined
  }

  private grow() {
    this.cap *= 2
    const more = <T extends Uint32Array | Float32Array>(a: T, size: number, fill = 0): T => {
      const b = new (a.constructor as new (n: number) => T)(size)
      if (fill !== 0) b.fill(fill)
      b.set(a)
      return b
    }
    this.starts = more(this.starts, this.cap * this.width)
    this.ends = more(this.ends, this.cap * this.width)
    this.lats = more(this.lats, this.cap)
    this.lons = more(this.lons, this.cap)
    if (this.radii) this.radii = more(this.radii, this.cap, Number.NaN)
  }

  /** The table trimmed to its rows (slice copies: the spare capacity is freed). */
  done() {
    const { n, width: w } = this
    const starts = this.starts.slice(0, n * w)
    const ends = this.ends.slice(0, n * w)
    const lats = this.lats.slice(0, n)
    const lons = this.lons.slice(0, n)
    const radii = this.radii?.slice(0, n) ?? null
    return {
      n,
      /** The last range starting at or before the address, if the address is inside it. */
      find(ip: Uint32Array): IpLocation | undefined {
        let lo = 0
        let hi = n - 1
        let at = -1
        while (lo <= hi) {
          const mid = (lo + hi) >>> 1
          if (compare(starts, mid * w, ip, 0, w) <= 0) {
            at = mid
            lo = mid + 1
          } else hi = mid - 1
        }
        if (at < 0 || compare(ends, at * w, ip, 0, w) < 0) return undefined
        const radius = radii ? radii[at]! : Number.NaN
        return {
          lat: round4(lats[at]!),
          lon: round4(lons[at]!),
          radiusKm: Number.isNaN(radius) ? null : round4(radius),
        }
      },
    }
  }
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000

function compare(a: Uint32Array, ai: number, b: Uint32Array, bi: number, width: number): number {
  for (let i = 0; i < width; i++) {
    const d = a[ai + i]! - b[bi + i]!
    if (d !== 0) return d
  }
  return 0
}

/**
 * Parses an IPv4 address into out[0], or an IPv6 address into out[0..3] (most significant word
 * first); answers 4, 6, or 0 for anything else. By hand: this runs for each of millions of rows.
 */
export function parseAddress(s: string, out: Uint32Array): 0 | 4 | 6 {
  if (s.includes(':')) return parseV6(s, out) ? 6 : 0
  const v = parseV4(s, 0, s.length)
  if (v < 0) return 0
  out[0] = v
  return 4
}

function parseV4(s: string, from: number, to: number): number {
  let value = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1
      value = value * 256 + part
      part = 0
      digits = 0
      dots++
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48)
      if (++digits > 3 || part > 255) return -1
    } else return -1
  }
  if (dots !== 3 || digits === 0) return -1
  return value * 256 + part
}

const groups = new Uint16Array(8)

function parseV6(s: string, out: Uint32Array): boolean {
  const gap = s.indexOf('::')
  if (gap !== -1 && s.indexOf('::', gap + 1) !== -1) return false
  const head = gap === -1 ? s : s.slice(0, gap)
  const tail = gap === -1 ? '' : s.slice(gap + 2)
  const headParts = head === '' ? [] : head.split(':')
  const tailParts = tail === '' ? [] : tail.split(':')
  const parts = gap === -1 ? headParts : tailParts
  // An IPv4 suffix (::ffff:1.2.3.4) counts as two groups.
  let v4 = -1
  const last = parts[parts.length - 1]
  if (last?.includes('.')) {
    v4 = parseV4(last, 0, last.length)
    if (v4 < 0) return false
    parts.pop()
  }
  const headCount = headParts.length
  const count = headCount + (gap === -1 ? 0 : tailParts.length) + (v4 >= 0 ? 2 : 0)
  if (gap === -1 ? count !== 8 : count > 7) return false
  groups.fill(0)
  const put = (list: string[], at: number) => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!
      if (g.length < 1 || g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return false
      groups[at + i] = Number.parseInt(g, 16)
    }
    return true
  }
  if (gap === -1) {
    if (!put(headParts, 0)) return false
  } else {
    if (!put(headParts, 0)) return false
    if (!put(tailParts, 8 - tailParts.length - (v4 >= 0 ? 2 : 0))) return false
  }
  if (v4 >= 0) {
    groups[6] = v4 >>> 16
    groups[7] = v4 & 0xffff
  }
  for (let i = 0; i < 4; i++) out[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0
  return true
}
