import type { Distributor, DistributorListRow, StaffSummary } from '../../src/channels/distributor-store.ts'
import type { RegionOption } from '../../src/channels/region-catalogue.ts'
import type { ShipmentRow } from '../../src/channels/shipment-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'
import { ChannelTabs } from './channel-tabs.tsx'
import { ShipmentsTable } from './shipments-pages.tsx'

export type DistributorQueryView = { q?: string; status?: 'active' | 'suspended'; page: number }

export function distributorsHref(q: DistributorQueryView, page = q.page): string {
  const params = new URLSearchParams()
  if (q.q) params.set('q', q.q)
  if (q.status) params.set('status', q.status)
  if (page > 1) params.set('page', String(page))
  const s = params.toString()
  return s ? `/admin/distributors?${s}` : '/admin/distributors'
}

export type DistributorListView = {
  rows: DistributorListRow[]
  total: number
  page: number
  pageCount: number
  query: DistributorQueryView
  regionName: (code: string) => string
  /** A channel manager's list says that it holds only their distributors. */
  scoped: boolean
}

export function DistributorsPage(props: {
  staff: StaffView
  list: DistributorListView
  canManage: boolean
  notice?: string
}) {
  const q = props.list.query
  return (
    <AdminPage staff={props.staff} title="Distributors" current="/admin/distributors">
      <ChannelTabs current="/admin/distributors" />
      <h1>Distributors</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      {props.canManage ? (
        <p>
          <a class="button" href="/admin/distributors/new">
            New distributor
          </a>
        </p>
      ) : null}
      <form
        class="inline card"
        method="get"
        action="/admin/distributors"
        hx-get="/admin/distributors"
        hx-trigger="submit, input delay:300ms"
        hx-target="#distributor-list"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <label>
          Search name or code
          <input name="q" type="search" maxlength={100} value={q.q ?? ''} />
        </label>
        <label>
          Status
          <select name="status">
            <option value="">any</option>
            <option value="active" selected={q.status === 'active'}>
              active
            </option>
            <option value="suspended" selected={q.status === 'suspended'}>
              suspended
            </option>
          </select>
        </label>
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      <DistributorList {...props.list} />
    </AdminPage>
  )
}

