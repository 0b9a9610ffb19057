import type { CodeState } from '../../src/batches/batch-schema.ts'
import { CODE_STATES, VOID_REASONS } from '../../src/batches/batch-schema.ts'
import type { BatchWithProduct, Code } from '../../src/batches/batch-store.ts'
import type { DownloadLink } from '../../src/batches/print-export-store.ts'
import { MAX_PDF_CODES, PRINT_FORMATS } from '../../src/batches/print-formats.ts'
import type { Product } from '../../src/products/product-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'

/** How the console and the printer's download page name each print-file format. */
export const FORMAT_LABELS: Record<(typeof PRINT_FORMATS)[number], string> = {
  csv: 'CSV (variable-data printing)',
  txt: 'TXT (tab-separated)',
  'csv-zip': 'CSV chunks in a ZIP (large batches)',
  'svg-zip': 'ZIP of SVG QR images',
  pdf: `PDF label sheet (A4, at most ${MAX_PDF_CODES.toLocaleString('en')} codes)`,
}

export function BatchesPage(props: {
  staff: StaffView
  batches: BatchWithProduct[]
  nextBefore?: number
  canEdit: boolean
}) {
  return (
    <AdminPage staff={props.staff} title="Batches" current="/admin/batches">
      <h1>Code batches</h1>
      {props.canEdit ? (
        <p>
          <a class="button" href="/admin/batches/new">
            New batch
          </a>
        </p>
      ) : null}
      {props.batches.length === 0 ? (
        <div class="empty">No batches yet. Create one to mint codes for a product.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Batch</th>
              <th>Product</th>
              <th>Lot</th>
              <th class="num">Codes</th>
              <th>Status</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {props.batches.map((b) => (
              <tr>
                <td>
                  <a href={`/admin/batches/${b.id}`}>#{b.id}</a>
                </td>
                <td>
                  {b.productName} <span class="muted mono">{b.productSku}</span>
                </td>
                <td class="mono">{b.lot ?? '—'}</td>
                <td class="num">{b.quantity.toLocaleString('en')}</td>
                <td>
                  <BatchStatusPill batch={b} />
                </td>
                <td>{formatTime(b.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextBefore ? (
        <div class="pager">
          <a href={`/admin/batches?before=${props.nextBefore}`}>Older batches →</a>
        </div>
      ) : null}
    </AdminPage>
  )
}

function BatchStatusPill({ batch }: { batch: BatchWithProduct }) {
  const pct = batch.quantity === 0 ? 100 : Math.floor((batch.mintedCount / batch.quantity) * 100)
  return (
    <span class={`pill ${batch.status}`}>
      {batch.status === 'minting' ? `minting ${pct}%` : batch.status}
    </span>
  )
}

export type BatchFormValues = Partial<
  Record<'productId' | 'quantity' | 'lot' | 'producedOn' | 'expiresOn' | 'urlMode', string>
>

export function NewBatchPage(props: {
  staff: StaffView
  products: Product[]
  values: BatchFormValues
  errors?: string[]
}) {
  const v = props.values
  return (
    <AdminPage staff={props.staff} title="New batch" current="/admin/batches">
      <h1>New code batch</h1>
      <FormErrors errors={props.errors} />
      {props.products.length === 0 ? (
        <div class="empty">
          Add a product first: <a href="/admin/products/new">new product</a>.
        </div>
      ) : (
        <form class="stack card" method="post" action="/admin/batches">
          <CsrfField token={props.staff.csrfToken} />
          <label>
            Product
            <select name="productId" required>
              {props.products.map((p) => (
                <option value={String(p.id)} selected={v.productId === String(p.id)}>
                  {p.sku} — {p.name}
                  {p.gtin ? ' (GTIN)' : ''}
                </option>
              ))}
            </select>
          </label>
          <label>
            Number of codes (1 to 10,000,000)
            <input
              name="quantity"
              type="number"
              min={1}
              max={10000000}
              required
              value={v.quantity ?? '1000'}
            />
          </label>
          <label>
            Lot (optional; up to 20 letters, digits or - _ . /)
            <input name="lot" maxlength={20} value={v.lot ?? ''} />
          </label>
          <label>
            Production date (optional)
            <input name="producedOn" type="date" value={v.producedOn ?? ''} />
          </label>
          <label>
            Expiry date (optional)
            <input name="expiresOn" type="date" value={v.expiresOn ?? ''} />
          </label>
          <fieldset>
            <legend>URL printed in the QR code</legend>
            <label class="check">
              <input type="radio" name="urlMode" value="short" checked={v.urlMode !== 'gs1'} /> Short URL
              (smallest QR, version 4)
            </label>
            <label class="check">
              <input type="radio" name="urlMode" value="gs1" checked={v.urlMode === 'gs1'} /> GS1 Digital Link
              (product needs a GTIN)
            </label>
          </fieldset>
          <div>
            <button type="submit">Create batch</button> <a href="/admin/batches">Cancel</a>
          </div>
        </form>
      )}
    </AdminPage>
  )
}

/** The progress panel; while minting it polls itself, and reloads the page once the batch is ready. */
export function BatchProgress({ batch }: { batch: BatchWithProduct }) {
  const polling = batch.status === 'minting'
  return (
    <div
      id="batch-progress"
      class="card"
      hx-get={polling ? `/admin/batches/${batch.id}/progress` : undefined}
      hx-trigger={polling ? 'every 1s' : undefined}
      hx-swap={polling ? 'outerHTML' : undefined}
    >
      <BatchStatusPill batch={batch} />{' '}
      <span>
        {batch.mintedCount.toLocaleString('en')} of {batch.quantity.toLocaleString('en')} codes minted
      </span>
      <progress max={batch.quantity} value={batch.mintedCount} aria-label="minting progress" />
      {batch.status === 'failed' ? <p class="error">{batch.error}</p> : null}
      {polling ? <p class="muted">You can leave this page; minting continues on the server.</p> : null}
    </div>
  )
}

export type CodesTableProps = {
  batchId: number
  codes: Code[]
  nextAfterSeq?: number
  prevBeforeSeq?: number
  state?: CodeState
  human: (c: Code) => string
}

/**
 * The codes of a batch, a page at a time. The filter and the pager are plain GETs of the codes
 * URL, which answers the whole page without htmx; with htmx they swap just this table and push
 * that URL, so a reload or Back keeps the filter and the place.
 */
export function CodesTable(props: CodesTableProps) {
  const codesUrl = `/admin/batches/${props.batchId}/codes`
  const pageLink = (cursor: { after?: number; before?: number }, text: string, rel?: string) => {
    const query = new URLSearchParams()
    if (props.state) query.set('state', props.state)
    if (cursor.after) query.set('after', String(cursor.after))
    if (cursor.before) query.set('before', String(cursor.before))
    const url = query.size > 0 ? `${codesUrl}?${query}` : codesUrl
    return (
      <a href={url} rel={rel} hx-get={url} hx-target="#codes-table" hx-swap="outerHTML" hx-push-url="true">
        {text}
      </a>
    )
  }
  return (
    <div id="codes-table">
      <form
        class="inline"
        method="get"
        action={codesUrl}
        hx-get={codesUrl}
        hx-target="#codes-table"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <label>
          State
          <select name="state">
            <option value="">all</option>
            {CODE_STATES.map((s) => (
              <option value={s} selected={props.state === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button class="secondary" type="submit">
          Filter
        </button>
      </form>
      {props.codes.length === 0 ? (
        <div class="empty">No codes to show.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th class="num">#</th>
              <th>Code (as printed)</th>
              <th>State</th>
              <th>Activated</th>
              <th>Voided</th>
            </tr>
          </thead>
          <tbody>
            {props.codes.map((c) => (
              <tr>
                <td class="num">{c.seq}</td>
                <td class="mono">{props.human(c)}</td>
                <td>
                  <span class={`pill ${c.state}`}>{c.state}</span>
                </td>
                <td>{formatTime(c.activatedAt)}</td>
                <td>{c.voidedAt ? `${formatTime(c.voidedAt)} (${c.voidReason})` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.prevBeforeSeq || props.nextAfterSeq ? (
        <div class="pager">
          {props.prevBeforeSeq ? (
            <>
              {pageLink({}, '← First codes', 'first')}{' '}
              {pageLink({ before: props.prevBeforeSeq }, '← Previous codes', 'prev')}
            </>
          ) : null}{' '}
          {props.nextAfterSeq ? pageLink({ after: props.nextAfterSeq }, 'Next codes →', 'next') : null}
        </div>
      ) : null}
    </div>
  )
}

export type BatchPageProps = {
  staff: StaffView
  batch: BatchWithProduct
  counts: Record<CodeState, number>
  codes: CodesTableProps
  links: DownloadLink[]
  exports: {
    id: number
    format: string
    seqFrom: number
    seqTo: number
    actorLabel: string
    createdAt: number
  }[]
  canEdit: boolean
  canMakeLinks: boolean
  notice?: string
  errors?: string[]
  newLink?: string
  /** The localhost URL the server fell back to because PUBLIC_BASE_URL is unset; undefined once it is set. */
  defaultBaseUrl?: string
}

/**
 * The console still makes files and links over the localhost default (so `npm start` demos work,
 * unlike the CLI's export), but every URL in them opens only on the server's own machine.
 */
function UnsetBaseUrlWarning({ baseUrl }: { baseUrl: string }) {
  return (
    <div class="warn">
      {`PUBLIC_BASE_URL is not set: print files and printer links made here hold ${baseUrl}/… URLs that no phone can open. Set PUBLIC_BASE_URL to the server's public address before printing real labels.`}
    </div>
  )
}

export function BatchPage(p: BatchPageProps) {
  const { batch } = p
  const ready = batch.status === 'ready'
  return (
    <AdminPage staff={p.staff} title={`Batch #${batch.id}`} current="/admin/batches">
      <h1>
        Batch #{batch.id} · {batch.productName} <span class="muted mono">{batch.productSku}</span>
      </h1>
      {p.notice ? (
        <div class="notice" role="status">
          {p.notice}
        </div>
      ) : null}
      {p.newLink ? (
        <div class="warn">
          One-time download link (shown once — send it to the printing house now):
          <div class="secret mono">{p.newLink}</div>
          {p.defaultBaseUrl ? (
            <p>
              {`PUBLIC_BASE_URL is not set: this link, and the file it downloads, hold ${p.defaultBaseUrl}/… URLs that neither the printing house nor any phone can open. Set PUBLIC_BASE_URL to the server's public address, restart, and make a new link.`}
            </p>
          ) : null}
        </div>
      ) : null}
      <FormErrors errors={p.errors} />
      <BatchProgress batch={batch} />
      <div class="stats">
        <div>
          <b>{batch.lot ?? '—'}</b>lot
        </div>
        <div>
          <b>{batch.producedOn ?? '—'}</b>produced
        </div>
        <div>
          <b>{batch.expiresOn ?? '—'}</b>expires
        </div>
        <div>
          <b>{batch.urlMode === 'gs1' ? 'GS1 DL' : 'short'}</b>URL mode
        </div>
        {CODE_STATES.map((s) => (
          <div>
            <b>{p.counts[s].toLocaleString('en')}</b>
            {s}
          </div>
        ))}
      </div>
      {ready && p.canEdit && p.defaultBaseUrl ? <UnsetBaseUrlWarning baseUrl={p.defaultBaseUrl} /> : null}
      {ready && p.canEdit ? (
        <div class="grid2">
          <section class="card">
            <h2>Print files</h2>
            <form class="stack" method="post" action={`/admin/batches/${batch.id}/export`}>
              <CsrfField token={p.staff.csrfToken} />
              <label>
                Format
                <select name="format">
                  {PRINT_FORMATS.map((f) => (
                    <option value={f}>{FORMAT_LABELS[f]}</option>
                  ))}
                </select>
              </label>
              <div class="form inline">
                <label>
                  From #
                  <input name="from" type="number" min={1} max={batch.quantity} value="1" />
                </label>
                <label>
                  To #
                  <input
                    name="to"
                    type="number"
                    min={1}
                    max={batch.quantity}
                    value={String(batch.quantity)}
                  />
                </label>
              </div>
              <div class="inline form">
                <label>
                  PDF columns
                  <input name="columns" type="number" min={1} max={20} placeholder="4" />
                </label>
                <label>
                  PDF rows
                  <input name="rows" type="number" min={1} max={20} placeholder="8" />
                </label>
              </div>
              <p class="muted">Every download is recorded with who made it and which codes it holds.</p>
              <button type="submit">Download</button>
            </form>
          </section>
          <section class="card">
            <h2>Activate (warehouse-out)</h2>
            <p class="muted">
              Codes earn points only after activation. You confirm the count on the next page. To bind codes
              to a distributor, activate them with a <a href="/admin/shipments/new">shipment</a> instead.
            </p>
            <form class="stack" method="post" action={`/admin/batches/${batch.id}/activate`}>
              <CsrfField token={p.staff.csrfToken} />
              <div class="inline form">
                <label>
                  From #
                  <input name="from" type="number" min={1} max={batch.quantity} value="1" />
                </label>
                <label>
                  To #
                  <input
                    name="to"
                    type="number"
                    min={1}
                    max={batch.quantity}
                    value={String(batch.quantity)}
                  />
                </label>
              </div>
              <button type="submit">Activate codes</button>
            </form>
          </section>
          <section class="card">
            <h2>Void codes</h2>
            <form class="stack" method="post" action={`/admin/batches/${batch.id}/void`}>
              <CsrfField token={p.staff.csrfToken} />
              <div class="inline form">
                <label>
                  From #
                  <input name="from" type="number" min={1} max={batch.quantity} required />
                </label>
                <label>
                  To #
                  <input name="to" type="number" min={1} max={batch.quantity} required />
                </label>
              </div>
              <VoidReasonFields />
              <button class="danger" type="submit">
                Void codes
              </button>
            </form>
            <p class="muted">
              To void a list of codes or an uploaded CSV, use <a href="/admin/codes">code lookup</a>.
            </p>
          </section>
          {p.canMakeLinks ? (
            <section class="card">
              <h2>Link for a printing house</h2>
              <form class="stack" method="post" action={`/admin/batches/${batch.id}/links`}>
                <CsrfField token={p.staff.csrfToken} />
                <label>
                  Printing house
                  <input name="recipient" required maxlength={120} placeholder="e.g. Shenzhen Label Co." />
                </label>
                <label>
                  Format
                  <select name="format">
                    {PRINT_FORMATS.map((f) => (
                      <option value={f}>{FORMAT_LABELS[f]}</option>
                    ))}
                  </select>
                </label>
                <p class="muted">
                  A link carries the whole batch (#1–#{batch.quantity.toLocaleString('en')}), so a PDF link
                  needs a batch of at most {MAX_PDF_CODES.toLocaleString('en')} codes.
                </p>
                <label>
                  Valid for (hours)
                  <input name="ttlHours" type="number" min={1} max={336} value="48" />
                </label>
                <button type="submit">Make one-time link</button>
              </form>
              {p.links.length > 0 ? (
                <table>
                  <tbody>
                    {p.links.map((l) => (
                      <tr>
                        <td>{l.recipient}</td>
                        <td>{l.format}</td>
                        <td>
                          {l.usedAt
                            ? `used ${formatTime(l.usedAt)}`
                            : l.revokedAt
                              ? 'revoked'
                              : `expires ${formatTime(l.expiresAt)}`}
                        </td>
                        <td>
                          {!l.usedAt && !l.revokedAt ? (
                            <form method="post" action={`/admin/links/${l.id}/revoke`}>
                              <CsrfField token={p.staff.csrfToken} />
                              <button class="secondary" type="submit">
                                Revoke
                              </button>
                            </form>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
            </section>
          ) : null}
        </div>
      ) : null}
      <h2>Print file history</h2>
      {p.exports.length === 0 ? (
        <div class="empty">No print files made yet.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Format</th>
              <th>Codes</th>
              <th>By</th>
            </tr>
          </thead>
          <tbody>
            {p.exports.map((e) => (
              <tr>
                <td>{formatTime(e.createdAt)}</td>
                <td>{e.format}</td>
                <td>
                  #{e.seqFrom}–#{e.seqTo}
                </td>
                <td>{e.actorLabel}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Codes</h2>
      {ready ? (
        <CodesTable {...p.codes} />
      ) : (
        <div class="empty">Codes appear here once minting is finished.</div>
      )}
    </AdminPage>
  )
}

/**
 * The second step of activation: names the count and what activating means, and posts the same
 * range again with `confirm=yes`. Activation has no undo (an activated code can only be voided).
 */
export function ActivateConfirmPage(p: {
  staff: StaffView
  batch: BatchWithProduct
  range: { from: number; to: number }
}) {
  const { batch, range } = p
  const count = (range.to - range.from + 1).toLocaleString('en')
  return (
    <AdminPage staff={p.staff} title={`Activate codes of batch #${batch.id}`} current="/admin/batches">
      <h1>
        Activate {count} codes (#{range.from.toLocaleString('en')}–#{range.to.toLocaleString('en')}) of batch
        #{batch.id}?
      </h1>
      <p>
        {batch.productName} <span class="muted mono">{batch.productSku}</span>
        {batch.lot ? ` · lot ${batch.lot}` : ''}
      </p>
      <div class="warn">
        They earn points from now on and are not bound to any distributor, so diversion checks never cover
        them. Activation cannot be undone; an activated code can only be voided.
      </div>
      <p>
        To bind codes to a distributor as they leave the warehouse, use{' '}
        <a href="/admin/shipments/new">Shipments</a> instead.
      </p>
      <form class="inline" method="post" action={`/admin/batches/${batch.id}/activate`}>
        <CsrfField token={p.staff.csrfToken} />
        <input type="hidden" name="from" value={String(range.from)} />
        <input type="hidden" name="to" value={String(range.to)} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">Activate {count} codes</button>
        <a href={`/admin/batches/${batch.id}`}>Cancel</a>
      </form>
    </AdminPage>
  )
}

export function VoidReasonFields() {
  return (
    <>
      <label>
        Reason
        <select name="reason" required>
          {VOID_REASONS.map((r) => (
            <option value={r}>{r}</option>
          ))}
        </select>
      </label>
      <label>
        Note (optional)
        <input name="note" maxlength={500} />
      </label>
      <label class="check">
        <input type="checkbox" name="confirm" value="yes" required /> I understand voided codes can never earn
        points again.
      </label>
    </>
  )
}
