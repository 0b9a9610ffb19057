import fs from 'node:fs'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { eq } from 'drizzle-orm'
import { BatchForm } from '../src/batches/batch-input.ts'
import { createBatch, findBatch, mintChunk } from '../src/batches/batch-store.ts'
import { activateCodes } from '../src/batches/code-actions-store.ts'
import {
  isOverFormatCap,
  MAX_PDF_CODES,
  PRINT_FORMATS,
  type PrintFormat,
} from '../src/batches/print-formats.ts'
import { openPrintFile } from '../src/batches/print-job.ts'
import { DEFAULT_GRID, isPrintableGrid } from '../src/batches/print-pdf.ts'
import { findDistributorByCode } from '../src/channels/distributor-store.ts'
import { readSerialList } from '../src/channels/serial-list.ts'
import { createShipment, type ShipmentTarget, WHOLE_BRAND_SCOPE } from '../src/channels/shipment-store.ts'
import { baseUrlTooLong } from '../src/codes/code-url.ts'
import { createSigningKey } from '../src/codes/key-store.ts'
import type { Keyring } from '../src/codes/keyring.ts'
import { type Config, ConfigError, loadConfig } from '../src/config.ts'
import { brandDb } from '../src/db/brand-scope.ts'
import type { Db } from '../src/db/index.ts'
import { products } from '../src/products/product-schema.ts'
import { recordAudit } from '../src/staff/audit-store.ts'
import { BRAND_SLUG, createBrand } from '../src/staff/brand-setup.ts'
import { generatePassword, hashPassword } from '../src/staff/password.ts'
import { brands } from '../src/staff/staff-schema.ts'
import { BACKUP_HELP, backupCommand, RESTORE_HELP, restoreCommand } from './backup-command.ts'
import { missingDatabase, openInstallation } from './installation.ts'
import { INTERRUPT_STATUS, type InterruptSignal, onInterrupt, type SignalTarget } from './interrupt.ts'
import { JOBS_HELP, jobsCommand } from './jobs-command.ts'
import { outFileProblem, writeFileAtomically } from './out-file.ts'
import { createProgress, type ProgressOut } from './progress.ts'
import { STAFF_HELP, staffCommand } from './staff-command.ts'

export type CliIo = { stdout: ProgressOut; stderr: ProgressOut; env: Record<string, string | undefined> }

/** A wrong call: printed as one line, exit status 2. */
class UsageError extends Error {}

const HELP: Record<string, string> = {
  main: `onecode-codegen — make code batches and print files for onecode

Usage: onecode-codegen <command> [options]

Commands:
  batch     create a batch of codes for a product and mint it
  export    write a batch's print file (csv, txt, csv-zip, svg-zip, pdf)
  activate  activate a batch or a range of it (warehouse-out)
  ship      activate and bind a batch, a range or a list of codes to a distributor
  brand     create or list brands (platform admin)
  key       rotate a brand's signing key (platform admin)
  staff     disable, enable or reset the password of a staff member (platform admin)
  backup    copy the database to a file while the server runs
  restore   restore a checked backup into DATA_DIR
  jobs      run the member-programme jobs now (tags, birthday bonus, churn)

Run 'onecode-codegen <command> --help' for a command's options.
Reads DATA_DIR (default ./data) like the server, and refuses one without a database (the server
creates it at its first start; 'brand create --init' can too).`,
  batch: `Usage: onecode-codegen batch --product SKU --count N [--brand SLUG] [--lot LOT] [--gs1]
                             [--produced YYYY-MM-DD] [--expires YYYY-MM-DD]
       onecode-codegen batch --resume ID

Creates a batch of N codes (1 to 10,000,000) for the product with this SKU and mints it,
showing progress on stderr. Prints the new batch id alone on the last line of stdout.
--brand is needed only when several brands have a product with this SKU.
--gs1 prints GS1 Digital Link URLs (the product needs a GTIN).
Ctrl-C stops after the chunk being stored (exit status 130) and says how far it got;
'onecode-codegen batch --resume ID' mints the rest of such a batch.`,
  export: `Usage: onecode-codegen export --batch ID --format csv|txt|csv-zip|svg-zip|pdf --out FILE
                              [--from N] [--to N] [--columns N --rows N] [--allow-localhost]

Writes the batch's print file (or codes #N to #M of it) to FILE, streaming in constant memory.
The CSV has the header seq,serial,url. Every export is recorded with the codes it held.
--columns/--rows set the PDF label grid on A4 (default 4 x 8).
The code URLs start with PUBLIC_BASE_URL, which must be set (e.g. https://oc.example.com);
--allow-localhost prints with the development default http://localhost:PORT instead.
An interrupted or failed export leaves no file behind.`,
  activate: `Usage: onecode-codegen activate --batch ID [--from N] [--to N]

Activates the batch's codes (all, or #N to #M): from now on they can earn points.`,
  ship: `Usage: onecode-codegen ship --brand SLUG --distributor CODE
                            (--batch N [--from A --to B] | --serials FILE) [--reason TEXT]

Warehouse-out (出库): activates the codes (a whole batch, codes #A to #B of it, or the codes
listed in FILE, one per line or a print-file CSV; URLs, printed codes or serials) and binds them
to the distributor with this code. Voided codes are skipped; unknown lines are reported.
Codes already bound to another distributor are re-bound only with --reason (exit status 1
without it). Every shipment is recorded and audited.`,
  brand: `Usage: onecode-codegen brand create --slug SLUG --name NAME --owner-email EMAIL [--owner-name NAME]
                                    [--init]
       onecode-codegen brand list

'create' makes a brand, its first owner and its signing key, and prints the owner's
password once. --init lets it start a new installation (database and master key) in a
DATA_DIR that has none yet; without it a DATA_DIR without a database is refused.`,
  key: `Usage: onecode-codegen key rotate --brand SLUG

Makes a new signing key for the brand's new batches; codes already printed keep verifying.`,
  backup: BACKUP_HELP,
  restore: RESTORE_HELP,
  jobs: JOBS_HELP,
  staff: STAFF_HELP,
}