/** The list and its pager: the page embeds it, and a search with htmx swaps just this. */
export function DistributorList(props: DistributorListView) {
  const filtered = Boolean(props.query.q || props.query.status)
  return (
    <div id="distributor-list">
      {props.rows.length === 0 ? (
        <div class="empty">
          {filtered
            ? 'No distributor matches this search.'
            : props.scoped
              ? 'No distributors are assigned to you yet. Ask an owner of your brand, or add one.'
              : 'No distributors yet. Add the first one to ship codes to it.'}
        </div>
      ) : (
        <>
          <p class="muted">
            {props.total.toLocaleString('en')} distributor{props.total === 1 ? '' : 's'}
            {props.scoped ? ' assigned to you' : ''}
          </p>
          <table>
            <thead>
              <tr>
                <th>Code</th>
                <th>Name</th>
                <th>Sales regions</th>
                <th>Contact</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((d) => (
                <tr>
                  <td class="mono">
                    <a href={`/admin/distributors/${d.id}`}>{d.code}</a>
                  </td>
                  <td>{d.name}</td>
                  <td>
                    {d.regionCodes.length === 0 ? (
                      <span class="muted">none yet</span>
                    ) : (
                      d.regionCodes.map(props.regionName).join(', ')
                    )}
                  </td>
                  <td>{d.contactName ?? '—'}</td>
                  <td>
                    <span class={`pill ${d.status}`}>{d.status}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {props.pageCount > 1 ? (
        <div class="pager">
          {props.page > 1 ? <a href={distributorsHref(props.query, props.page - 1)}>← Previous</a> : null}
          <span class="muted">
            Page {props.page} of {props.pageCount}
          </span>
          {props.page < props.pageCount ? (
            <a href={distributorsHref(props.query, props.page + 1)}>Next →</a>
          ) : null}
        </div>
      ) : null}
    </div>
  )
}

export type DistributorFormValues = Partial<
  Record<'name' | 'code' | 'contactName' | 'contactPhone' | 'contactEmail' | 'status' | 'notes', string>
> & { regions?: string[] }

export function DistributorFormPage(props: {
  staff: StaffView
  distributorId?: number
  values: DistributorFormValues
  regionOptions: RegionOption[]
  errors?: string[]
}) {
  const v = props.values
  const editing = props.distributorId !== undefined
  const action = editing ? `/admin/distributors/${props.distributorId}` : '/admin/distributors'
  const title = editing ? 'Edit distributor' : 'New distributor'
  return (
    <AdminPage staff={props.staff} title={title} current="/admin/distributors">
      <ChannelTabs current="/admin/distributors" />
      <h1>{title}</h1>
      <FormErrors errors={props.errors} />
      <form class="stack card wide" method="post" action={action}>
        <CsrfField token={props.staff.csrfToken} />
        <label>
          Name
          <input name="name" required maxlength={200} value={v.name ?? ''} />
        </label>
        <label>
          Code (unique in your brand, e.g. GD-001)
          <input name="code" required maxlength={40} pattern="[A-Za-z0-9._\-]+" value={v.code ?? ''} />
        </label>
        <div class="grid2">
          <label>
            Contact name (optional)
            <input name="contactName" maxlength={100} value={v.contactName ?? ''} />
          </label>
          <label>
            Contact phone (optional)
            <input name="contactPhone" type="tel" maxlength={40} value={v.contactPhone ?? ''} />
          </label>
        </div>
        <label>
          Contact email (optional)
          <input name="contactEmail" type="email" maxlength={254} value={v.contactEmail ?? ''} />
        </label>
        <label>
          Status
          <select name="status">
            <option value="active" selected={v.status !== 'suspended'}>
              active — can receive shipments
            </option>
            <option value="suspended" selected={v.status === 'suspended'}>
              suspended — no new shipments; codes already shipped stay bound
            </option>
          </select>
        </label>
        <RegionPicker options={props.regionOptions} selected={v.regions ?? []} />
        <label>
          Notes (optional)
          <textarea name="notes" maxlength={2000} rows={3}>
            {v.notes ?? ''}
          </textarea>
        </label>
        <div>
          <button type="submit">Save distributor</button>{' '}
          <a href={editing ? `/admin/distributors/${props.distributorId}` : '/admin/distributors'}>Cancel</a>
        </div>
      </form>
    </AdminPage>
  )
}

const GROUP_LABELS = {
  china: '中国 China — provinces, Hong Kong, Macau, Taiwan',
  country: 'Countries and territories',
  brand: 'Your brand’s own regions',
} as const

/**
 * The sales-region picker: checkboxes grouped as China, countries and the brand's own regions,
 * so it works without JavaScript; a group holding a chosen region starts open.
 */
export function RegionPicker({ options, selected }: { options: RegionOption[]; selected: string[] }) {
  const chosen = new Set(selected)
  const groups = (['china', 'country', 'brand'] as const)
    .map((group) => ({ group, items: options.filter((o) => o.group === group) }))
    .filter((g) => g.items.length > 0)
  return (
    <fieldset class="region-picker">
      <legend>Sales regions</legend>
      <p class="muted">
        Scans of this distributor’s codes outside these regions are checked for diversion.
        {chosen.size > 0 ? ` ${chosen.size} chosen.` : ' None chosen yet.'}
      </p>
      {groups.map(({ group, items }) => (
        <details open={group === 'china' || items.some((o) => chosen.has(o.code))}>
          <summary>
            {GROUP_LABELS[group]}{' '}
            <span class="muted">({items.filter((o) => chosen.has(o.code)).length} chosen)</span>
          </summary>
          <div class="region-grid">
            {items.map((o) => (
              <label class="check">
                <input type="checkbox" name="regions" value={o.code} checked={chosen.has(o.code)} />
                <span>
                  {o.nameZh} <span class="muted">{o.nameEn}</span> <span class="muted mono">{o.code}</span>
                </span>
              </label>
            ))}
          </div>
        </details>
      ))}
    </fieldset>
  )
}

export function DistributorPage(props: {
  staff: StaffView
  distributor: Distributor
  regions: RegionOption[]
  managers: StaffSummary[]
  /** The brand's channel managers, for an owner's assignment form. */
  assignable?: StaffSummary[]
  canManage: boolean
  canShip: boolean
  shipments: ShipmentRow[]
  moreShipments: boolean
  notice?: string
  errors?: string[]
}) {
  const d = props.distributor
  const assigned = new Set(props.managers.map((m) => m.id))
  return (
    <AdminPage staff={props.staff} title={`Distributor ${d.code}`} current="/admin/distributors">
      <ChannelTabs current="/admin/distributors" />
      <h1>
        {d.name} <span class="muted mono">{d.code}</span> <span class={`pill ${d.status}`}>{d.status}</span>
      </h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      <FormErrors errors={props.errors} />
      <p>
        {props.canManage ? (
          <a class="button secondary" href={`/admin/distributors/${d.id}/edit`}>
            Edit
          </a>
        ) : null}{' '}
        {props.canShip && d.status === 'active' ? (
          <a class="button" href={`/admin/shipments/new?distributor=${d.id}`}>
            Ship codes to this distributor
          </a>
        ) : null}
      </p>
      <div class="grid2">
        <section class="card">
          <h2>Contact</h2>
          <dl class="facts">
            <dt>Name</dt>
            <dd>{d.contactName ?? '—'}</dd>
            <dt>Phone</dt>
            <dd>{d.contactPhone ?? '—'}</dd>
            <dt>Email</dt>
            <dd>{d.contactEmail ?? '—'}</dd>
            <dt>Added</dt>
            <dd>{formatTime(d.createdAt)}</dd>
          </dl>
          {d.notes ? <p class="pre">{d.notes}</p> : null}
        </section>
        <section class="card">
          <h2>Sales regions</h2>
          {props.regions.length === 0 ? (
            <div class="empty">
              No sales regions yet: scans of this distributor’s codes are not checked for diversion until it
              has some.
            </div>
          ) : (
            <ul>
              {props.regions.map((r) => (
                <li>
                  {r.nameZh} <span class="muted">{r.nameEn}</span> <span class="muted mono">{r.code}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section class="card">
        <h2>Channel managers</h2>
        {props.managers.length === 0 ? (
          <p class="muted">No channel manager looks after this distributor; owners see it.</p>
        ) : (
          <ul>
            {props.managers.map((m) => (
              <li>
                {m.name} <span class="muted">{m.email}</span>
              </li>
            ))}
          </ul>
        )}
        {props.assignable ? (
          props.assignable.length === 0 ? (
            <p class="muted">
              Your brand has no channel managers yet: invite one on the <a href="/admin/staff">staff page</a>.
            </p>
          ) : (
            <form class="stack wide" method="post" action={`/admin/distributors/${d.id}/managers`}>
              <CsrfField token={props.staff.csrfToken} />
              <fieldset>
                <legend>Assign channel managers (they see only the distributors assigned to them)</legend>
                {props.assignable.map((m) => (
                  <label class="check">
                    <input
                      type="checkbox"
                      name="staffIds"
                      value={String(m.id)}
                      checked={assigned.has(m.id)}
                    />
                    {m.name} <span class="muted">{m.email}</span>
                  </label>
                ))}
              </fieldset>
              <div>
                <button type="submit" class="secondary">
                  Save assignments
                </button>
              </div>
            </form>
          )
        ) : null}
      </section>
      <section>
        <h2>Shipments</h2>
        {props.shipments.length === 0 ? (
          <div class="empty">No codes have been shipped to this distributor yet.</div>
        ) : (
          <ShipmentsTable shipments={props.shipments} showDistributor={false} />
        )}
        {props.moreShipments ? (
          <div class="pager">
            <a href={`/admin/shipments?distributor=${d.id}`}>All shipments to {d.code} →</a>
          </div>
        ) : null}
      </section>
    </AdminPage>
  )
}
