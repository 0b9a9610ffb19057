import { Readable } from 'node:stream'
import type { Context } from 'hono'
import { Hono } from 'hono'
import {
  ActivateConfirmPage,
  BatchesPage,
  type BatchFormValues,
  BatchPage,
  BatchProgress,
  CodesTable,
  type CodesTableProps,
  NewBatchPage,
} from '../../views/admin/batches-pages.tsx'
import { CodesPage, type LookupResult } from '../../views/admin/codes-page.tsx'
import { createNotices } from '../admin-notice.ts'
import type { AppDeps, AppEnv, SignedInStaff } from '../app-deps.ts'
import { tokenFromInput } from '../codes/code-input.ts'
import { assembleToken, formatHuman } from '../codes/token.ts'
import { wantsFragment } from '../htmx-request.ts'
import { listProducts } from '../products/product-store.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { BatchForm, ConfirmForm, ExportForm, LinkForm, RangeForm, VoidForm } from './batch-input.ts'
import { CODE_STATES, type CodeState } from './batch-schema.ts'
import {
  type Code,
  countCodesByState,
  createBatch,
  findBatch,
  findCodeBySerial,
  listBatches,
  listCodes,
} from './batch-store.ts'
import {
  type ActivationRefusal,
  activateCodes,
  activationRefusal,
  MAX_VOID_LIST,
  voidRange,
  voidSerials,
} from './code-actions-store.ts'
import {
  createDownloadLink,
  exportsHoldingCode,
  listDownloadLinks,
  listPrintExports,
  revokeDownloadLink,
} from './print-export-store.ts'
import { isOverFormatCap, MAX_PDF_CODES } from './print-formats.ts'
import { openPrintFile } from './print-job.ts'

const actorOf = (s: SignedInStaff) => ({ staffId: s.staffId, label: s.email })
const humanOf = (c: Code) => formatHuman(assembleToken(c.kid, c.serial, c.tag))

function parseState(v: string | undefined): CodeState | undefined {
  return CODE_STATES.find((s) => s === v)
}

/** The page of codes a request asks for (`?state=…&after=…` or `&before=…`), as the codes table shows it. */
function codesTableOf(c: Context<AppEnv>, batchId: number): CodesTableProps {
  const state = parseState(c.req.query('state'))
  const page = listCodes(c.get('staff').bdb, batchId, {
    afterSeq: Number(c.req.query('after')) || undefined,
    beforeSeq: Number(c.req.query('before')) || undefined,
    state,
  })
  return {
    batchId,
    codes: page.rows,
    nextAfterSeq: page.nextAfterSeq,
    prevBeforeSeq: page.prevBeforeSeq,
    state,
    human: humanOf,
  }
}

const PDF_CAP = MAX_PDF_CODES.toLocaleString('en')