/**
 * The CLI's core: parses arguments, runs one command, returns the exit status (0 ok, 1 failure,
 * 2 bad arguments). Testable without a subprocess.
 *
 * @example
 * const status = await main(['batch', '--product', 'DEMO-001', '--count', '100'], io)
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(`${HELP.main}\n`)
      return command ? 0 : 2
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      const help = HELP[command]
      if (!help) throw new UsageError(`unknown command "${command}"; try --help`)
      io.stdout.write(`${help}\n`)
      return 0
    }
    switch (command) {
      case 'batch':
        return await batchCommand(rest, io)
      case 'export':
        return await exportCommand(rest, io)
      case 'activate':
        return await activateCommand(rest, io)
      case 'ship':
        return await shipCommand(rest, io)
      case 'brand':
        return await brandCommand(rest, io)
      case 'key':
        return await keyCommand(rest, io)
      case 'backup':
        return await backupCommand(rest, io)
      case 'restore':
        return await restoreCommand(rest, io)
      case 'jobs':
        return await jobsCommand(rest, io)
      case 'staff':
        return await staffCommand(rest, io)
      default:
        throw new UsageError(`unknown command "${command}"; try --help`)
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      io.stderr.write(`onecode-codegen: ${err.message.replace(/\n\s*/g, ' ')}\n`)
      return 2
    }
    if (isParseArgsError(err)) {
      io.stderr.write(`onecode-codegen: ${(err as Error).message}\n`)
      return 2
    }
    io.stderr.write(`onecode-codegen: failed: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

function isParseArgsError(err: unknown): boolean {
  return err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')
}

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], options: T) {
  return parseArgs({ args, options, allowPositionals: false, strict: true }).values as {
    [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string
  }
}

function requireOption(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required; see --help`)
  return value
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`--${name} must be a whole number ≥ 1, got "${value}"`)
  return Number(value)
}

function cliConfig(io: CliIo): Config {
  return loadConfig({ ...io.env, LOG_LEVEL: io.env.LOG_LEVEL ?? 'warn' })
}

/** DATA_DIR's installation; a missing one is a wrong call (exit 2), not a new installation. */
function open(io: CliIo, opts: { init?: boolean } = {}) {
  const config = cliConfig(io)
  const opened = openInstallation(config, opts)
  if (opened.kind === 'missing') throw new UsageError(opened.problem)
  return { config, ...opened.rt }
}

/**
 * Printed URLs must reach the server: the localhost default would put a whole run of labels no
 * phone can open on the shelves, so it needs --allow-localhost (a test print).
 */
function checkPrintBaseUrl(config: Config, allowLocalhost: boolean, io: CliIo): void {
  if (config.publicBaseUrlIsDefault && !allowLocalhost) {
    throw new UsageError(
      `PUBLIC_BASE_URL is not set, so the code URLs would start with ${config.publicBaseUrl}, which no phone can open; set PUBLIC_BASE_URL to the server's public address (e.g. https://oc.example.com), or add --allow-localhost for a test print`,
    )
  }
  const longUrl = baseUrlTooLong(config.publicBaseUrl)
  if (longUrl) io.stderr.write(`onecode-codegen: warning: ${longUrl}\n`)
}

