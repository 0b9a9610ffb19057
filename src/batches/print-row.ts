/**
 * One code as a print file shows it.
 *
 * `seq` is the 1-based position in the batch, `serial` the human-readable code with dashes
 * (`AB12-CD34-…`), `url` the exact text the QR encodes: an upper-case short URL in short mode (so
 * the QR uses alphanumeric mode) or a GS1 Digital Link URL with its `?t=` tag.
 */
export type PrintRow = { seq: number; serial: string; url: string }

/**
 * Where the print writers pull rows from: a batch may hold 10 million codes, so rows are read one
 * at a time as the output stream is consumed, never collected.
 */
export type PrintRowSource = AsyncIterable<PrintRow>
