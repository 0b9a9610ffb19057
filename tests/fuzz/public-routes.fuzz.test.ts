import { Writable } from 'node:stream'
import { eq } from 'drizzle-orm'
import fc from 'fast-check'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, MAX_BODY_BYTES } from '../../src/app.tsx'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { buildDigitalLink } from '../../src/codes/gs1.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { codes } from '../../src/db/schema.ts'
import { FAILED_CHECKS_WINDOW_MS } from '../../src/scans/scan-routes.tsx'
import { STAFF_COOKIE } from '../../src/staff/staff-session.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  ORIGIN,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

// Every public route, and the admin routes with and without a session, under random requests.
// Bounded so that the whole file stays near 20 s inside `npm test`; FUZZ_RUNS raises it locally.
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000)
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined

/** What must never reach a client: the insides of an error. */
const LEAKS = [/\n\s{4}at /, /SQLITE/i, /drizzle/i, /Error:/]

type Fixture = {
  t: TestApp
  app: ReturnType<typeof createApp>
  errors: string[]
  token: string
  /** A genuine GS1 Digital Link path with its `?t=` tag. */
  digitalLink: string
  session: () => Promise<{ cookie: string; csrf: string | undefined }>
}

let f: Fixture

beforeAll(async () => {
  const t = buildTestApp()
  const errors: string[] = []
  // The app's onError logs the stack of anything unexpected: keep it to name the bug precisely.
  const sink = new Writable({
    write(chunk, _enc, done) {
      errors.push(String(chunk))
      done()
    },
  })
  const app = createApp({ ...t.deps, logger: pino({ level: 'error' }, sink) })
  const brand = await insertBrand(t, { slug: 'fuzz' })
  const product = insertProduct(t, brand.brandId, { sku: 'FZ-1', gtin: '9506000134352' })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity: 3, lot: 'L1' })
  const gs1 = insertBatch(t, brand.brandId, product.id, { quantity: 2, urlMode: 'gs1', lot: 'L2' })
  for (const b of [batch, gs1])
    activateCodes(brandDb(t.db, brand.brandId), { staffId: null, label: 'test' }, b.id, null, t.clock.now())
  const tokenOf = (batchId: number) => {
    const row = t.db.select().from(codes).where(eq(codes.batchId, batchId)).limit(1).get()!
    return assembleToken(row.kid, row.serial, row.tag)
  }
  const token = tokenOf(batch.id)
  const digitalLink = new URL(
    buildDigitalLink({ baseUrl: ORIGIN, gtin: '9506000134352', lot: 'L2', token: tokenOf(gs1.id) }),
  )
  const session = async () => {
    const owner = await signInAs(t, brand.ownerId)
    return { cookie: owner.cookie, csrf: owner.csrfToken }
  }
  f = {
    t,
    app,
    errors,
    token,
    digitalLink: `${digitalLink.pathname}${digitalLink.search}`,
    session,
  }
})

// ---- arbitraries ---------------------------------------------------------------------------

const latin1 = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((n) => String.fromCharCode(n)) })
const junk = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '..', '%', '%ZZ', '%E0%A4%A', '%FF%FE', '%00', '%2F..%2F', '\u202e', '💥', '<script>'),
)
/** A path segment as a browser or a scanner might send it (percent-escapes left half-broken on purpose). */
const segment = fc
  .tuple(junk, fc.boolean())
  .map(([s, raw]) => (raw ? encodeURIComponent(s).replace(/%25/g, '%') : encodeURIComponent(s)))
const crockford = fc.string({
  unit: fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZabcxyz-*~='),
  maxLength: 40,
})
const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 20 })
const bigNumber = fc.oneof(fc.nat(), fc.constantFrom('0', '99999999999999999999999', '1e400', '-1', '00001'))

