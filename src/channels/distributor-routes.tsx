import { type Context, Hono } from 'hono'
import {
  DistributorFormPage,
  type DistributorFormValues,
  DistributorList,
  type DistributorListView,
  DistributorPage,
  DistributorsPage,
} from '../../views/admin/channels-pages.tsx'
import { createNotices } from '../admin-notice.ts'
import type { AppDeps, AppEnv, SignedInStaff } from '../app-deps.ts'
import { wantsFragment } from '../htmx-request.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { brandRegionCode, listBrandRegions } from './brand-region-store.ts'
import { DistributorForm, DistributorQuery, ManagersForm } from './channel-input.ts'
import { type ChannelScope, channelScopeOf } from './channel-scope.ts'
import {
  createDistributor,
  findDistributor,
  listChannelManagers,
  listDistributors,
  managersOf,
  regionCodesOf,
  setDistributorManagers,
  updateDistributor,
} from './distributor-store.ts'
import { describeRegions, type RegionOption, regionOptionsOf } from './region-catalogue.ts'
import { listShipments } from './shipment-store.ts'

/** Shipments shown on a distributor's page before "all shipments →". */
const RECENT_SHIPMENTS = 10

export const actorOf = (s: SignedInStaff) => ({ staffId: s.staffId, label: s.email })
export const scopeOf = (deps: AppDeps, s: SignedInStaff) => channelScopeOf(deps.db, s)

/**
 * The region choices a staff member may pick: every shipped region, and the brand's own regions
 * that their scope sees (a channel manager sees those of their distributors; owners all).
 */
export function regionChoices(deps: AppDeps, s: SignedInStaff, scope: ChannelScope): RegionOption[] {
  const own = listBrandRegions(deps.db, s.brandId)
  return regionOptionsOf(scope.all ? own : own.filter((r) => scope.seesRegion(brandRegionCode(r.id))))
}

