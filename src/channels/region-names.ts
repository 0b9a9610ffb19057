import { inArray } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import { brandRegions } from './channel-schema.ts'
import { loadRegions } from './region-resolver.ts'

export type RegionName = { code: string; nameEn: string; nameZh: string }

let shipped: Map<string, RegionName> | undefined

/**
 * Names for region codes as the console shows them: shipped provinces and countries, the brand's
 * own uploaded regions ('X12'), and '' for scans whose place could not be resolved.
 *
 * @example
 * const name = regionNamer(bdb, ['CN-GD', 'X3', ''])
 * name('CN-GD') // { code: 'CN-GD', nameEn: 'Guangdong', nameZh: '广东省' }
 */
export function regionNamer(bdb: BrandDb, codes: Iterable<string>): (code: string) => RegionName {
  shipped ??= new Map(
    loadRegions().map((r) => [r.code, { code: r.code, nameEn: r.nameEn, nameZh: r.nameZh }]),
  )
  const ids = [...new Set(codes)].flatMap((c) => (/^X\d+$/.test(c) ? [Number(c.slice(1))] : []))
  const own = new Map<string, RegionName>()
  if (ids.length > 0) {
    for (const r of bdb.db
      .select({ id: brandRegions.id, nameEn: brandRegions.nameEn, nameZh: brandRegions.nameZh })
      .from(brandRegions)
      .where(bdb.scoped(brandRegions, inArray(brandRegions.id, ids)))
      .all())
      own.set(`X${r.id}`, { code: `X${r.id}`, nameEn: r.nameEn, nameZh: r.nameZh })
  }
  return (code) =>
    code === ''
      ? { code, nameEn: 'Unknown place', nameZh: '未知地点' }
      : (shipped!.get(code) ?? own.get(code) ?? { code, nameEn: code, nameZh: code })
}

/** 'Guangdong (广东省)', or the English name alone when there is no other. */
export function regionLabel(r: RegionName): string {
  return r.nameZh && r.nameZh !== r.nameEn ? `${r.nameEn} (${r.nameZh})` : r.nameEn
}