function paths(): fc.Arbitrary<string> {
  return fc.oneof(
    segment.map((s) => `/c/${s}`),
    segment.map((s) => `/C/${s}`),
    crockford.map((s) => `/c/${s}`),
    fc.constant(null).map(() => `/c/${f.token}`),
    fc.constant(null).map(() => `/c/${f.token.toLowerCase()}`),
    fc.tuple(crockford, fc.integer({ min: 0, max: 20 })).map(([s, i]) => `/C/${f.token.slice(0, i)}${s}`),
    fc.tuple(digits, segment, segment).map(([g, s, q]) => `/01/${g}/21/${s}?t=${q}`),
    fc.tuple(digits, segment, segment).map(([g, l, s]) => `/01/${g}/10/${l}/21/${s}`),
    fc.constant(null).map(() => f.digitalLink),
    segment.map((s) => `${f.digitalLink.replace(/\?t=.*/, '')}?t=${s}`),
    segment.map((s) => `${f.digitalLink.replace(/\/10\/[^/]+/, '')}&t=${s}`),
    segment.map((s) => `/01/09506000134352/21/${s}`),
    fc.constantFrom('/verify', '/verify?lang=en', '/verify?lang=%FF', '/verify?lang=zz-ZZ&lang=en'),
    fc.tuple(bigNumber, segment).map(([n, q]) => `/scans/${n}/location?${q}`),
    segment.map((s) => `/dl/${s}`),
    fc
      .string({ unit: fc.constantFrom(...'abcdefghijABCDEFGHIJ0123456789_-'), minLength: 20, maxLength: 64 })
      .map((s) => `/dl/${s}`),
    fc
      .tuple(
        fc.constantFrom(
          '',
          '/',
          '/sign-in',
          '/invite/',
          '/staff',
          '/staff/1/role',
          '/staff/x/role',
          '/audit',
          '/products',
          '/products/new',
          '/products/',
          '/batches',
          '/batches/new',
          '/batches/',
          '/links/',
          '/codes',
          '/codes/void',
        ),
        fc.oneof(fc.constant(''), bigNumber.map(String), segment),
        fc.constantFrom('', '/progress', '/codes', '/export', '/activate', '/void', '/links', '/revoke'),
        fc.oneof(
          fc.constant(''),
          segment.map((s) => `?q=${s}&page=${s}&status=${s}&notice=${s}&next=${s}`),
        ),
      )
      .map(([base, id, tail, query]) => `/admin${base}${base.endsWith('/') ? id + tail : ''}${query}`),
    fc.array(segment, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
    fc.constantFrom(
      '/',
      '/healthz',
      '/readyz',
      '/static/app.css',
      '/static/scan.js',
      '//admin',
      '/%2e%2e/admin',
    ),
  )
}

const methods = fc.constantFrom('GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS')

const headerValue = fc.oneof(
  latin1,
  fc.nat({ max: 64 * 1024 }).map((n) => 'A'.repeat(n)),
  fc.constantFrom('', ' ', 'null', 'undefined', '=;=;', '%FF', '\u00ff\u00fe'),
)

const headers = fc.record(
  {
    cookie: fc.oneof(
      headerValue,
      headerValue.map((v) => `${STAFF_COOKIE}=${v}`),
      headerValue.map((v) => `oc_dev=${v}; oc_lang=${v}`),
      fc.constant('oc_dev=; oc_dev=a; oc_dev=%'),
    ),
    'accept-language': fc.oneof(
      headerValue,
      fc.constantFrom('*', 'zh-CN;q=abc', 'en;q=2, zh;q=-1', ',,,;;;', 'x'.repeat(10_000), 'en-US,en;q=0.9'),
    ),
    'content-type': fc.constantFrom(
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=latin1',
      'multipart/form-data',
      'multipart/form-data; boundary=',
      'multipart/form-data; boundary=XYZ',
      'application/json',
      'text/plain',
      'text/html; charset=utf-16',
      '',
      '*/*',
    ),
    'hx-request': fc.constantFrom('true', 'false', ''),
    'x-csrf-token': headerValue,
    'x-forwarded-for': headerValue,
    'user-agent': headerValue,
    referer: headerValue,
    origin: fc.constantFrom(ORIGIN, 'null', 'http://evil.test', ''),
    'sec-fetch-site': fc.constantFrom('same-origin', 'cross-site', 'none'),
  },
  { requiredKeys: [] },
)

const multipartGarbage = fc
  .tuple(latin1, latin1, fc.uint8Array({ maxLength: 512 }), fc.boolean())
  .map(([name, value, bytes, closed]) => {
    const head = `--XYZ\r\nContent-Disposition: form-data; name="${name}"; filename="${value}"\r\nContent-Type: x/y\r\n\r\n`
    const tail = closed ? '\r\n--XYZ--\r\n' : '\r\n--XY'
    return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(bytes), Buffer.from(tail)])
  })

