import { randomBytes } from 'node:crypto'
import { and, desc, eq, gt, isNull, lte, sql } from 'drizzle-orm'
import { shortCodeUrl } from '../codes/code-url.ts'
import { buildDigitalLink } from '../codes/gs1.ts'
import { assembleToken, formatHuman } from '../codes/token.ts'
import type { BrandDb } from '../db/brand-scope.ts'
import type { Db, DbLike } from '../db/index.ts'
import { products } from '../products/product-schema.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import { hashToken } from '../staff/staff-store.ts'
import { batches, codes, downloadLinks, printExports } from './batch-schema.ts'
import { type BatchWithProduct, codesInRange } from './batch-store.ts'
import type { Range } from './code-actions-store.ts'
import { isOverFormatCap, PRINT_FORMATS, type PrintFormat } from './print-formats.ts'
import type { PrintRow } from './print-row.ts'

/** Rows read per query while streaming; each page is a short read, so no cursor stays open. */
const PRINT_PAGE_SIZE = 2_000
export const DOWNLOAD_LINK_MAX_TTL_HOURS = 24 * 14

/** The URL printed for a code: short `/C/…` upper case, or a GS1 Digital Link for GS1 batches. */
export function codeUrl(
  baseUrl: string,
  batch: Pick<BatchWithProduct, 'urlMode' | 'productGtin' | 'lot'>,
  token: string,
) {
  if (batch.urlMode === 'gs1' && batch.productGtin) {
    return buildDigitalLink({ baseUrl, gtin: batch.productGtin, lot: batch.lot, token })
  }
  return shortCodeUrl(baseUrl, token)
}

/**
 * The rows of a print file, read page by page in seq order (keyset pagination), so a 10M-code file
 * streams in constant memory and other requests keep running between pages.
 */
export async function* printRows(
  db: Db,
  batch: BatchWithProduct,
  baseUrl: string,
  range: Range,
): AsyncGenerator<PrintRow> {
  let after = range.from - 1
  while (after < range.to) {
    const page = db
      .select({ seq: codes.seq, serial: codes.serial, kid: codes.kid, tag: codes.tag })
      .from(codes)
      .where(and(eq(codes.batchId, batch.id), gt(codes.seq, after), lte(codes.seq, range.to)))
      .orderBy(codes.seq)
      .limit(PRINT_PAGE_SIZE)
      .all()
    if (page.length === 0) return
    for (const r of page) {
      const token = assembleToken(r.kid, r.serial, r.tag)
      yield { seq: r.seq, serial: formatHuman(token), url: codeUrl(baseUrl, batch, token) }
    }
    after = page[page.length - 1]!.seq
    // Let other requests run between pages.
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/**
 * Records that a print file was made: who, which format and which codes (a seq range of the batch),
 * and moves those codes from `generated` to `exported`. One transaction, audited.
 */
export function recordPrintExport(
  bdb: BrandDb,
  actor: Actor,
  input: { batchId: number; format: PrintFormat; range: Range; downloadLinkId?: number },
  now: number,
): number {
  return bdb.db.transaction((tx) => {
    tx.update(codes)
      .set({ state: 'exported' })
      .where(and(codesInRange(input.batchId, input.range.from, input.range.to), eq(codes.state, 'generated')))
      .run()
    const row = tx
      .insert(printExports)
      .values({
        brandId: bdb.brandId,
        batchId: input.batchId,
        format: input.format,
        seqFrom: input.range.from,
        seqTo: input.range.to,
        codeCount: input.range.to - input.range.from + 1,
        actorStaffId: actor.staffId,
        actorLabel: actor.label,
        downloadLinkId: input.downloadLinkId ?? null,
        createdAt: now,
      })
      .returning({ id: printExports.id })
      .get()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'export.download',
      subjectType: 'batch',
      subjectId: input.batchId,
      detail: { exportId: row.id, format: input.format, ...input.range },
    })
    return row.id
  })
}

export function listPrintExports(bdb: BrandDb, batchId: number) {
  return bdb.db
    .select()
    .from(printExports)
    .where(bdb.scoped(printExports, eq(printExports.batchId, batchId)))
    .orderBy(desc(printExports.id))
    .limit(100)
    .all()
}

/** Print exports whose seq range holds the given code: the evidence trail of a leaked code. */
export function exportsHoldingCode(bdb: BrandDb, batchId: number, seq: number) {
  return bdb.db
    .select()
    .from(printExports)
    .where(
      bdb.scoped(
        printExports,
        eq(printExports.batchId, batchId),
        sql`${seq} BETWEEN ${printExports.seqFrom} AND ${printExports.seqTo}`,
      ),
    )
    .orderBy(desc(printExports.id))
    .all()
}

export type DownloadLink = typeof downloadLinks.$inferSelect