/** The admin console's batches: create (minted in the background), watch, print, activate, void. */
export function createBatchRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  function renderBatch(
    c: Context<AppEnv>,
    batchId: number,
    extra: { notice?: string; errors?: string[]; newLink?: string } = {},
    status: 200 | 422 = 200,
  ) {
    const s = c.get('staff')
    const batch = findBatch(s.bdb, batchId)
    if (!batch) return c.notFound()
    c.header('Vary', 'HX-Request')
    return c.html(
      <BatchPage
        staff={staffView(s)}
        batch={batch}
        counts={countCodesByState(s.bdb, batchId)}
        codes={codesTableOf(c, batchId)}
        links={can(s.role, 'print.link') ? listDownloadLinks(s.bdb, batchId) : []}
        exports={listPrintExports(s.bdb, batchId)}
        canEdit={can(s.role, 'catalogue.write')}
        canMakeLinks={can(s.role, 'print.link')}
        notice={extra.notice ?? notices.read(c)}
        errors={extra.errors}
        newLink={extra.newLink}
        defaultBaseUrl={deps.config.publicBaseUrlIsDefault ? deps.config.publicBaseUrl : undefined}
      />,
      status,
    )
  }

  return new Hono<AppEnv>()
    .get('/batches', requireRole('catalogue.read'), (c) => {
      const s = c.get('staff')
      const page = listBatches(s.bdb, Number(c.req.query('before')) || undefined)
      return c.html(
        <BatchesPage
          staff={staffView(s)}
          batches={page.rows}
          nextBefore={page.nextBefore}
          canEdit={can(s.role, 'catalogue.write')}
        />,
      )
    })
    .get('/batches/new', requireRole('catalogue.write'), (c) => {
      const s = c.get('staff')
      return c.html(
        <NewBatchPage
          staff={staffView(s)}
          products={listProducts(s.bdb)}
          values={{ productId: c.req.query('product') }}
        />,
      )
    })
    .post('/batches', requireRole('catalogue.write'), async (c) => {
      const s = c.get('staff')
      const body = (await c.req.parseBody()) as BatchFormValues
      const fail = (errors: string[]) =>
        c.html(
          <NewBatchPage staff={staffView(s)} products={listProducts(s.bdb)} values={body} errors={errors} />,
          422,
        )
      const parsed = BatchForm.safeParse(body)
      if (!parsed.success) return fail(issuesOf(parsed.error))
      // A key rotated (or a brand made) by the CLI since start signs this batch, not a stale one.
      deps.refreshKeys?.()
      const outcome = createBatch(
        s.bdb,
        deps.keyring,
        actorOf(s),
        {
          ...parsed.data,
          lot: parsed.data.lot ?? null,
          producedOn: parsed.data.producedOn ?? null,
          expiresOn: parsed.data.expiresOn ?? null,
        },
        deps.clock.now(),
      )
      if (outcome.kind === 'product-not-found') return fail(['Choose one of your products.'])
      if (outcome.kind === 'gs1-needs-gtin')
        return fail([
          'GS1 Digital Link needs a product with a GTIN. Add the GTIN to the product or choose short URLs.',
        ])
      if (outcome.kind === 'no-signing-key')
        return fail(['Your brand has no signing key yet. Ask the platform administrator.'])
      deps.mintRunner.enqueue(outcome.batch.id)
      return c.redirect(`/admin/batches/${outcome.batch.id}`, 303)
    })
    .get('/batches/:id{[0-9]+}', requireRole('catalogue.read'), (c) =>
      renderBatch(c, Number(c.req.param('id'))),
    )
    .get('/batches/:id{[0-9]+}/progress', requireRole('catalogue.read'), (c) => {
      const batch = findBatch(c.get('staff').bdb, Number(c.req.param('id')))
      if (!batch) return c.notFound()
      c.header('Vary', 'HX-Request')
      // The panel alone is no page: a plain GET (a sign-in that came back here) gets the batch.
      if (!wantsFragment(c)) return c.redirect(`/admin/batches/${batch.id}`, 303)
      // Once minting ends the whole page changes (downloads, actions, codes): reload it.
      if (batch.status !== 'minting') c.header('HX-Refresh', 'true')
      return c.html(<BatchProgress batch={batch} />)
    })
    .get('/batches/:id{[0-9]+}/codes', requireRole('catalogue.read'), (c) => {
      const s = c.get('staff')
      const batchId = Number(c.req.param('id'))
      if (!findBatch(s.bdb, batchId)) return c.notFound()
      // The pager pushes this URL into history: a reload, and htmx restoring it on Back, get the page.
      if (!wantsFragment(c)) return renderBatch(c, batchId)
      c.header('Vary', 'HX-Request')
      return c.html(<CodesTable {...codesTableOf(c, batchId)} />)
    })
    .post('/batches/:id{[0-9]+}/export', requireRole('print.download'), async (c) => {
      const s = c.get('staff')
      const batchId = Number(c.req.param('id'))
      const batch = findBatch(s.bdb, batchId)
      if (!batch) return c.notFound()
      const parsed = ExportForm.safeParse(await c.req.parseBody())
      if (!parsed.success) return renderBatch(c, batchId, { errors: issuesOf(parsed.error) }, 422)
      const range = { from: parsed.data.from ?? 1, to: parsed.data.to ?? batch.quantity }
      if (batch.status !== 'ready')
        return renderBatch(c, batchId, { errors: ['Print files can be made once minting is finished.'] }, 422)
      if (range.from > range.to || range.to > batch.quantity) {
        return renderBatch(c, batchId, { errors: [`Choose codes between #1 and #${batch.quantity}.`] }, 422)
      }
      // The CLI's cap: pdfkit keeps an index entry per page in memory for as long as the file streams.
      if (isOverFormatCap(parsed.data.format, range.to - range.from + 1)) {
        const message = `A PDF label sheet holds at most ${PDF_CAP} codes: choose a range of at most ${PDF_CAP}, or use SVG ZIP / CSV.`
        return renderBatch(c, batchId, { errors: [message] }, 422)
      }
      const file = openPrintFile(
        s.bdb,
        actorOf(s),
        batch,
        parsed.data.format,
        range,
        deps.config.publicBaseUrl,
        deps.clock.now(),
        { grid: { columns: parsed.data.columns, rows: parsed.data.rows } },
      )
      return streamDownload(file)
    })
    .post('/batches/:id{[0-9]+}/activate', requireRole('catalogue.write'), async (c) => {
      const s = c.get('staff')
      const batchId = Number(c.req.param('id'))
      const body = await c.req.parseBody()
      const parsed = RangeForm.safeParse(body)
      if (!parsed.success) return renderBatch(c, batchId, { errors: issuesOf(parsed.error) }, 422)
      const refuse = (refusal: ActivationRefusal) =>
        renderBatch(
          c,
          batchId,
          {
            errors: [
              refusal.kind === 'not-ready'
                ? 'Codes can be activated once minting is finished.'
                : `Choose codes between #1 and #${refusal.quantity}.`,
            ],
          },
          422,
        )
      // Activation cannot be undone and binds no distributor: only the confirmation page, which
      // names the count and says so, sends confirm=yes.
      if (!ConfirmForm.safeParse(body).success) {
        const batch = findBatch(s.bdb, batchId)
        if (!batch) return c.notFound()
        const refusal = activationRefusal(batch, parsed.data)
        if (refusal) return refuse(refusal)
        return c.html(<ActivateConfirmPage staff={staffView(s)} batch={batch} range={parsed.data} />)
      }
      const outcome = activateCodes(s.bdb, actorOf(s), batchId, parsed.data, deps.clock.now())
      if (outcome.kind === 'not-found') return c.notFound()
      if (outcome.kind !== 'activated') return refuse(outcome)
      const skipped =
        outcome.skipped > 0
          ? ` (${outcome.skipped} already activated, claimed or voided were left as they were)`
          : ''
      return c.redirect(
        notices.href(c, `/admin/batches/${batchId}`, `${outcome.count} codes activated${skipped}.`),
        303,
      )
    })
    .post('/batches/:id{[0-9]+}/void', requireRole('catalogue.write'), async (c) => {
      const s = c.get('staff')
      const batchId = Number(c.req.param('id'))
      const body = await c.req.parseBody()
      const range = RangeForm.safeParse(body)
      const form = VoidForm.safeParse(body)
      if (!range.success || !form.success) {
        return renderBatch(
          c,
          batchId,
          {
            errors: [
              ...(range.error ? issuesOf(range.error) : []),
              ...(form.error ? issuesOf(form.error) : []),
            ],
          },
          422,
        )
      }
      const outcome = voidRange(
        s.bdb,
        actorOf(s),
        batchId,
        range.data,
        { reason: form.data.reason, note: form.data.note ?? null },
        deps.clock.now(),
      )
      if (outcome.kind === 'not-found') return c.notFound()
      if (outcome.kind === 'bad-range')
        return renderBatch(c, batchId, { errors: [`Choose codes between #1 and #${outcome.quantity}.`] }, 422)
      return c.redirect(
        notices.href(
          c,
          `/admin/batches/${batchId}`,
          `${outcome.count} codes voided (${outcome.alreadyVoided} were already void).`,
        ),
        303,
      )
    })
    .post('/batches/:id{[0-9]+}/links', requireRole('print.link'), async (c) => {
      const s = c.get('staff')
      const batchId = Number(c.req.param('id'))
      const batch = findBatch(s.bdb, batchId)
      if (!batch) return c.notFound()
      const parsed = LinkForm.safeParse(await c.req.parseBody())
      if (!parsed.success) return renderBatch(c, batchId, { errors: issuesOf(parsed.error) }, 422)
      if (batch.status !== 'ready')
        return renderBatch(c, batchId, { errors: ['Links can be made once minting is finished.'] }, 422)
      // A link carries the whole batch (the printer downloads #1 to the last code).
      if (isOverFormatCap(parsed.data.format, batch.quantity)) {
        const message = `A PDF label sheet holds at most ${PDF_CAP} codes, and a printer link carries the whole batch of ${batch.quantity.toLocaleString('en')}: choose SVG ZIP or CSV for the link, or download PDFs of at most ${PDF_CAP} codes under Print files.`
        return renderBatch(c, batchId, { errors: [message] }, 422)
      }
      const { token } = createDownloadLink(s.bdb, actorOf(s), { batchId, ...parsed.data }, deps.clock.now())
      return renderBatch(c, batchId, {
        notice: 'Link created.',
        newLink: `${deps.config.publicBaseUrl}/dl/${token}`,
      })
    })
    .post('/links/:id{[0-9]+}/revoke', requireRole('print.link'), (c) => {
      const s = c.get('staff')
      const revoked = revokeDownloadLink(s.bdb, actorOf(s), Number(c.req.param('id')), deps.clock.now())
      const back = c.req.header('referer')?.match(/\/admin\/batches\/\d+/)?.[0] ?? '/admin/batches'
      return c.redirect(
        notices.href(c, back, revoked ? 'Link revoked' : 'Link was already used or revoked'),
        303,
      )
    })
    .get('/codes', requireRole('codes.lookup'), (c) => {
      const s = c.get('staff')
      const q = c.req.query('q')?.slice(0, 300)
      const result = q ? lookUp(deps, s, q) : undefined
      return c.html(
        <CodesPage staff={staffView(s)} query={q} result={result} canVoid={can(s.role, 'catalogue.write')} />,
        result && result.kind !== 'found' ? 404 : 200,
      )
    })
    .post('/codes/void', requireRole('catalogue.write'), async (c) => {
      const s = c.get('staff')
      const body = await c.req.parseBody()
      const form = VoidForm.safeParse(body)
      const fail = (errors: string[]) =>
        c.html(<CodesPage staff={staffView(s)} canVoid errors={errors} />, 422)
      if (!form.success) return fail(issuesOf(form.error))
      const text = `${typeof body.codes === 'string' ? body.codes : ''}\n${body.file instanceof File ? await body.file.text() : ''}`
      const candidates = codeCandidates(text)
      if (candidates.length === 0) return fail(['Paste at least one code or upload a CSV with codes.'])
      if (candidates.length > MAX_VOID_LIST)
        return fail([`At most ${MAX_VOID_LIST.toLocaleString('en')} codes at once; split the list.`])
      const serials: string[] = []
      const invalid: string[] = []
      for (const cand of candidates) {
        const v = deps.keyring.verify(tokenFromInput(cand))
        if (v.kind === 'valid' && v.brandId === s.brandId) serials.push(v.serial)
        else invalid.push(cand)
      }
      const outcome = voidSerials(
        s.bdb,
        actorOf(s),
        serials,
        { reason: form.data.reason, note: form.data.note ?? null },
        deps.clock.now(),
      )
      if (outcome.kind !== 'voided') return fail(['Nothing was voided.'])
      const unknown = invalid.length + outcome.unknown.length
      const notice = `${outcome.count} codes voided, ${outcome.alreadyVoided} were already void${unknown > 0 ? `, ${unknown} lines were not codes of your brand (nothing done for them)` : ''}.`
      return c.html(<CodesPage staff={staffView(s)} canVoid notice={notice} />)
    })
}

