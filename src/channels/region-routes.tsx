import { type Context, Hono } from 'hono'
import { RegionsPage, type RegionUploadValues } from '../../views/admin/channel-regions-page.tsx'
import { createNotices } from '../admin-notice.ts'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { brandRegionCode, listBrandRegions, saveBrandRegions } from './brand-region-store.ts'
import { RegionUploadForm } from './channel-input.ts'
import { actorOf, scopeOf } from './distributor-routes.tsx'
import { distributorsByRegion } from './distributor-store.ts'
import { MAX_GEOJSON_BYTES, parseRegionUpload, tooLarge } from './geojson-region.ts'
import { shippedRegionOptions } from './region-catalogue.ts'

/** The brand's own regions: list (scoped for channel managers) and an owner's GeoJSON upload. */
export function createRegionRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  function render(
    c: Context<AppEnv>,
    extra: { values?: RegionUploadValues; errors?: string[]; notice?: string } = {},
    status: 200 | 422 = 200,
  ) {
    const s = c.get('staff')
    const scope = scopeOf(deps, s)
    const shipped = shippedRegionOptions()
    const regions = listBrandRegions(deps.db, s.brandId).filter((r) =>
      scope.seesRegion(brandRegionCode(r.id)),
    )
    return c.html(
      <RegionsPage
        staff={staffView(s)}
        regions={regions}
        usedBy={distributorsByRegion(s.bdb, scope)}
        shippedCount={{
          china: shipped.filter((o) => o.group === 'china').length,
          countries: shipped.filter((o) => o.group === 'country').length,
        }}
        canUpload={can(s.role, 'regions.upload')}
        scoped={!scope.all}
        values={extra.values}
        errors={extra.errors}
        notice={extra.notice ?? notices.read(c)}
      />,
      status,
    )
  }

  return new Hono<AppEnv>()
    .get('/regions', requireRole('channels.read'), (c) => render(c))
    .post('/regions', requireRole('regions.upload'), async (c) => {
      const s = c.get('staff')
      const body = await c.req.parseBody()
      const pasted = typeof body.geojson === 'string' ? body.geojson : ''
      const names = RegionUploadForm.safeParse({ nameZh: body.nameZh ?? '', nameEn: body.nameEn ?? '' })
      const values: RegionUploadValues = {
        nameZh: typeof body.nameZh === 'string' ? body.nameZh : '',
        nameEn: typeof body.nameEn === 'string' ? body.nameEn : '',
        // A large paste is not echoed back: the owner still has it.
        geojson: pasted.length <= 64 * 1024 ? pasted : '',
      }
      const fail = (errors: string[]) => render(c, { values, errors }, 422)
      if (!names.success) return fail(names.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`))
      const file = body.file instanceof File && body.file.size > 0 ? body.file : undefined
      if (file && pasted.trim() !== '') return fail(['Upload a file or paste GeoJSON, not both.'])
      // Checked before reading: a file over the limit is refused without parsing it.
      if (file && file.size > MAX_GEOJSON_BYTES) return fail([tooLarge(file.size)])
      const text = file ? await file.text() : pasted
      if (text.trim() === '' && !file) return fail(['Choose a GeoJSON file or paste GeoJSON.'])
      const outcome = parseRegionUpload(text, names.data)
      if (outcome.kind === 'invalid') return fail(outcome.problems)
      const saved = saveBrandRegions(s.bdb, actorOf(s), outcome.regions, deps.clock.now())
      const list = saved.map((r) => `${brandRegionCode(r.id)} ${r.nameZh}`).join(', ')
      const notice = `${saved.length} region${saved.length === 1 ? '' : 's'} uploaded: ${list}. Choose ${saved.length === 1 ? 'it' : 'them'} on a distributor’s page.`
      return c.redirect(notices.href(c, '/admin/regions', notice), 303)
    })
}