const cliActor = () => ({ staffId: null, label: `cli:${os.userInfo().username}` })

async function batchCommand(args: string[], io: CliIo): Promise<number> {
  const o = parse(args, {
    product: { type: 'string' },
    count: { type: 'string' },
    brand: { type: 'string' },
    lot: { type: 'string' },
    gs1: { type: 'boolean' },
    produced: { type: 'string' },
    expires: { type: 'string' },
    resume: { type: 'string' },
  })
  if (o.resume !== undefined) {
    const { resume, ...others } = o
    if (Object.values(others).some((v) => v !== undefined))
      throw new UsageError('--resume takes no other option: the batch keeps what it was created with')
    return resumeBatch(positiveInt(resume, 'resume')!, io)
  }
  const sku = requireOption(o.product, 'product')
  const count = requireOption(o.count, 'count')
  const form = BatchForm.safeParse({
    productId: 1,
    quantity: /^\d+$/.test(count) ? count : 'x',
    lot: o.lot ?? '',
    producedOn: o.produced ?? '',
    expiresOn: o.expires ?? '',
    urlMode: o.gs1 ? 'gs1' : 'short',
  })
  if (!form.success)
    throw new UsageError(form.error.issues.map((i) => `${String(i.path[0] ?? '')}: ${i.message}`).join('; '))
  const rt = open(io)
  try {
    const candidates = rt.db
      .select({ productId: products.id, brandId: products.brandId, slug: brands.slug })
      .from(products)
      .innerJoin(brands, eq(brands.id, products.brandId))
      .where(eq(products.sku, sku))
      .all()
      .filter((p) => !o.brand || p.slug === o.brand)
    if (candidates.length === 0)
      throw new UsageError(`no product with SKU "${sku}"${o.brand ? ` in brand "${o.brand}"` : ''}`)
    if (candidates.length > 1) {
      throw new UsageError(
        `several brands have SKU "${sku}" (${candidates.map((c) => c.slug).join(', ')}); name one with --brand`,
      )
    }
    const target = candidates[0]!
    const bdb = brandDb(rt.db, target.brandId)
    const outcome = createBatch(
      bdb,
      rt.keyring,
      cliActor(),
      {
        ...form.data,
        productId: target.productId,
        lot: form.data.lot ?? null,
        producedOn: form.data.producedOn ?? null,
        expiresOn: form.data.expiresOn ?? null,
      },
      Date.now(),
    )
    if (outcome.kind === 'gs1-needs-gtin')
      throw new UsageError(`--gs1 needs a product with a GTIN; "${sku}" has none`)
    if (outcome.kind === 'no-signing-key')
      throw new UsageError(`brand "${target.slug}" has no signing key; run 'key rotate'`)
    if (outcome.kind !== 'created') throw new UsageError(`no product with SKU "${sku}"`)
    return await mintRest(rt.db, rt.keyring, outcome.batch, io)
  } finally {
    rt.db.$client.close()
  }
}

/** `batch --resume ID`: mints the rest of a batch an interrupt or a crash left `minting`. */
async function resumeBatch(batchId: number, io: CliIo): Promise<number> {
  const rt = open(io)
  try {
    const batch = findBatchAnyBrand(rt.db, batchId)
    if (!batch) throw new UsageError(`no batch ${batchId}`)
    if (batch.status === 'failed') {
      io.stderr.write(
        `onecode-codegen: batch ${batchId} failed (${batch.error ?? 'no reason recorded'}); make a new batch\n`,
      )
      return 1
    }
    if (batch.status === 'ready') {
      io.stderr.write(`batch ${batchId}: already minted (${batch.quantity.toLocaleString('en')} codes)\n`)
      io.stdout.write(`${batchId}\n`)
      return 0
    }
    return await mintRest(rt.db, rt.keyring, batch, io)
  } finally {
    rt.db.$client.close()
  }
}

/**
 * Mints a batch's remaining chunks with progress on stderr, then prints its id on stdout. Each chunk
 * is its own transaction; on Ctrl-C (or SIGTERM) the current chunk commits, the CLI says how far it
 * got and how to finish, and exits 130 (143): the batch stays `minting`, with no code half-made.
 */
