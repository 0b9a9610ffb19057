import { Hono } from 'hono'
import { MessagePage } from '../../views/admin/sign-in-page.tsx'
import { PrinterDownloadPage } from '../../views/printer/download-page.tsx'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { brandDb } from '../db/brand-scope.ts'
import { streamDownload } from './batch-routes.tsx'
import { findBatch } from './batch-store.ts'
import { claimDownloadLink, type DownloadLink, inspectDownloadLink } from './print-export-store.ts'
import { MAX_PDF_CODES, PRINT_FORMATS } from './print-formats.ts'
import { openPrintFile } from './print-job.ts'

const TOKEN = '{[A-Za-z0-9_-]{20,64}}'

/**
 * The printing house's one-time link: GET only reads it (link previews must not use it up) and shows
 * the button, or why it no longer works; POST uses it up and downloads.
 */
export function createPrinterRoutes(deps: AppDeps) {
  const gone = () => (
    <MessagePage
      title="Link no longer valid"
      message="This download link was already used, has expired or was revoked. Ask the brand for a new link."
      status="error"
    />
  )
  const overCap = (codeCount: number) => (
    <MessagePage
      title="This link cannot make a PDF"
      message={`A PDF label sheet holds at most ${MAX_PDF_CODES.toLocaleString('en')} codes, and this link is for the whole batch of ${codeCount.toLocaleString('en')}. Ask the brand for an SVG ZIP or CSV link instead. This link has not been used up.`}
      status="error"
    />
  )
  // A warning, so it shows at any LOG_LEVEL up to warn: the brand's stale link fails on the
  // printer's side. Once per link and process: previews and crawlers GET it again and again.
  const warnedLinks = new Set<number>()
  const logOverCap = (link: DownloadLink, codeCount: number) => {
    if (warnedLinks.has(link.id)) return
    warnedLinks.add(link.id)
    deps.logger.warn(
      { linkId: link.id, brandId: link.brandId, batchId: link.batchId, format: link.format, codeCount },
      'printer link refused: over the format cap',
    )
  }
  return new Hono<AppEnv>()
    .get(`/dl/:token${TOKEN}`, (c) => {
      // The page says whether the link works, and that changes: no cache may keep an old answer.
      c.header('Cache-Control', 'no-store')
      const state = inspectDownloadLink(deps.db, c.req.param('token'), deps.clock.now())
      if (state.kind === 'gone') return c.html(gone(), 410)
      if (state.kind === 'over-format-cap') {
        logOverCap(state.link, state.codeCount)
        return c.html(overCap(state.codeCount), 409)
      }
      return c.html(
        <PrinterDownloadPage
          token={c.req.param('token')}
          format={state.format}
          productName={state.productName}
          codeCount={state.codeCount}
          expiresAt={state.link.expiresAt}
        />,
      )
    })
    .post(`/dl/:token${TOKEN}`, (c) => {
      const now = deps.clock.now()
      const claimed = claimDownloadLink(deps.db, c.req.param('token'), now)
      if (claimed.kind === 'gone') return c.html(gone(), 410)
      if (claimed.kind === 'over-format-cap') {
        logOverCap(claimed.link, claimed.codeCount)
        return c.html(overCap(claimed.codeCount), 409)
      }
      const link = claimed.link
      const bdb = brandDb(deps.db, link.brandId)
      const batch = findBatch(bdb, link.batchId)
      const format = PRINT_FORMATS.find((f) => f === link.format)
      if (!batch || !format) return c.html(gone(), 410)
      const file = openPrintFile(
        bdb,
        { staffId: null, label: `printer-link:${link.recipient}` },
        batch,
        format,
        { from: 1, to: batch.quantity },
        deps.config.publicBaseUrl,
        now,
        { downloadLinkId: link.id },
      )
      return streamDownload(file)
    })
}
