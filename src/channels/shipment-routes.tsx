import { type Context, Hono } from 'hono'
import {
  NewShipmentPage,
  type ShipmentFormValues,
  ShipmentPage,
  ShipmentsPage,
} from '../../views/admin/shipments-pages.tsx'
import { createNotices } from '../admin-notice.ts'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { ShipmentForm, ShipmentQuery } from './channel-input.ts'
import { actorOf, scopeOf } from './distributor-routes.tsx'
import { distributorChoices, findDistributor } from './distributor-store.ts'
import { MAX_SHIPMENT_LIST, readSerialList } from './serial-list.ts'
import {
  createShipment,
  findShipment,
  listShipments,
  type ShipmentTarget,
  shippableBatches,
} from './shipment-store.ts'

/** Unknown lines listed on the page after a list shipment; the rest are counted. */
const UNKNOWN_SHOWN = 100

/** Warehouse-out (出库): the shipments list, one shipment, and the form that ships codes. */
export function createShipmentRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  function renderForm(
    c: Context<AppEnv>,
    values: ShipmentFormValues,
    extra: Omit<Parameters<typeof NewShipmentPage>[0], 'staff' | 'distributors' | 'batches' | 'values'> = {},
    status: 200 | 422 = 200,
  ) {
    const s = c.get('staff')
    return c.html(
      <NewShipmentPage
        staff={staffView(s)}
        distributors={distributorChoices(s.bdb, scopeOf(deps, s))}
        batches={shippableBatches(s.bdb)}
        values={values}
        {...extra}
      />,
      status,
    )
  }

  return new Hono<AppEnv>()
    .get('/shipments', requireRole('channels.read'), (c) => {
      const s = c.get('staff')
      const scope = scopeOf(deps, s)
      const q = ShipmentQuery.parse({
        distributor: c.req.query('distributor'),
        before: c.req.query('before'),
      })
      // Filtering by a distributor outside the scope answers like a distributor that does not exist.
      if (q.distributor && !findDistributor(s.bdb, scope, q.distributor)) return c.notFound()
      const page = listShipments(s.bdb, scope, { distributorId: q.distributor, before: q.before })
      return c.html(
        <ShipmentsPage
          staff={staffView(s)}
          shipments={page.rows}
          nextBefore={page.nextBefore}
          distributors={distributorChoices(s.bdb, scope)}
          distributorId={q.distributor}
          canShip={can(s.role, 'shipments.create')}
          notice={notices.read(c)}
        />,
      )
    })
    .get('/shipments/new', requireRole('shipments.create'), (c) => {
      const distributor = c.req.query('distributor')
      return renderForm(c, {
        distributorId: distributor && /^\d+$/.test(distributor) ? distributor : undefined,
      })
    })
    .get('/shipments/:id{[0-9]+}', requireRole('channels.read'), (c) => {
      const s = c.get('staff')
      const shipment = findShipment(s.bdb, scopeOf(deps, s), Number(c.req.param('id')))
      if (!shipment) return c.notFound()
      return c.html(<ShipmentPage staff={staffView(s)} shipment={shipment} notice={notices.read(c)} />)
    })
    .post('/shipments', requireRole('shipments.create'), async (c) => {
      const s = c.get('staff')
      const body = await c.req.parseBody()
      const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined)
      const values: ShipmentFormValues = {
        distributorId: str('distributorId'),
        kind: str('kind'),
        batchId: str('batchId'),
        from: str('from'),
        to: str('to'),
        serials: str('serials'),
        reason: str('reason'),
        note: str('note'),
      }
      const fail = (errors: string[], extra: Parameters<typeof renderForm>[2] = {}) =>
        renderForm(c, values, { errors, ...extra }, 422)
      const parsed = ShipmentForm.safeParse(values)
      if (!parsed.success) return fail(issuesOf(parsed.error))
      const form = parsed.data
      let target: ShipmentTarget
      let unrecognised: string[] = []
      if (form.kind === 'list') {
        deps.refreshKeys?.()
        const file = body.file instanceof File && body.file.size > 0 ? await body.file.text() : ''
        const list = readSerialList(`${values.serials ?? ''}\n${file}`, deps.keyring, s.brandId)
        if (list.kind === 'empty') return fail(['Paste at least one code or upload a list of codes.'])
        if (list.kind === 'too-many')
          return fail([
            `The list has ${list.count.toLocaleString('en')} lines; at most ${MAX_SHIPMENT_LIST.toLocaleString('en')} codes ship at once. Split the list.`,
          ])
        target = { kind: 'list', serials: list.serials }
        unrecognised = list.unrecognised
        // Shown again (as serials) if the form must ask for a re-bind reason: no need to re-attach the file.
        values.serials = list.serials.join('\n')
      } else if (form.kind === 'range') {
        target = { kind: 'range', batchId: form.batchId!, from: form.from!, to: form.to! }
      } else {
        target = { kind: 'batch', batchId: form.batchId! }
      }
      const outcome = createShipment(
        s.bdb,
        scopeOf(deps, s),
        actorOf(s),
        { distributorId: form.distributorId, target, reason: form.reason ?? null, note: form.note ?? null },
        deps.clock.now(),
      )
      const unknownOf = (serials: string[]) => [...unrecognised, ...serials]
      switch (outcome.kind) {
        case 'distributor-not-found':
          return c.notFound()
        case 'distributor-suspended':
          return fail(['This distributor is suspended: reactivate it before shipping codes to it.'])
        case 'batch-not-found':
          return fail(['Choose one of your batches.'])
        case 'batch-not-ready':
          return fail(['This batch is still being minted; ship it once minting is finished.'])
        case 'bad-range':
          return fail([`Choose codes between #1 and #${outcome.quantity.toLocaleString('en')}.`])
        case 'out-of-scope':
          return fail([
            `${outcome.count.toLocaleString('en')} of these codes are bound to distributors you do not look after. Ask an owner of your brand to re-bind them.`,
          ])
        case 'needs-reason':
          return fail([], { rebind: { count: outcome.rebound, previous: outcome.previous } })
        case 'nothing-to-ship': {
          const unknown = unknownOf(outcome.unknown)
          const parts = [
            outcome.voidedSkipped > 0 ? `${outcome.voidedSkipped.toLocaleString('en')} are voided` : '',
            unknown.length > 0 ? `${unknown.length.toLocaleString('en')} are not codes of your brand` : '',
          ].filter(Boolean)
          return fail(
            [
              `Nothing to ship: none of these codes can be bound${parts.length ? ` (${parts.join(', ')})` : ''}.`,
            ],
            {
              unknown: { total: unknown.length, shown: unknown.slice(0, UNKNOWN_SHOWN) },
            },
          )
        }
        case 'shipped': {
          const o = outcome
          const notice = [
            `Shipment #${o.shipment.id}: ${o.bound.toLocaleString('en')} codes bound`,
            `${o.activated.toLocaleString('en')} activated`,
            o.rebound > 0 ? `${o.rebound.toLocaleString('en')} re-bound` : '',
            o.voidedSkipped > 0 ? `${o.voidedSkipped.toLocaleString('en')} voided codes skipped` : '',
          ]
            .filter(Boolean)
            .join(', ')
          const unknown = unknownOf(o.unknown)
          if (unknown.length > 0) {
            return renderForm(
              c,
              { distributorId: String(form.distributorId), kind: 'list' },
              {
                notice: `${notice}.`,
                unknown: { total: unknown.length, shown: unknown.slice(0, UNKNOWN_SHOWN) },
              },
            )
          }
          return c.redirect(notices.href(c, `/admin/shipments/${o.shipment.id}`, `${notice}.`), 303)
        }
      }
    })
}
