/** The print files a batch can be exported as; the order is the order the admin UI offers them. */
export const PRINT_FORMATS = ['csv', 'txt', 'csv-zip', 'svg-zip', 'pdf'] as const

export type PrintFormat = (typeof PRINT_FORMATS)[number]

const CONTENT_TYPES: Record<PrintFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  'csv-zip': 'application/zip',
  'svg-zip': 'application/zip',
  pdf: 'application/pdf',
}

const FILE_SUFFIXES: Record<PrintFormat, string> = {
  csv: '.csv',
  txt: '.txt',
  'csv-zip': '-csv.zip',
  'svg-zip': '-svg.zip',
  pdf: '.pdf',
}

/**
 * The Content-Type to serve a print file with.
 *
 * @example
 * contentTypeFor('svg-zip') // 'application/zip'
 */
export function contentTypeFor(format: PrintFormat): string {
  return CONTENT_TYPES[format]
}

/**
 * The download name of a print file. The base name is reduced to `A–Z a–z 0–9 . _ -` because it
 * ends up in a Content-Disposition header and inside ZIP entry names, where `/`, quotes or CR/LF
 * would let a product or lot name break out.
 *
 * @example
 * fileNameFor('csv-zip', 'TEA-1 lot 7') // 'TEA-1-lot-7-csv.zip'
 */
export function fileNameFor(format: PrintFormat, baseName: string): string {
  return `${safeFileStem(baseName)}${FILE_SUFFIXES[format]}`
}

/**
 * A string made safe to use as (part of) a file name on every OS and inside a ZIP.
 *
 * @example
 * safeFileStem('../Lot 7/å') // 'Lot-7'
 */
export function safeFileStem(name: string): string {
  const stem = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 100)
  return stem === '' ? 'codes' : stem
}

/** pdfkit keeps a little index per page; beyond this a label sheet should be split or made as svg-zip. */
export const MAX_PDF_CODES = 100_000

/**
 * Whether a print file of this format would hold more codes than it can: only a PDF has a cap.
 *
 * @example
 * isOverFormatCap('pdf', 150_000) // true
 * isOverFormatCap('svg-zip', 10_000_000) // false
 */
export function isOverFormatCap(format: PrintFormat, codeCount: number): boolean {
  return format === 'pdf' && codeCount > MAX_PDF_CODES
}