const body = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 2048 }),
  fc.constantFrom(
    Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc, 0xff, 0xfe]),
  ),
  fc
    .dictionary(
      fc.oneof(
        fc.constantFrom('code', '_csrf', 'decision', 'geo', 'lat', 'lon', 'accuracy', 'sku', 'name'),
        junk,
      ),
      junk,
    )
    .map((d) => new URLSearchParams(d).toString()),
  fc.json(),
  multipartGarbage,
  fc.string({ maxLength: 4096 }),
)

type Req = {
  method: string
  path: string
  headers: Record<string, string>
  body: string | Uint8Array | undefined
  signedIn: boolean
  withCsrf: boolean
}

const requests: fc.Arbitrary<Req> = fc.record({
  method: methods,
  path: fc.constant(null).chain(() => paths()),
  headers,
  body,
  signedIn: fc.boolean(),
  withCsrf: fc.boolean(),
})

// ---- driving the app -----------------------------------------------------------------------

let sent = 0
let current: { cookie: string; csrf: string | undefined } | undefined

async function send(r: Req): Promise<{ res: Response; text: string }> {
  // Rate limits are per IP ('unknown' here) and per device in a fixed window: move the clock on
  // now and then so that the scan routes keep answering pages rather than only 429s.
  if (sent++ % 20 === 0) {
    f.t.clock.advance(FAILED_CHECKS_WINDOW_MS + 1)
    current = undefined
  }
  const h: Record<string, string> = { ...r.headers }
  if (r.signedIn && !r.path.includes('sign-out')) {
    current ??= await f.session()
    h.cookie = `${current.cookie}; ${h.cookie ?? ''}`
    if (r.withCsrf && current.csrf) h['x-csrf-token'] = current.csrf
  }
  const canHaveBody = r.method !== 'GET' && r.method !== 'HEAD'
  const init: RequestInit = { method: r.method, headers: h }
  if (canHaveBody && r.body !== undefined) init.body = r.body as RequestInit['body']
  const res = await f.app.request(`${ORIGIN}${r.path}`, init)
  const text = r.method === 'HEAD' ? '' : await res.text()
  return { res, text }
}

function explain(r: Req, status: number): string {
  const stack = f.errors.at(-1) ?? '(nothing logged)'
  const shown = { ...r, body: typeof r.body === 'string' ? r.body.slice(0, 300) : r.body?.slice(0, 300) }
  return `${status} for ${JSON.stringify(shown)}\nlogged: ${stack.slice(0, 3000)}`
}

const statuses = new Map<string, number>()
afterAll(() => {
  // FUZZ_STATS=1 shows what the runs reached (so a change that makes everything 404 is noticed).
  if (process.env.FUZZ_STATS) console.log({ statuses: [...statuses].sort() })
})
describe('a malformed multipart body', () => {
  it('answers 400, not 500, to a multipart Content-Type with an empty body', async () => {
    const res = await f.app.request(`${ORIGIN}/scans/0/location`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'multipart/form-data; boundary=XYZ' },
    })
    expect(res.status).toBeLessThan(500)
  })
})

