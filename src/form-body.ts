import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'

export type FormPreload = 'loaded' | 'too-large' | 'incomplete' | 'not-applicable'

const URL_ENCODED = 'application/x-www-form-urlencoded'

/**
 * Reads a url-encoded form body straight from Node's request stream and hands it to Hono's body
 * cache, so `c.req.parseBody()`, `c.req.text()` and zod-validator's 'form' read it from there.
 * Hono's own path turns the Node request into a WHATWG Request with a web stream, then parses the
 * bytes through `new Response(body).formData()` — 66 µs a form, plus the stream adapters; on the
 * claim and location posts that was a fifth of the request (npm run bench, claim row).
 *
 * Applies only under @hono/node-server (`c.env.incoming`), to a url-encoded body that declares its
 * Content-Length: a length over `maxBytes` answers `too-large` without reading a byte (the adapter
 * drains it after the response), a body cut short answers `incomplete`. Anything else — multipart
 * uploads, chunked bodies, `app.request()` in tests — is `not-applicable`: Hono's reader and
 * bodyLimit handle it as before.
 *
 * @example
 * const preload = await preloadForm(c, MAX_BODY_BYTES)
 * if (preload === 'too-large') return c.text('The request body is too large.', 413)
 */
export async function preloadForm(c: Context, maxBytes: number): Promise<FormPreload> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  if (!incoming || typeof incoming.on !== 'function' || incoming.readableDidRead) return 'not-applicable'
  const contentType = incoming.headers['content-type']
  if (contentType?.split(';')[0]?.trim().toLowerCase() !== URL_ENCODED) return 'not-applicable'
  const declared = incoming.headers['content-length']
  if (declared === undefined || !/^\d{1,15}$/.test(declared)) return 'not-applicable'
  const length = Number(declared)
  if (length > maxBytes) return 'too-large'
  const body = await readExactly(incoming, length)
  if (!body) return 'incomplete'
  const bytes = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer
  const form = new FormData()
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) form.append(key, value)
  // Hono's type names the values, but it stores promises of them and reads them back with .then;
  // it derives other forms from the first key cached: the bytes first, so text() is the raw body.
  const cache = c.req.bodyCache as unknown as Record<'arrayBuffer' | 'formData', Promise<unknown>>
  cache.arrayBuffer = Promise.resolve(bytes)
  cache.formData = Promise.resolve(form)
  return 'loaded'
}

/** The whole body (Node's parser never passes more than Content-Length), or undefined if cut short. */
function readExactly(incoming: IncomingMessage, length: number): Promise<Buffer | undefined> {
  if (length === 0) return Promise.resolve(Buffer.alloc(0))
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (result: Buffer | undefined) => {
      incoming.off('data', onData)
      incoming.off('end', onEnd)
      incoming.off('close', onClose)
      incoming.off('error', onClose)
      resolve(result)
    }
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
    }
    const onEnd = () => done(size === length ? Buffer.concat(chunks, size) : undefined)
    const onClose = () => done(undefined)
    incoming.on('data', onData)
    incoming.once('end', onEnd)
    incoming.once('close', onClose)
    incoming.once('error', onClose)
  })
}
