import type { BatchWithProduct, Code } from '../../src/batches/batch-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'
import { VoidReasonFields } from './batches-pages.tsx'

export type LookupResult =
  | {
      kind: 'found'
      code: Code & { batch: BatchWithProduct }
      human: string
      exports: { id: number; format: string; actorLabel: string; createdAt: number }[]
    }
  | { kind: 'not-genuine'; reason: string }
  | { kind: 'not-found' }

export function CodesPage(props: {
  staff: StaffView
  query?: string
  result?: LookupResult
  canVoid: boolean
  notice?: string
  errors?: string[]
}) {
  const r = props.result
  return (
    <AdminPage staff={props.staff} title="Code lookup" current="/admin/codes">
      <h1>Code lookup</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      <FormErrors errors={props.errors} />
      <form class="inline card" method="get" action="/admin/codes">
        <label style="flex:1">
          Code, printed serial or scanned URL
          <input name="q" value={props.query ?? ''} required maxlength={300} autofocus />
        </label>
        <button type="submit">Look up</button>
      </form>
      {r?.kind === 'not-genuine' ? <div class="errors">Not a genuine code: {r.reason}</div> : null}
      {r?.kind === 'not-found' ? <div class="errors">No code of your brand matches this.</div> : null}
      {r?.kind === 'found' ? (
        <div class="card">
          <p class="mono">{r.human}</p>
          <p>
            <span class={`pill ${r.code.state}`}>{r.code.state}</span> · #{r.code.seq} of{' '}
            <a href={`/admin/batches/${r.code.batchId}`}>batch #{r.code.batchId}</a> ·{' '}
            {r.code.batch.productName} · lot {r.code.batch.lot ?? '—'}
          </p>
          <p class="muted">
            Activated {formatTime(r.code.activatedAt)}
            {r.code.voidedAt ? ` · voided ${formatTime(r.code.voidedAt)} (${r.code.voidReason})` : ''}
          </p>
          <h2>Print files that held this code</h2>
          {r.exports.length === 0 ? (
            <p class="muted">None yet.</p>
          ) : (
            <ul>
              {r.exports.map((e) => (
                <li>
                  {formatTime(e.createdAt)} · {e.format} · {e.actorLabel}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
      {props.canVoid ? (
        <section class="card">
          <h2>Void a list of codes</h2>
          <p class="muted">
            Paste codes, printed serials or scanned URLs (one per line), or upload a CSV whose first column or
            <code>url</code>/<code>serial</code> column holds them. At most 100,000 at once.
          </p>
          <form class="stack" method="post" action="/admin/codes/void" enctype="multipart/form-data">
            <CsrfField token={props.staff.csrfToken} />
            <label>
              Codes
              <textarea name="codes" rows={6} />
            </label>
            <label>
              Or a CSV file
              <input type="file" name="file" accept=".csv,.txt,text/csv,text/plain" />
            </label>
            <VoidReasonFields />
            <button class="danger" type="submit">
              Void codes
            </button>
          </form>
        </section>
      ) : null}
    </AdminPage>
  )
}