/** Distributors: list and search, create, edit, sales regions, channel-manager assignments. */
export function createDistributorRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  function listView(c: Context<AppEnv>, s: SignedInStaff, scope: ChannelScope): DistributorListView {
    const query = DistributorQuery.parse({
      q: c.req.query('q'),
      status: c.req.query('status') || undefined,
      page: c.req.query('page'),
    })
    const page = listDistributors(s.bdb, scope, query)
    const names = new Map(
      regionOptionsOf(listBrandRegions(deps.db, s.brandId)).map((o) => [o.code, o.nameZh]),
    )
    return {
      ...page,
      query: { ...query, page: page.page },
      regionName: (code) => names.get(code) ?? code,
      scoped: !scope.all,
    }
  }

  function renderDistributor(
    c: Context<AppEnv>,
    id: number,
    extra: { notice?: string; errors?: string[] } = {},
    status: 200 | 422 = 200,
  ) {
    const s = c.get('staff')
    const scope = scopeOf(deps, s)
    const distributor = findDistributor(s.bdb, scope, id)
    if (!distributor) return c.notFound()
    const options = regionOptionsOf(listBrandRegions(deps.db, s.brandId))
    const shipments = listShipments(s.bdb, scope, { distributorId: id, limit: RECENT_SHIPMENTS })
    return c.html(
      <DistributorPage
        staff={staffView(s)}
        distributor={distributor}
        regions={describeRegions(regionCodesOf(s.bdb, [id]).get(id) ?? [], options)}
        managers={managersOf(s.bdb, id)}
        assignable={can(s.role, 'channels.assign') ? listChannelManagers(s.bdb) : undefined}
        canManage={can(s.role, 'distributors.manage')}
        canShip={can(s.role, 'shipments.create')}
        shipments={shipments.rows}
        moreShipments={shipments.nextBefore !== undefined}
        notice={extra.notice ?? notices.read(c)}
        errors={extra.errors}
      />,
      status,
    )
  }

  /** Validates the form and its region codes against what this staff member may choose. */
  async function readForm(c: Context<AppEnv>, s: SignedInStaff, scope: ChannelScope) {
    const body = await c.req.parseBody({ all: true })
    const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined)
    const regions = ([] as unknown[])
      .concat(body.regions ?? [])
      .filter((r): r is string => typeof r === 'string')
    const values: DistributorFormValues = {
      name: text('name'),
      code: text('code'),
      contactName: text('contactName'),
      contactPhone: text('contactPhone'),
      contactEmail: text('contactEmail'),
      status: text('status'),
      notes: text('notes'),
      regions,
    }
    const options = regionChoices(deps, s, scope)
    const parsed = DistributorForm.safeParse({ ...values, regions })
    if (!parsed.success) return { values, options, errors: issuesOf(parsed.error) }
    const known = new Set(options.map((o) => o.code))
    const unknown = [...new Set(parsed.data.regions)].filter((r) => !known.has(r))
    if (unknown.length > 0) {
      const label = unknown.slice(0, 5).join(', ')
      return { values, options, errors: [`Unknown sales region ${label}: choose regions from the list.`] }
    }
    return { values, options, input: { ...parsed.data, regions: [...new Set(parsed.data.regions)] } }
  }

  return new Hono<AppEnv>()
    .get('/distributors', requireRole('channels.read'), (c) => {
      const s = c.get('staff')
      const list = listView(c, s, scopeOf(deps, s))
      c.header('Vary', 'HX-Request')
      if (wantsFragment(c)) return c.html(<DistributorList {...list} />)
      return c.html(
        <DistributorsPage
          staff={staffView(s)}
          list={list}
          canManage={can(s.role, 'distributors.manage')}
          notice={notices.read(c)}
        />,
      )
    })
    .get('/distributors/new', requireRole('distributors.manage'), (c) => {
      const s = c.get('staff')
      return c.html(
        <DistributorFormPage
          staff={staffView(s)}
          values={{ status: 'active' }}
          regionOptions={regionChoices(deps, s, scopeOf(deps, s))}
        />,
      )
    })
    .post('/distributors', requireRole('distributors.manage'), async (c) => {
      const s = c.get('staff')
      const scope = scopeOf(deps, s)
      const form = await readForm(c, s, scope)
      const fail = (errors: string[]) =>
        c.html(
          <DistributorFormPage
            staff={staffView(s)}
            values={form.values}
            regionOptions={form.options}
            errors={errors}
          />,
          422,
        )
      if (!form.input) return fail(form.errors ?? [])
      // A channel manager who adds a distributor looks after it; an owner assigns managers later.
      const assignTo = s.role === 'channel_manager' ? s.staffId : undefined
      const outcome = createDistributor(s.bdb, actorOf(s), form.input, deps.clock.now(), assignTo)
      if (outcome.kind !== 'saved')
        return fail([`Another distributor of your brand already has the code ${form.input.code}.`])
      return c.redirect(
        notices.href(
          c,
          `/admin/distributors/${outcome.distributor.id}`,
          `Distributor ${outcome.distributor.code} saved.`,
        ),
        303,
      )
    })
    .get('/distributors/:id{[0-9]+}', requireRole('channels.read'), (c) =>
      renderDistributor(c, Number(c.req.param('id'))),
    )
    .get('/distributors/:id{[0-9]+}/edit', requireRole('distributors.manage'), (c) => {
      const s = c.get('staff')
      const scope = scopeOf(deps, s)
      const id = Number(c.req.param('id'))
      const d = findDistributor(s.bdb, scope, id)
      if (!d) return c.notFound()
      const values: DistributorFormValues = {
        name: d.name,
        code: d.code,
        contactName: d.contactName ?? '',
        contactPhone: d.contactPhone ?? '',
        contactEmail: d.contactEmail ?? '',
        status: d.status,
        notes: d.notes ?? '',
        regions: regionCodesOf(s.bdb, [id]).get(id) ?? [],
      }
      return c.html(
        <DistributorFormPage
          staff={staffView(s)}
          distributorId={id}
          values={values}
          regionOptions={regionChoices(deps, s, scope)}
        />,
      )
    })
    .post('/distributors/:id{[0-9]+}', requireRole('distributors.manage'), async (c) => {
      const s = c.get('staff')
      const scope = scopeOf(deps, s)
      const id = Number(c.req.param('id'))
      // Out of scope answers exactly like a missing id, before the form is even looked at.
      if (!findDistributor(s.bdb, scope, id)) return c.notFound()
      const form = await readForm(c, s, scope)
      const fail = (errors: string[]) =>
        c.html(
          <DistributorFormPage
            staff={staffView(s)}
            distributorId={id}
            values={form.values}
            regionOptions={form.options}
            errors={errors}
          />,
          422,
        )
      if (!form.input) return fail(form.errors ?? [])
      const outcome = updateDistributor(s.bdb, scope, actorOf(s), id, form.input, deps.clock.now())
      if (outcome.kind === 'not-found') return c.notFound()
      if (outcome.kind === 'code-taken')
        return fail([`Another distributor of your brand already has the code ${form.input.code}.`])
      return c.redirect(
        notices.href(c, `/admin/distributors/${id}`, `Distributor ${outcome.distributor.code} saved.`),
        303,
      )
    })
    .post('/distributors/:id{[0-9]+}/managers', requireRole('channels.assign'), async (c) => {
      const s = c.get('staff')
      const id = Number(c.req.param('id'))
      const body = await c.req.parseBody({ all: true })
      const parsed = ManagersForm.safeParse({ staffIds: body.staffIds })
      if (!parsed.success) return renderDistributor(c, id, { errors: issuesOf(parsed.error) }, 422)
      const outcome = setDistributorManagers(s.bdb, actorOf(s), id, parsed.data.staffIds, deps.clock.now())
      if (outcome.kind === 'not-found') return c.notFound()
      if (outcome.kind === 'not-channel-managers')
        return renderDistributor(
          c,
          id,
          { errors: ['Only enabled channel managers of your brand can be assigned to a distributor.'] },
          422,
        )
      const notice =
        outcome.added.length + outcome.removed.length === 0
          ? 'Assignments unchanged.'
          : `Assignments saved (${outcome.added.length} added, ${outcome.removed.length} removed).`
      return c.redirect(notices.href(c, `/admin/distributors/${id}`, notice), 303)
    })
}
