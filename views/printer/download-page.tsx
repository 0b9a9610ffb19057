import type { PrintFormat } from '../../src/batches/print-formats.ts'
import { formatTime } from '../admin/admin-page.tsx'
import { FORMAT_LABELS } from '../admin/batches-pages.tsx'
import { Layout } from '../layout.tsx'

export type PrinterDownloadProps = {
  token: string
  format: PrintFormat
  productName: string
  codeCount: number
  expiresAt: number
}

/**
 * What a printing house sees on opening a link that still works: what the file holds and one
 * button, so that link previews (which GET) never use the link up.
 */
export function PrinterDownloadPage(p: PrinterDownloadProps) {
  return (
    <Layout title="Print file download · onecode">
      <div class="card" style="max-width:30rem;margin:3rem auto">
        <h1>Print file download</h1>
        <dl class="facts">
          <dt>Product</dt>
          <dd>{p.productName}</dd>
          <dt>Codes</dt>
          <dd>{p.codeCount.toLocaleString('en')} codes</dd>
          <dt>Format</dt>
          <dd>{FORMAT_LABELS[p.format]}</dd>
          <dt>Link valid until</dt>
          <dd>{formatTime(p.expiresAt)}</dd>
        </dl>
        <p>This link works once. Start the download when you are ready to save the file.</p>
        <form method="post" action={`/dl/${p.token}`}>
          <button type="submit">Download the print file</button>
        </form>
      </div>
    </Layout>
  )
}