async function mintRest(
  db: Db,
  keyring: Keyring,
  batch: { id: number; quantity: number },
  io: CliIo,
  signals: SignalTarget = process,
): Promise<number> {
  let interrupted: InterruptSignal | null = null
  const release = onInterrupt(signals, (signal) => {
    interrupted = signal
  })
  try {
    const progress = createProgress(io.stderr, `batch ${batch.id}: minting`, batch.quantity)
    for (;;) {
      const p = mintChunk(db, keyring, batch.id, Date.now())
      progress.update(p.minted)
      if (p.status === 'failed') {
        io.stderr.write(`onecode-codegen: batch ${batch.id} failed while minting; make a new batch\n`)
        return 1
      }
      if (p.done) break
      // A turn of the event loop between chunks lets a signal in.
      await new Promise((resolve) => setImmediate(resolve))
      if (interrupted) {
        io.stderr.write(
          `\nbatch ${batch.id}: stopped after ${p.minted.toLocaleString('en')} of ${batch.quantity.toLocaleString('en')} codes, none half-made; finish it with 'onecode-codegen batch --resume ${batch.id}' (the server also finishes it when it next starts)\n`,
        )
        return INTERRUPT_STATUS[interrupted]
      }
    }
    progress.finish()
    io.stdout.write(`${batch.id}\n`)
    return 0
  } finally {
    release()
  }
}

async function exportCommand(args: string[], io: CliIo): Promise<number> {
  const o = parse(args, {
    batch: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    columns: { type: 'string' },
    rows: { type: 'string' },
    'allow-localhost': { type: 'boolean' },
  })
  const batchId = positiveInt(requireOption(o.batch, 'batch'), 'batch')!
  const grid = { columns: positiveInt(o.columns, 'columns'), rows: positiveInt(o.rows, 'rows') }
  if (!isPrintableGrid(grid.columns ?? DEFAULT_GRID.columns, grid.rows ?? DEFAULT_GRID.rows)) {
    throw new UsageError('--columns/--rows leave QR codes too small to scan on A4; use a smaller grid')
  }
  const formatName = requireOption(o.format, 'format')
  const format = PRINT_FORMATS.find((f) => f === formatName) as PrintFormat | undefined
  if (!format)
    throw new UsageError(`--format must be one of ${PRINT_FORMATS.join(', ')}, got "${formatName}"`)
  const out = requireOption(o.out, 'out')
  const outProblem = outFileProblem(out)
  if (outProblem) throw new UsageError(outProblem)
  checkPrintBaseUrl(cliConfig(io), o['allow-localhost'] === true, io)
  const rt = open(io)
  try {
    const batch = findBatchAnyBrand(rt.db, batchId)
    if (!batch) throw new UsageError(`no batch ${batchId}`)
    if (batch.status !== 'ready')
      throw new UsageError(`batch ${batchId} is ${batch.status}; print files need a ready batch`)
    const range = { from: positiveInt(o.from, 'from') ?? 1, to: positiveInt(o.to, 'to') ?? batch.quantity }
    if (range.from > range.to || range.to > batch.quantity) {
      throw new UsageError(`--from/--to must lie within 1..${batch.quantity}`)
    }
    if (isOverFormatCap(format, range.to - range.from + 1)) {
      throw new UsageError(
        `a PDF holds at most ${MAX_PDF_CODES.toLocaleString('en')} codes; use --from/--to or svg-zip`,
      )
    }
    const total = range.to - range.from + 1
    const progress = createProgress(io.stderr, `export batch ${batchId} ${format}`, total)
    const file = openPrintFile(
      brandDb(rt.db, batch.brandId),
      cliActor(),
      batch,
      format,
      range,
      rt.config.publicBaseUrl,
      Date.now(),
      {
        grid,
        onRow: (seq) => {
          if ((seq - range.from) % 1000 === 0 || seq === range.to) progress.update(seq - range.from + 1)
        },
      },
    )
    // The export stays recorded even when the write fails or is interrupted: its codes were on
    // disk for a while, and an audit trail that over-reports a leak beats one that misses it.
    await writeFileAtomically(out, file.stream, process, () =>
      io.stderr.write(
        `\nexport interrupted: ${out} was not written (the partial file is removed); the export stays recorded\n`,
      ),
    )
    progress.finish()
    io.stdout.write(`${out}\n`)
    return 0
  } finally {
    rt.db.$client.close()
  }
}

