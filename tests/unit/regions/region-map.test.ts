import { describe, expect, it } from 'vitest'
import {
  classBreaks,
  fillFor,
  NO_DATA_FILL,
  RegionMap,
  type RegionMapProps,
  rollUpToCountries,
} from '../../../views/admin/region-map.tsx'

const render = (props: RegionMapProps) => String(RegionMap(props))

/** The fill of a region's path in the rendered SVG. */
function fillOf(html: string, code: string): string | undefined {
  return new RegExp(`<path d="[^"]+" fill="(#[0-9a-f]{6})" data-region="${code}">`).exec(html)?.[1]
}

describe('the region map', () => {
  it('shades a known region by its count and leaves the others without data', () => {
    const html = render({ scope: 'china', title: 'Diverted scans', counts: new Map([['CN-SH', 12]]) })
    expect(fillOf(html, 'CN-SH')).toBe('#b30000')
    expect(fillOf(html, 'CN-GD')).toBe(NO_DATA_FILL)
    expect(html).toContain('<title>Shanghai (上海市): 12</title>')
    expect(html).toContain('<title>Guangdong (广东省): 0</title>')
  })

  it('draws all 31 provinces and Hong Kong, Macau and Taiwan on the China map', () => {
    const html = render({ scope: 'china', title: 'T', counts: new Map() })
    const codes = [...html.matchAll(/<path d="[^"]+" fill="[^"]+" data-region="(CN-[A-Z]{2})">/g)].map(
      (m) => m[1],
    )
    expect(codes).toHaveLength(34)
    expect(codes).toEqual(expect.arrayContaining(['CN-HK', 'CN-MO', 'CN-TW', 'CN-XJ', 'CN-HI']))
  })

  it('ignores codes it does not draw, in the map and in its table', () => {
    const html = render({
      scope: 'china',
      title: 'T',
      counts: new Map([
        ['CN-GD', 3],
        ['XX', 99],
        ['US', 50],
        ['', 7],
      ]),
    })
    expect(html).not.toContain('data-region="XX"')
    expect(html).not.toContain('data-region="US"')
    expect(html).not.toMatch(/[>:] 99<|>99</)
    // The legend scales to the largest count drawn (3), so Guangdong is the darkest class.
    expect(fillOf(html, 'CN-GD')).toBe('#b30000')
    const rows = [...html.matchAll(/<tr data-region="([^"]+)">/g)].map((m) => m[1])
    expect(rows).toEqual(['CN-GD'])
  })

  it('lists the same numbers in a table, largest first, for screen readers and no-JS readers', () => {
    const html = render({
      scope: 'world',
      title: 'Diverted scans by country',
      counts: new Map([
        ['FR', 2],
        ['US', 9],
        ['JP', 0],
      ]),
    })
    expect(html).toContain('role="img"')
    expect(html).toMatch(/aria-label="Diverted scans by country: United States[^"]* 9, France 2"/)
    expect(html).toContain('<caption')
    const rows = [
      ...html.matchAll(/<tr data-region="([^"]+)"><td>([^<]+)<\/td><td class="num">(\d+)<\/td>/g),
    ].map((m) => [m[1], Number(m[3])])
    expect(rows).toEqual([
      ['US', 9],
      ['FR', 2],
    ])
  })

  it('says so when there is nothing to show', () => {
    const html = render({ scope: 'china', title: 'Nothing', counts: new Map() })
    expect(html).toContain('aria-label="Nothing: no data"')
    expect(html).toContain('Nothing to show.')
    expect(html).toContain('No data')
  })

  it('draws points as dots with their label as tooltip, where they are', () => {
    const html = render({
      scope: 'china',
      title: 'T',
      counts: new Map(),
      points: [
        { lon: 121.47, lat: 31.23, label: 'Shanghai <GPS>' },
        { lon: 87.6, lat: 43.8, label: 'Ürümqi' },
      ],
    })
    const dots = [...html.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="5" data-point="">/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ])
    expect(dots).toHaveLength(2)
    // Shanghai is east and south of Ürümqi.
    expect(dots[0]![0]!).toBeGreaterThan(dots[1]![0]!)
    expect(dots[0]![1]!).toBeGreaterThan(dots[1]![1]!)
    expect(html).toContain('<title>Shanghai &lt;GPS&gt;</title>')
  })

  it('outlines the regions asked for', () => {
    const html = render({ scope: 'china', title: 'T', counts: new Map(), outlined: ['CN-GD', 'ZZ'] })
    expect(html).toContain('data-outline="CN-GD"')
    expect(html).not.toContain('data-outline="ZZ"')
  })

  it('stays small: the China map under 150 KB and the world map under 250 KB', () => {
    const china = render({ scope: 'china', title: 'T', counts: new Map([['CN-GD', 1]]) })
    const world = render({ scope: 'world', title: 'T', counts: new Map([['CN', 1]]) })
    expect(china.length).toBeLessThan(150_000)
    expect(world.length).toBeLessThan(250_000)
    // Macau is smaller than a unit of the drawing and still gets a shape to hover.
    expect(world).toMatch(/<path d="M-?\d+ -?\d+[^"]*" fill="[^"]+" data-region="MO">/)
  })

  it('sets width and a proportional height, and scales with the viewBox', () => {
    const html = render({ scope: 'china', title: 'T', counts: new Map(), width: 320 })
    const [, vw, vh] = /viewBox="0 0 (\d+) (\d+)"/.exec(html)!
    const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(html)!
    expect(Number(w)).toBe(320)
    expect(Number(h)).toBe(Math.round((320 * Number(vh)) / Number(vw)))
  })
})

describe('the legend classes', () => {
  it('gives one class per value for small counts and five even classes for large ones', () => {
    expect(classBreaks(0)).toEqual([])
    expect(classBreaks(3)).toEqual([1, 2, 3])
    expect(classBreaks(100)).toEqual([20, 40, 60, 80, 100])
    expect(classBreaks(7)).toEqual([2, 3, 5, 6, 7])
  })

  it('colours zero as no data, and the largest count as the darkest class', () => {
    const breaks = classBreaks(100)
    expect(fillFor(0, breaks)).toBe(NO_DATA_FILL)
    expect(fillFor(undefined, breaks)).toBe(NO_DATA_FILL)
    expect(fillFor(100, breaks)).toBe('#b30000')
    expect(fillFor(1, breaks)).toBe('#fdd49e')
    expect(fillFor(1, classBreaks(1))).toBe('#b30000')
  })
})

describe('rolling provinces up into countries', () => {
  it('adds Chinese provinces into China and keeps Hong Kong as Natural Earth counts it', () => {
    const out = rollUpToCountries(
      new Map([
        ['CN-GD', 2],
        ['CN-SH', 1],
        ['CN-HK', 4],
        ['US', 5],
        ['nowhere', 3],
      ]),
    )
    expect(Object.fromEntries(out)).toEqual({ CN: 3, HK: 4, US: 5 })
  })
})
