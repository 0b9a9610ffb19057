import { type BrandRegionRow, brandRegionCode } from './brand-region-store.ts'
import { loadRegions } from './region-resolver.ts'

export type RegionGroup = 'china' | 'country' | 'brand'

/** One choice of the sales-region picker. */
export type RegionOption = { code: string; nameZh: string; nameEn: string; group: RegionGroup }

/** Greater China's special regions follow the mainland provinces in the picker. */
const SPECIAL_REGIONS = ['CN-HK', 'CN-MO', 'CN-TW']

let shipped: RegionOption[] | undefined

/**
 * The shipped regions a distributor can sell in, in picker order: China's provinces (by name),
 * then CN-HK, CN-MO and CN-TW, then the world's countries (by English name).
 *
 * @example
 * shippedRegionOptions()[0] // { code: 'CN-AH', nameZh: '安徽省', nameEn: 'Anhui', group: 'china' }
 */
export function shippedRegionOptions(): RegionOption[] {
  if (!shipped) {
    const regions = loadRegions()
    const byName = (a: { nameEn: string }, b: { nameEn: string }) => a.nameEn.localeCompare(b.nameEn, 'en')
    const provinces = regions
      .filter((r) => r.kind === 'province' && r.country === 'CN' && !SPECIAL_REGIONS.includes(r.code))
      .sort(byName)
    const special = SPECIAL_REGIONS.flatMap((code) => regions.filter((r) => r.code === code))
    const countries = regions.filter((r) => r.kind === 'country').sort(byName)
    shipped = [
      ...[...provinces, ...special].map((r) => option(r, 'china')),
      ...countries.map((r) => option(r, 'country')),
    ]
  }
  return shipped
}

function option(r: { code: string; nameZh: string; nameEn: string }, group: RegionGroup): RegionOption {
  return { code: r.code, nameZh: r.nameZh, nameEn: r.nameEn, group }
}

/** The picker's choices for one brand: the shipped regions, then the brand's own. */
export function regionOptionsOf(brandRegions: readonly BrandRegionRow[]): RegionOption[] {
  return [
    ...shippedRegionOptions(),
    ...brandRegions.map((r) => ({
      code: brandRegionCode(r.id),
      nameZh: r.nameZh,
      nameEn: r.nameEn,
      group: 'brand' as const,
    })),
  ]
}

/**
 * Names for region codes as a distributor page shows them; a code no longer known (a removed
 * brand region) keeps its code as its name rather than disappearing.
 */
export function describeRegions(codes: readonly string[], options: readonly RegionOption[]): RegionOption[] {
  const byCode = new Map(options.map((o) => [o.code, o]))
  return codes.map(
    (code) =>
      byCode.get(code) ?? {
        code,
        nameZh: code,
        nameEn: code,
        group: code.startsWith('X') ? 'brand' : 'country',
      },
  )
}