function findBatchAnyBrand(db: ReturnType<typeof open>['db'], batchId: number) {
  const row = db.query.batches.findFirst({ where: (b, { eq: e }) => e(b.id, batchId) }).sync()
  return row ? findBatch(brandDb(db, row.brandId), batchId) : undefined
}

async function activateCommand(args: string[], io: CliIo): Promise<number> {
  const o = parse(args, { batch: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } })
  const batchId = positiveInt(requireOption(o.batch, 'batch'), 'batch')!
  const rt = open(io)
  try {
    const batch = findBatchAnyBrand(rt.db, batchId)
    if (!batch) throw new UsageError(`no batch ${batchId}`)
    const from = positiveInt(o.from, 'from')
    const to = positiveInt(o.to, 'to')
    const range = from || to ? { from: from ?? 1, to: to ?? batch.quantity } : null
    const outcome = activateCodes(brandDb(rt.db, batch.brandId), cliActor(), batchId, range, Date.now())
    if (outcome.kind === 'bad-range')
      throw new UsageError(`--from/--to must lie within 1..${outcome.quantity}`)
    if (outcome.kind === 'not-ready') throw new UsageError(`batch ${batchId} is still minting`)
    if (outcome.kind !== 'activated') throw new UsageError(`no batch ${batchId}`)
    io.stdout.write(`${outcome.count} codes activated (${outcome.skipped} left as they were)\n`)
    return 0
  } finally {
    rt.db.$client.close()
  }
}

async function shipCommand(args: string[], io: CliIo): Promise<number> {
  const o = parse(args, {
    brand: { type: 'string' },
    distributor: { type: 'string' },
    batch: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    serials: { type: 'string' },
    reason: { type: 'string' },
  })
  const slug = requireOption(o.brand, 'brand')
  const distributorCode = requireOption(o.distributor, 'distributor')
  if ((o.batch === undefined) === (o.serials === undefined))
    throw new UsageError('give either --batch N (with --from/--to for a range) or --serials FILE')
  if (o.serials !== undefined && (o.from !== undefined || o.to !== undefined))
    throw new UsageError('--from/--to go with --batch, not with --serials')
  if ((o.from === undefined) !== (o.to === undefined)) throw new UsageError('--from and --to go together')
  const batchId = positiveInt(o.batch, 'batch')
  const from = positiveInt(o.from, 'from')
  const to = positiveInt(o.to, 'to')
  if (from !== undefined && to !== undefined && from > to)
    throw new UsageError('--from must not be after --to')
  const reason = o.reason?.trim() || null
  let listText: string | undefined
  if (o.serials !== undefined) {
    try {
      listText = fs.readFileSync(o.serials, 'utf8')
    } catch {
      throw new UsageError(`cannot read --serials file "${o.serials}"`)
    }
  }
  const rt = open(io)
  try {
    const brand = rt.db.select().from(brands).where(eq(brands.slug, slug)).get()
    if (!brand) throw new UsageError(`no brand "${slug}"`)
    const bdb = brandDb(rt.db, brand.id)
    const distributor = findDistributorByCode(bdb, distributorCode)
    if (!distributor)
      throw new UsageError(`brand "${slug}" has no distributor with code "${distributorCode}"`)
    let target: ShipmentTarget
    let unrecognised: string[] = []
    if (listText !== undefined) {
      const list = readSerialList(listText, rt.keyring, brand.id)
      if (list.kind === 'empty') throw new UsageError(`--serials file "${o.serials}" lists no codes`)
      if (list.kind === 'too-many')
        throw new UsageError(`--serials file has ${list.count} lines; at most 100,000 codes ship at once`)
      target = { kind: 'list', serials: list.serials }
      unrecognised = list.unrecognised
    } else if (from !== undefined && to !== undefined) {
      target = { kind: 'range', batchId: batchId!, from, to }
    } else {
      target = { kind: 'batch', batchId: batchId! }
    }
    const outcome = createShipment(
      bdb,
      WHOLE_BRAND_SCOPE,
      cliActor(),
      { distributorId: distributor.id, target, reason, note: null },
      Date.now(),
    )
    const failWith = (message: string) => {
      io.stderr.write(`onecode-codegen: ${message}\n`)
      return 1
    }
    switch (outcome.kind) {
      case 'batch-not-found':
        throw new UsageError(`brand "${slug}" has no batch ${batchId}`)
      case 'bad-range':
        throw new UsageError(`--from/--to must lie within 1..${outcome.quantity}`)
      case 'batch-not-ready':
        return failWith(`batch ${batchId} is still minting; ship it once minting is finished`)
      case 'distributor-not-found':
        throw new UsageError(`brand "${slug}" has no distributor with code "${distributorCode}"`)
      case 'distributor-suspended':
        return failWith(`distributor ${distributorCode} is suspended; reactivate it before shipping`)
      case 'out-of-scope':
        return failWith(`${outcome.count} codes are bound to distributors out of reach`)
      case 'nothing-to-ship':
        return failWith(
          `nothing to ship: ${outcome.voidedSkipped} voided, ${outcome.unknown.length + unrecognised.length} not codes of brand "${slug}"`,
        )
      case 'needs-reason': {
        const from = outcome.previous.map((p) => `${p.code}: ${p.count}`).join(', ')
        return failWith(
          `${outcome.rebound} codes are already bound to another distributor (${from}); re-binding them needs --reason TEXT`,
        )
      }
      case 'shipped': {
        const unknown = [...unrecognised, ...outcome.unknown]
        if (unknown.length > 0) {
          io.stderr.write(
            `${unknown.length} lines were not codes of brand "${slug}" (nothing done for them): ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', …' : ''}\n`,
          )
        }
        io.stdout.write(
          `shipment ${outcome.shipment.id}: ${outcome.bound} codes bound to ${distributor.code} (${outcome.activated} activated, ${outcome.rebound} re-bound, ${outcome.voidedSkipped} voided skipped)\n`,
        )
        return 0
      }
    }
  } finally {
    rt.db.$client.close()
  }
}

