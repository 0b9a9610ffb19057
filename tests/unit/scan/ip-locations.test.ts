import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/config.ts'
import { loadIpLocations } from '../../../src/scans/ip-locations.ts'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oc-iploc-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

let n = 0
function fileWith(text: string): string {
  const file = path.join(dir, `f${n++}.csv`)
  fs.writeFileSync(file, text)
  return file
}

/** The message loadIpLocations stops the start with for this file's text. */
async function refusal(text: string): Promise<string> {
  const err = await loadIpLocations(fileWith(text)).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ConfigError)
  return (err as ConfigError).message
}

// Rows as DB-IP's "IP to City Lite" CSV has them: no header, city names quoted when they hold a comma.
const DBIP = [
  '1.0.0.0,1.0.0.255,OC,AU,Queensland,"South Brisbane",-27.4767,153.017',
  '1.0.1.0,1.0.3.255,AS,CN,Fujian,Fuzhou,26.0614,119.306',
  '1.0.4.0,1.0.7.255,OC,AU,Victoria,"Melbourne, Docklands",-37.8159,144.946',
  '101.80.0.0,101.95.255.255,AS,CN,Shanghai,Shanghai,31.2222,121.458',
  '255.255.255.0,255.255.255.255,ZZ,ZZ,,,0,0',
  '2001:200::,2001:200:ff:ffff:ffff:ffff:ffff:ffff,AS,JP,Tokyo,Tokyo,35.6895,139.692',
  '2408:8000::,2408:8000:ffff:ffff:ffff:ffff:ffff:ffff,AS,CN,Guangdong,Guangzhou,23.1291,113.264',
  'ffff:ffff:ffff:ffff::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,ZZ,ZZ,,,0,0',
].join('\n')

