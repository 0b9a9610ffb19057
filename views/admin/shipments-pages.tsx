import type { Distributor } from '../../src/channels/distributor-store.ts'
import { MAX_SHIPMENT_LIST } from '../../src/channels/serial-list.ts'
import type { PreviousBinding, ShipmentRow } from '../../src/channels/shipment-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'
import { ChannelTabs } from './channel-tabs.tsx'

function whatWasShipped(s: ShipmentRow): string {
  const batch = s.batchId
    ? `batch #${s.batchId}${s.productSku ? ` (${s.productSku}${s.lot ? `, lot ${s.lot}` : ''})` : ''}`
    : ''
  if (s.kind === 'batch') return `whole ${batch}`
  if (s.kind === 'range') return `${batch}, codes #${s.seqFrom}–#${s.seqTo}`
  return 'a list of codes'
}

export function ShipmentsTable(props: { shipments: ShipmentRow[]; showDistributor: boolean }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Shipment</th>
          <th>When</th>
          {props.showDistributor ? <th>Distributor</th> : null}
          <th>What</th>
          <th class="num">Codes</th>
          <th class="num">Re-bound</th>
          <th>By</th>
        </tr>
      </thead>
      <tbody>
        {props.shipments.map((s) => (
          <tr>
            <td>
              <a href={`/admin/shipments/${s.id}`}>#{s.id}</a>
            </td>
            <td>{formatTime(s.createdAt)}</td>
            {props.showDistributor ? (
              <td>
                <a href={`/admin/distributors/${s.distributorId}`}>{s.distributorName}</a>{' '}
                <span class="muted mono">{s.distributorCode}</span>
              </td>
            ) : null}
            <td>{whatWasShipped(s)}</td>
            <td class="num">{s.codeCount.toLocaleString('en')}</td>
            <td class="num">
              {s.reboundCount > 0 ? (
                <span title={s.reason ?? ''}>{s.reboundCount.toLocaleString('en')}</span>
              ) : (
                '—'
              )}
            </td>
            <td class="muted">{s.actorLabel}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function ShipmentsPage(props: {
  staff: StaffView
  shipments: ShipmentRow[]
  nextBefore?: number
  distributors: Distributor[]
  distributorId?: number
  canShip: boolean
  notice?: string
}) {
  const filter = props.distributorId ? `distributor=${props.distributorId}&` : ''
  return (
    <AdminPage staff={props.staff} title="Shipments" current="/admin/shipments">
      <ChannelTabs current="/admin/shipments" />
      <h1>Warehouse-out shipments (出库)</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      {props.canShip ? (
        <p>
          <a
            class="button"
            href={
              props.distributorId
                ? `/admin/shipments/new?distributor=${props.distributorId}`
                : '/admin/shipments/new'
            }
          >
            New shipment
          </a>
        </p>
      ) : null}
      <form class="inline card" method="get" action="/admin/shipments">
        <label>
          Distributor
          <select name="distributor">
            <option value="">all distributors</option>
            {props.distributors.map((d) => (
              <option value={String(d.id)} selected={props.distributorId === d.id}>
                {d.code} — {d.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      {props.shipments.length === 0 ? (
        <div class="empty">
          {props.distributorId ? 'No shipments to this distributor yet.' : 'No shipments yet.'}
          {props.canShip ? ' A shipment activates codes and binds them to a distributor.' : ''}
        </div>
      ) : (
        <ShipmentsTable shipments={props.shipments} showDistributor />
      )}
      {props.nextBefore ? (
        <div class="pager">
          <a href={`/admin/shipments?${filter}before=${props.nextBefore}`}>Older shipments →</a>
        </div>
      ) : null}
    </AdminPage>
  )
}

export function ShipmentPage(props: { staff: StaffView; shipment: ShipmentRow; notice?: string }) {
  const s = props.shipment
  return (
    <AdminPage staff={props.staff} title={`Shipment #${s.id}`} current="/admin/shipments">
      <ChannelTabs current="/admin/shipments" />
      <h1>Shipment #{s.id}</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      <dl class="facts card">
        <dt>Distributor</dt>
        <dd>
          <a href={`/admin/distributors/${s.distributorId}`}>{s.distributorName}</a>{' '}
          <span class="muted mono">{s.distributorCode}</span>
        </dd>
        <dt>What</dt>
        <dd>{whatWasShipped(s)}</dd>
        <dt>Codes bound</dt>
        <dd>{s.codeCount.toLocaleString('en')}</dd>
        <dt>Re-bound from other distributors</dt>
        <dd>{s.reboundCount.toLocaleString('en')}</dd>
        {s.reason ? (
          <>
            <dt>Reason for re-binding</dt>
            <dd class="pre">{s.reason}</dd>
          </>
        ) : null}
        {s.note ? (
          <>
            <dt>Note</dt>
            <dd class="pre">{s.note}</dd>
          </>
        ) : null}
        <dt>By</dt>
        <dd>{s.actorLabel}</dd>
        <dt>When</dt>
        <dd>{formatTime(s.createdAt)}</dd>
      </dl>
      <p>
        <a href={`/admin/shipments?distributor=${s.distributorId}`}>All shipments to {s.distributorCode}</a>
      </p>
    </AdminPage>
  )
}

export type ShipmentFormValues = Partial<
  Record<'distributorId' | 'kind' | 'batchId' | 'from' | 'to' | 'serials' | 'reason' | 'note', string>
>

export type BatchChoice = {
  id: number
  quantity: number
  lot: string | null
  productSku: string
  createdAt: number
}

export function NewShipmentPage(props: {
  staff: StaffView
  distributors: Distributor[]
  batches: BatchChoice[]
  values: ShipmentFormValues
  errors?: string[]
  /** Set when the codes are bound elsewhere: the form asks for a reason to re-bind them. */
  rebind?: { count: number; previous: PreviousBinding[] }
  /** After a list shipment: the lines that were not codes of the brand. */
  unknown?: { total: number; shown: string[] }
  notice?: string
}) {
  const v = props.values
  const kind = v.kind ?? 'batch'
  const active = props.distributors.filter((d) => d.status === 'active')
  return (
    <AdminPage staff={props.staff} title="New shipment" current="/admin/shipments">
      <ChannelTabs current="/admin/shipments" />
      <h1>New warehouse-out shipment (出库)</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      {props.unknown && props.unknown.total > 0 ? (
        <div class="warn">
          {props.unknown.total.toLocaleString('en')} line{props.unknown.total === 1 ? ' was' : 's were'} not a
          code of your brand and nothing was done for {props.unknown.total === 1 ? 'it' : 'them'}:
          <ul class="mono">
            {props.unknown.shown.map((s) => (
              <li>{s}</li>
            ))}
          </ul>
          {props.unknown.total > props.unknown.shown.length ? (
            <span>… and {(props.unknown.total - props.unknown.shown.length).toLocaleString('en')} more.</span>
          ) : null}
        </div>
      ) : null}
      <FormErrors errors={props.errors} />
      {props.rebind ? (
        <div class="warn" role="alert">
          <b>
            {props.rebind.count.toLocaleString('en')} of these code
            {props.rebind.count === 1 ? ' is' : 's are'} already bound to another distributor
          </b>
          <ul>
            {props.rebind.previous.map((p) => (
              <li>
                {p.name} <span class="mono">{p.code}</span>: {p.count.toLocaleString('en')}
              </li>
            ))}
          </ul>
          Shipping re-binds them to the distributor chosen below. Give the reason (it is kept with the
          shipment and in the audit log), then ship again.
        </div>
      ) : null}
      {active.length === 0 ? (
        <div class="empty">
          There is no active distributor to ship to. <a href="/admin/distributors">Add or reactivate one</a>{' '}
          first.
        </div>
      ) : (
        <form class="stack card wide" method="post" action="/admin/shipments" enctype="multipart/form-data">
          <CsrfField token={props.staff.csrfToken} />
          <p class="muted">
            Shipping activates the codes (from now on they earn points) and binds them to the distributor, so
            scans outside its sales regions are flagged. Voided codes are skipped. Big batches take a few
            seconds (a million codes: several seconds); keep this page open until it answers.
          </p>
          <label>
            Distributor
            <select name="distributorId" required>
              {active.map((d) => (
                <option value={String(d.id)} selected={v.distributorId === String(d.id)}>
                  {d.code} — {d.name}
                </option>
              ))}
            </select>
          </label>
          <fieldset>
            <legend>What to ship</legend>
            <label class="check">
              <input type="radio" name="kind" value="batch" checked={kind === 'batch'} /> A whole batch
            </label>
            <label class="check">
              <input type="radio" name="kind" value="range" checked={kind === 'range'} /> A range of a batch
              (codes #from to #to, as printed)
            </label>
            <label class="check">
              <input type="radio" name="kind" value="list" checked={kind === 'list'} /> A list of codes (any
              batch of your brand)
            </label>
          </fieldset>
          <label>
            Batch (for a whole batch or a range)
            <select name="batchId">
              <option value="">choose a batch</option>
              {props.batches.map((b) => (
                <option value={String(b.id)} selected={v.batchId === String(b.id)}>
                  #{b.id} — {b.productSku}
                  {b.lot ? `, lot ${b.lot}` : ''} — {b.quantity.toLocaleString('en')} codes
                </option>
              ))}
            </select>
          </label>
          <div class="grid2">
            <label>
              From code # (range only)
              <input name="from" type="number" min={1} value={v.from ?? ''} />
            </label>
            <label>
              To code # (range only)
              <input name="to" type="number" min={1} value={v.to ?? ''} />
            </label>
          </div>
          <label>
            Codes (list only): one per line — URLs, printed codes (dashes and letter case do not matter) or
            serials; up to {MAX_SHIPMENT_LIST.toLocaleString('en')}
            <textarea name="serials" rows={6} class="mono">
              {v.serials ?? ''}
            </textarea>
          </label>
          <label>
            …or upload a list or a print-file CSV (list only; up to 8 MB)
            <input name="file" type="file" accept=".csv,.txt,text/csv,text/plain" />
          </label>
          <label>
            Reason for re-binding{' '}
            {props.rebind ? '(required)' : '(only needed when codes are bound elsewhere)'}
            <input
              name="reason"
              maxlength={500}
              required={Boolean(props.rebind)}
              autofocus={Boolean(props.rebind)}
              value={v.reason ?? ''}
            />
          </label>
          <label>
            Note (optional, e.g. delivery note number)
            <input name="note" maxlength={500} value={v.note ?? ''} />
          </label>
          <div>
            <button type="submit">{props.rebind ? 'Re-bind and ship' : 'Ship'}</button>{' '}
            <a href="/admin/shipments">Cancel</a>
          </div>
        </form>
      )}
    </AdminPage>
  )
}