async function brandCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'list') {
    const rt = open(io)
    try {
      for (const b of rt.db.select().from(brands).all()) io.stdout.write(`${b.slug}\t${b.name}\n`)
      return 0
    } finally {
      rt.db.$client.close()
    }
  }
  if (sub !== 'create') throw new UsageError('use "brand create" or "brand list"; see brand --help')
  const o = parse(rest, {
    slug: { type: 'string' },
    name: { type: 'string' },
    'owner-email': { type: 'string' },
    'owner-name': { type: 'string' },
    init: { type: 'boolean' },
  })
  const slug = requireOption(o.slug, 'slug')
  if (!BRAND_SLUG.test(slug)) throw new UsageError('--slug: 3 to 40 lower-case letters, digits and dashes')
  const name = requireOption(o.name, 'name')
  const email = requireOption(o['owner-email'], 'owner-email')
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    throw new UsageError(`--owner-email is not an email address: "${email}"`)
  const isNew = o.init === true && missingDatabase(cliConfig(io)) !== null
  const rt = open(io, { init: o.init === true })
  try {
    if (isNew)
      io.stderr.write(
        `onecode-codegen: started a new installation in ${rt.config.dataDir}; back up its master key (${rt.config.masterKeyEnv ? 'ONECODE_MASTER_KEY' : rt.config.masterKeyFile})\n`,
      )
    const password = generatePassword()
    const outcome = createBrand(
      rt.db,
      rt.masterKey,
      {
        slug,
        name,
        ownerEmail: email,
        ownerName: o['owner-name'] ?? email,
        passwordHash: await hashPassword(password),
      },
      Date.now(),
    )
    if (outcome.kind === 'slug-taken') throw new UsageError(`a brand with slug "${slug}" exists`)
    if (outcome.kind === 'email-taken') throw new UsageError(`"${email}" already has an onecode account`)
    io.stdout.write(`brand ${slug} created\nowner: ${email}\npassword: ${password}\n(shown only this once)\n`)
    return 0
  } finally {
    rt.db.$client.close()
  }
}

async function keyCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub !== 'rotate') throw new UsageError('use "key rotate --brand SLUG"')
  const o = parse(rest, { brand: { type: 'string' } })
  const slug = requireOption(o.brand, 'brand')
  const rt = open(io)
  try {
    const brand = rt.db.select().from(brands).where(eq(brands.slug, slug)).get()
    if (!brand) throw new UsageError(`no brand "${slug}"`)
    const now = Date.now()
    const key = rt.db.transaction((tx) => {
      const created = createSigningKey(tx, rt.masterKey, brand.id, now)
      recordAudit(tx, brand.id, cliActor(), now, {
        action: 'key.rotate',
        subjectType: 'brand',
        subjectId: brand.id,
        detail: { kid: created.kid },
      })
      return created
    })
    io.stdout.write(`brand ${slug}: new signing key ${key.kid}; older keys keep verifying\n`)
    return 0
  } finally {
    rt.db.$client.close()
  }
}