describe('any request to any route', () => {
  it('never answers 5xx and never shows the insides of an error', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const errorsBefore = f.errors.length
        let result: { res: Response; text: string }
        try {
          result = await send(r)
        } catch (err) {
          // The test client refused to build the request (e.g. a header value it rejects): not the app.
          if (err instanceof TypeError && /header|Request|URL|body/i.test(err.message)) return
          throw err
        }
        const { res, text } = result
        const key = `${r.method} ${r.path.split('/')[1]} ${res.status}`
        statuses.set(key, (statuses.get(key) ?? 0) + 1)
        if (res.status >= 500 || f.errors.length > errorsBefore) throw new Error(explain(r, res.status))
        for (const leak of LEAKS) {
          if (leak.test(text))
            throw new Error(`body leaks ${leak}: ${explain(r, res.status)}\n${text.slice(0, 500)}`)
        }
      }),
      { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: 15_000 },
    )
  }, 60_000)
})

describe('an oversized body', () => {
  const postRoutes = () => [
    '/verify',
    '/scans/1/location',
    `/dl/${'a'.repeat(24)}`,
    '/admin/sign-in',
    `/admin/invite/${'a'.repeat(24)}`,
    '/admin/sign-out',
    '/admin/products',
    '/admin/products/1',
    '/admin/batches',
    '/admin/batches/1/export',
    '/admin/batches/1/activate',
    '/admin/batches/1/void',
    '/admin/batches/1/links',
    '/admin/links/1/revoke',
    '/admin/staff',
    '/admin/staff/1/role',
    `/c/${'A'.repeat(30)}`,
    '/no-such-route',
  ]
  const contentTypes = [
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=XYZ',
    'text/plain',
  ]

  it('answers 413 to every POST route when Content-Length says more than 256 KB', async () => {
    const { cookie, csrf } = await f.session()
    const big = `code=${'A'.repeat(MAX_BODY_BYTES + 1)}`
    for (const path of postRoutes()) {
      for (const type of contentTypes) {
        for (const signedIn of [false, true]) {
          const res = await f.app.request(`${ORIGIN}${path}`, {
            method: 'POST',
            headers: {
              origin: ORIGIN,
              'content-type': type,
              ...(signedIn ? { cookie, 'x-csrf-token': csrf ?? '' } : {}),
            },
            body: big,
          })
          expect(res.status, `${path} ${type} signedIn=${signedIn}`).toBe(413)
        }
      }
    }
  })

  it('answers 413 to a chunked body with no Content-Length that grows past 256 KB', async () => {
    const { cookie, csrf } = await f.session()
    for (const path of postRoutes()) {
      for (const signedIn of [false, true]) {
        let pulled = 0
        const chunk = new TextEncoder().encode('A'.repeat(16 * 1024))
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            // Far more than the limit, and endless in effect: the app must stop reading at the limit.
            if (pulled++ > 200) controller.close()
            else controller.enqueue(chunk)
          },
        })
        const req = new Request(`${ORIGIN}${path}`, {
          method: 'POST',
          headers: {
            origin: ORIGIN,
            'content-type': 'application/x-www-form-urlencoded',
            ...(signedIn ? { cookie, 'x-csrf-token': csrf ?? '' } : {}),
          },
          body: stream,
          duplex: 'half',
        } as RequestInit)
        expect(req.headers.get('content-length')).toBeNull()
        const res = await f.app.request(req)
        expect(res.status, `${path} signedIn=${signedIn}`).toBe(413)
        expect(pulled, `${path} read ${pulled} chunks`).toBeLessThan(200)
      }
    }
  })

  it('answers 413 for random sizes above the limit and never for an allowed size on /verify', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 64 * 1024 }), fc.boolean(), async (extra, over) => {
        f.t.clock.advance(FAILED_CHECKS_WINDOW_MS + 1)
        const size = over ? MAX_BODY_BYTES + extra : MAX_BODY_BYTES - extra
        const res = await f.app.request(`${ORIGIN}/verify`, {
          method: 'POST',
          headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
          body: `code=${'A'.repeat(size - 5)}`,
        })
        if (over) expect(res.status).toBe(413)
        else expect(res.status).not.toBe(413)
      }),
      { numRuns: 30, seed: SEED },
    )
  })
})