/** A one-time, expiring link for a printing house; only the hash of its token is stored. */
export function createDownloadLink(
  bdb: BrandDb,
  actor: Actor,
  input: { batchId: number; format: PrintFormat; recipient: string; ttlHours: number },
  now: number,
): { link: DownloadLink; token: string } {
  const token = randomBytes(24).toString('base64url')
  return bdb.db.transaction((tx) => {
    const link = tx
      .insert(downloadLinks)
      .values({
        brandId: bdb.brandId,
        batchId: input.batchId,
        format: input.format,
        recipient: input.recipient,
        tokenHash: hashToken(token),
        expiresAt: now + input.ttlHours * 3_600_000,
        createdByStaffId: actor.staffId,
        createdAt: now,
      })
      .returning()
      .get()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'download-link.create',
      subjectType: 'batch',
      subjectId: input.batchId,
      detail: {
        linkId: link.id,
        format: input.format,
        recipient: input.recipient,
        expiresAt: link.expiresAt,
      },
    })
    return { link, token }
  })
}

export function listDownloadLinks(bdb: BrandDb, batchId: number): DownloadLink[] {
  return bdb.db
    .select()
    .from(downloadLinks)
    .where(bdb.scoped(downloadLinks, eq(downloadLinks.batchId, batchId)))
    .orderBy(desc(downloadLinks.id))
    .all()
}

export function revokeDownloadLink(bdb: BrandDb, actor: Actor, linkId: number, now: number): boolean {
  return bdb.db.transaction((tx) => {
    const changed = tx
      .update(downloadLinks)
      .set({ revokedAt: now })
      .where(
        bdb.scoped(
          downloadLinks,
          eq(downloadLinks.id, linkId),
          isNull(downloadLinks.usedAt),
          isNull(downloadLinks.revokedAt),
        ),
      )
      .run().changes
    if (changed === 1) {
      recordAudit(tx, bdb.brandId, actor, now, {
        action: 'download-link.revoke',
        subjectType: 'download-link',
        subjectId: linkId,
      })
    }
    return changed === 1
  })
}

export type ClaimLinkOutcome =
  | { kind: 'ok'; link: DownloadLink }
  | { kind: 'gone' }
  | { kind: 'over-format-cap'; link: DownloadLink; format: PrintFormat; codeCount: number }

export type LinkState =
  | { kind: 'usable'; link: DownloadLink; format: PrintFormat; codeCount: number; productName: string }
  | { kind: 'gone' }
  | { kind: 'over-format-cap'; link: DownloadLink; format: PrintFormat; codeCount: number }

/** The where-clause of a link that can still be used: the token's, not used, not revoked, not expired. */
function usableLink(token: string, now: number) {
  return and(
    eq(downloadLinks.tokenHash, hashToken(token)),
    isNull(downloadLinks.usedAt),
    isNull(downloadLinks.revokedAt),
    gt(downloadLinks.expiresAt, now),
  )
}

/**
 * What a printer's link would give, read only: the page behind a GET, which link previews load,
 * so nothing is written. Used, expired, revoked and unknown links are all `gone`, as for
 * claimDownloadLink; a usable one comes with what the file holds (the whole batch, #1 to the last).
 *
 * @example
 * const state = inspectDownloadLink(db, token, clock.now())
 * if (state.kind === 'usable') state.productName // 'Jasmine tea 250 g'
 */
export function inspectDownloadLink(db: DbLike, token: string, now: number): LinkState {
  const found = db
    .select({ link: downloadLinks, quantity: batches.quantity, productName: products.name })
    .from(downloadLinks)
    .innerJoin(
      batches,
      and(eq(batches.id, downloadLinks.batchId), eq(batches.brandId, downloadLinks.brandId)),
    )
    .innerJoin(products, and(eq(products.id, batches.productId), eq(products.brandId, batches.brandId)))
    .where(usableLink(token, now))
    .get()
  const format = PRINT_FORMATS.find((f) => f === found?.link.format)
  // A format no longer offered makes no file (the POST answers 410 too).
  if (!found || !format) return { kind: 'gone' }
  // The link carries the whole batch (#1 to the last code), so the batch's size is what must fit.
  if (isOverFormatCap(format, found.quantity))
    return { kind: 'over-format-cap', link: found.link, format, codeCount: found.quantity }
  return {
    kind: 'usable',
    link: found.link,
    format,
    codeCount: found.quantity,
    productName: found.productName,
  }
}

/**
 * Uses up a printer's link: the first request wins atomically (a second or concurrent one gets
 * `gone`, as do expired, revoked and unknown links — a printer learns nothing from the difference).
 * A link whose format cannot hold its whole batch (a PDF link made before the console checked
 * isOverFormatCap) is `over-format-cap` and stays unused, so the brand can still see and revoke it.
 */
export function claimDownloadLink(db: Db, token: string, now: number): ClaimLinkOutcome {
  return db.transaction((tx) => {
    const state = inspectDownloadLink(tx, token, now)
    if (state.kind !== 'usable') return state
    const link = tx
      .update(downloadLinks)
      .set({ usedAt: now })
      .where(and(eq(downloadLinks.id, state.link.id), usableLink(token, now)))
      .returning()
      .get()
    return link ? { kind: 'ok', link } : { kind: 'gone' }
  })
}