describe('the offline IP location database (IP_LOCATIONS_FILE)', () => {
  it("reads DB-IP's IP to City Lite CSV as downloaded, IPv4 and IPv6, up to both ends of each range", async () => {
    const ips = await loadIpLocations(fileWith(`${DBIP}\n`))
    // DB-IP's reserved and unknown ranges (country ZZ, at 0, 0) locate nobody: they are left out.
    expect(ips.size).toEqual({ v4: 4, v6: 2 })
    expect(ips.lookup('1.0.0.0')).toEqual({ lat: -27.4767, lon: 153.017, radiusKm: null })
    expect(ips.lookup('1.0.0.255')).toEqual({ lat: -27.4767, lon: 153.017, radiusKm: null })
    expect(ips.lookup('1.0.1.0')?.lat).toBe(26.0614)
    expect(ips.lookup('1.0.6.9')?.lon).toBe(144.946)
    expect(ips.lookup('101.88.1.2')).toEqual({ lat: 31.2222, lon: 121.458, radiusKm: null })
    expect(ips.lookup('255.255.255.255')).toBeUndefined()
    // Between ranges, before the first and after the last: not in the database.
    expect(ips.lookup('1.0.8.0')).toBeUndefined()
    expect(ips.lookup('0.255.255.255')).toBeUndefined()
    expect(ips.lookup('101.96.0.0')).toBeUndefined()
    expect(ips.lookup('2001:200::')?.lat).toBe(35.6895)
    expect(ips.lookup('2001:200:ff:ffff:ffff:ffff:ffff:ffff')?.lat).toBe(35.6895)
    expect(ips.lookup('2001:200:100::')).toBeUndefined()
    expect(ips.lookup('2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff')).toBeUndefined()
    expect(ips.lookup('2408:8000:1234::5')?.lon).toBe(113.264)
    expect(ips.lookup('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBeUndefined()
  })

  it('looks an IPv4 client up as such when the socket reports it IPv4-mapped, and ignores what is not an address', async () => {
    const ips = await loadIpLocations(fileWith(DBIP))
    expect(ips.lookup('::ffff:101.80.0.1')?.lat).toBe(31.2222)
    expect(ips.lookup('unknown')).toBeUndefined()
    expect(ips.lookup('')).toBeUndefined()
    expect(ips.lookup('1.0.0')).toBeUndefined()
    expect(ips.lookup('1.0.0.256')).toBeUndefined()
    expect(ips.lookup('2001:200::1::2')).toBeUndefined()
  })

  it('reads the minimal own layout, with an optional header and radius in km', async () => {
    const ips = await loadIpLocations(
      fileWith(
        [
          'ip_start,ip_end,latitude,longitude,radius_km',
          '10.0.0.0,10.0.0.255,31.23,121.47,25',
          '10.0.1.0,10.0.1.255,23.13,113.26',
          '10.0.2.0,10.0.2.255,39.9,116.4,',
          'fd00::,fd00::ffff,22.54,114.06,5',
        ].join('\r\n'),
      ),
    )
    expect(ips.size).toEqual({ v4: 3, v6: 1 })
    expect(ips.lookup('10.0.0.7')).toEqual({ lat: 31.23, lon: 121.47, radiusKm: 25 })
    expect(ips.lookup('10.0.1.7')).toEqual({ lat: 23.13, lon: 113.26, radiusKm: null })
    expect(ips.lookup('10.0.2.7')).toEqual({ lat: 39.9, lon: 116.4, radiusKm: null })
    expect(ips.lookup('fd00::abcd')).toEqual({ lat: 22.54, lon: 114.06, radiusKm: 5 })
    expect(ips.lookup('fd00::1:0')).toBeUndefined()
  })

  it('finds every address of a few thousand ranges by binary search, and nothing in the gaps', async () => {
    const rows: string[] = []
    const v6rows: string[] = []
    for (let i = 0; i < 3_000; i++) {
      // /24s with a /24 gap after every third one; coordinates derived from i.
      const a = 20 + Math.floor(i / 256)
      const b = i % 256
      if (i % 4 === 3) continue
      rows.push(`${a}.${b}.0.0,${a}.${b}.255.255,${(i % 180) - 89.5},${(i % 360) - 179.5},${1 + (i % 7)}`)
      v6rows.push(
        `2400:${i.toString(16)}::,2400:${i.toString(16)}:ffff:ffff:ffff:ffff:ffff:ffff,${(i % 180) - 89.5},0`,
      )
    }
    const ips = await loadIpLocations(fileWith([...rows, ...v6rows].join('\n')))
    expect(ips.size).toEqual({ v4: 2_250, v6: 2_250 })
    for (let i = 0; i < 3_000; i++) {
      const a = 20 + Math.floor(i / 256)
      const b = i % 256
      const first = ips.lookup(`${a}.${b}.0.0`)
      const last = ips.lookup(`${a}.${b}.255.255`)
      const v6 = ips.lookup(`2400:${i.toString(16)}:ffff::1`)
      if (i % 4 === 3) {
        expect([first, last, v6]).toEqual([undefined, undefined, undefined])
      } else {
        expect(first).toEqual({ lat: (i % 180) - 89.5, lon: (i % 360) - 179.5, radiusKm: 1 + (i % 7) })
        expect(last).toEqual(first)
        expect(v6?.lat).toBe((i % 180) - 89.5)
      }
    }
  })

  it('refuses a file it cannot read, saying so', async () => {
    expect(await refusal('')).toMatch(/IP_LOCATIONS_FILE .*no IP ranges/)
    const err = await loadIpLocations(path.join(dir, 'missing.csv')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(/IP_LOCATIONS_FILE .*missing\.csv.*cannot be read.*ENOENT/)
    const folder = await loadIpLocations(dir).catch((e: unknown) => e)
    expect(folder).toBeInstanceOf(ConfigError)
    expect((folder as Error).message).toMatch(/IP_LOCATIONS_FILE .*cannot be read.*EISDIR/)
  })

  it('names the right line past blank and whitespace-only lines and spaces around fields', async () => {
    const ok = '1.0.0.0,1.0.0.255, 10 ,20'
    expect(await refusal(`${ok}\n\n   \n1.0.1.0,1.0.1.255,91,20\n`)).toMatch(/line 4: latitude 91/)
    expect(await refusal(`1.0.0.0,1.0.0.255, "10",20\n1.0.1.0,1.0.1.255,91,20\n`)).toMatch(
      /line 2: latitude 91/,
    )
  })

  it('refuses a malformed row, naming its line and what is wrong with it', async () => {
    const ok = '1.0.0.0,1.0.0.255,10,20'
    expect(await refusal(`${ok}\n1.0.1.0,1.0.1.x,10,20\n`)).toMatch(
      /line 2: .*1\.0\.1\.x.* not an IP address/,
    )
    expect(await refusal(`${ok}\n\n1.0.1.0,1.0.1.255,10\n`)).toMatch(/line 3: .*3 columns/)
    expect(await refusal(`${ok}\n1.0.1.0,1.0.1.255,91,20\n`)).toMatch(/line 2: latitude 91 .*-90/)
    expect(await refusal(`${ok}\n1.0.1.0,1.0.1.255,10,-180.5\n`)).toMatch(/line 2: longitude -180\.5 .*-180/)
    expect(await refusal(`${ok}\n1.0.1.0,1.0.1.255,,20\n`)).toMatch(/line 2: latitude .*not a number/)
    expect(await refusal(`${ok}\n1.0.1.0,1.0.1.255,10,20,0\n`)).toMatch(/line 2: radius_km 0/)
    expect(await refusal(`${ok}\n1.0.2.0,1.0.1.255,10,20\n`)).toMatch(/line 2: .*ends before it starts/)
    expect(await refusal(`${ok}\n1.0.1.0,::1,10,20\n`)).toMatch(/line 2: .*one IPv4 and one IPv6/)
    expect(await refusal(`${ok}\n1.0.1.0,"1.0.1.255,10,20\n`)).toMatch(/line 2/)
    expect(await refusal(`${DBIP}\n1.0.1.0,1.0.1.255,10,20\n`)).toMatch(/line 9: 4 columns, but line 1 has 8/)
  })

  it('refuses ranges out of order or overlapping, naming both lines', async () => {
    expect(await refusal('1.0.1.0,1.0.1.255,1,1\n1.0.0.0,1.0.0.255,1,1\n')).toMatch(
      /line 2: .*1\.0\.0\.0.* line 1.*sorted/,
    )
    expect(await refusal('1.0.0.0,1.0.0.255,1,1\n1.0.0.255,1.0.1.255,1,1\n')).toMatch(
      /line 2: .*line 1: ranges must be sorted and must not overlap/,
    )
    expect(await refusal('2001::,2001::ff,1,1\n2001::80,2001::1ff,1,1\n')).toMatch(/line 2: .*line 1/)
  })

  it("explains a file without coordinates (DB-IP's IP to Country) instead of guessing", async () => {
    expect(await refusal('1.0.0.0,1.0.0.255,AU\n')).toMatch(/line 1: 3 columns.*IP to City/)
  })
})
