import { Layout } from '../layout.tsx'

/** What a printing house sees: one button, so that link previews (which GET) never use the link up. */
export function PrinterDownloadPage({ token }: { token: string }) {
  return (
    <Layout title="Print file download · onecode">
      <div class="card" style="max-width:30rem;margin:3rem auto">
        <h1>Print file download</h1>
        <p>This link works once. Start the download when you are ready to save the file.</p>
        <form method="post" action={`/dl/${token}`}>
          <button type="submit">Download the print file</button>
        </form>
      </div>
    </Layout>
  )
}