/** Lines of pasted text or CSV cells that may hold a code; a CSV header row is skipped. */
function codeCandidates(text: string): string[] {
  const out: string[] = []
  for (const line of text.split(/\r?\n/)) {
    const cells = line.split(/[,\t;]/).map((x) => x.trim().replace(/^"|"$/g, ''))
    const cell = cells.find((x) => /\/c\/|\/21\//i.test(x)) ?? cells.find((x) => x.length >= 20) ?? cells[0]
    if (cell && !/^(seq|serial|url|code)$/i.test(cell)) out.push(cell)
  }
  return out.filter((x) => x !== '')
}

function lookUp(deps: AppDeps, s: SignedInStaff, q: string): LookupResult {
  const v = deps.keyring.verify(tokenFromInput(q))
  if (v.kind === 'malformed') return { kind: 'not-genuine', reason: 'it is not in the format of our codes.' }
  if (v.kind === 'bad-check')
    return { kind: 'not-genuine', reason: 'a character is wrong or two are swapped (check character).' }
  if (v.kind !== 'valid')
    return { kind: 'not-genuine', reason: 'its signature does not match (forged or mistyped).' }
  if (v.brandId !== s.brandId) return { kind: 'not-found' }
  const code = findCodeBySerial(s.bdb, v.serial)
  if (!code) return { kind: 'not-found' }
  return {
    kind: 'found',
    code,
    human: formatHuman(v.token),
    exports: exportsHoldingCode(s.bdb, code.batchId, code.seq),
  }
}

/** Streams a print file to the browser as a download, in constant memory. */
export function streamDownload(file: { stream: Readable; fileName: string; contentType: string }): Response {
  return new Response(Readable.toWeb(file.stream) as ReadableStream, {
    headers: {
      'content-type': file.contentType,
      'content-disposition': `attachment; filename="${file.fileName}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}
