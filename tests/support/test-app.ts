import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Hono } from 'hono'
import pino from 'pino'
import { createApp } from '../../src/app.tsx'
import type { AppDeps, AppEnv } from '../../src/app-deps.ts'
import { batches } from '../../src/batches/batch-schema.ts'
import { type Batch, createBatch, mintChunk } from '../../src/batches/batch-store.ts'
import { createMintRunner, type MintRunner } from '../../src/batches/mint-runner.ts'
import { fixedClock } from '../../src/clock.ts'
import { Keyring, type SigningKey } from '../../src/codes/keyring.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { type Db, openDatabase } from '../../src/db/index.ts'
import { createProduct, type Product } from '../../src/products/product-store.ts'
import { createBrand } from '../../src/staff/brand-setup.ts'
import { hashPassword } from '../../src/staff/password.ts'
import { type StaffRole, staff } from '../../src/staff/staff-schema.ts'
import { deriveKey, issueStaffSession, STAFF_COOKIE } from '../../src/staff/staff-session.ts'
import { findStaff, type StaffRow } from '../../src/staff/staff-store.ts'

/** The base every request of the tests goes to; Hono's csrf() compares Origin with it. */
export const ORIGIN = 'http://localhost'
export const PUBLIC_BASE_URL = 'http://localhost:3000'
export const START = Date.UTC(2026, 10, 1)
export const DEFAULT_PASSWORD = 'correct horse battery staple'

export type TestApp = {
  app: Hono<AppEnv>
  db: Db
  clock: ReturnType<typeof fixedClock>
  keyring: Keyring
  masterKey: Uint8Array
  mintRunner: MintRunner
  deps: AppDeps
}

/**
 * The real app over a private in-memory database (real migrations), a fixed clock at
 * 2026-11-01 UTC, an empty keyring and a fresh master key. `publicBaseUrlIsDefault` plays a server
 * started without PUBLIC_BASE_URL (the base URL is then the localhost default).
 *
 * @example
 * const t = buildTestApp(); const res = await t.app.request(`${ORIGIN}/healthz`)
 */
export function buildTestApp(
  opts: { publicBaseUrl?: string; publicBaseUrlIsDefault?: boolean } = {},
): TestApp {
  const db = openDatabase(':memory:')
  const clock = fixedClock(START)
  const keyring = new Keyring()
  const masterKey = new Uint8Array(randomBytes(32))
  const logger = pino({ level: 'silent' })
  const mintRunner = createMintRunner({ db, keyring, clock, logger })
  const deps: AppDeps = {
    db,
    clock,
    keyring,
    masterKey,
    logger,
    mintRunner,
    config: {
      publicBaseUrl: opts.publicBaseUrl ?? PUBLIC_BASE_URL,
      publicBaseUrlIsDefault: opts.publicBaseUrlIsDefault ?? false,
      cookieSecure: false,
    },
  }
  return { app: createApp(deps), db, clock, keyring, masterKey, mintRunner, deps }
}

// scrypt costs ~50–100 ms: each distinct password is hashed once per test file.
const hashes = new Map<string, Promise<string>>()
function hashOnce(password: string): Promise<string> {
  let hash = hashes.get(password)
  if (!hash) {
    hash = hashPassword(password)
    hashes.set(password, hash)
  }
  return hash
}

export type InsertedBrand = {
  brandId: number
  slug: string
  ownerId: number
  ownerEmail: string
  ownerPassword: string
  key: SigningKey
}

/** A brand with its owner and its signing key (added to the keyring), as the platform admin makes it. */
export async function insertBrand(
  t: TestApp,
  input: { slug: string; password?: string },
): Promise<InsertedBrand> {
  const ownerEmail = `owner@${input.slug}.test`
  const ownerPassword = input.password ?? DEFAULT_PASSWORD
  const outcome = createBrand(
    t.db,
    t.masterKey,
    {
      slug: input.slug,
      name: `Brand ${input.slug}`,
      ownerEmail,
      ownerName: `Owner of ${input.slug}`,
      passwordHash: await hashOnce(ownerPassword),
    },
    t.clock.now(),
  )
  if (outcome.kind !== 'created') throw new Error(`insertBrand(${input.slug}): ${outcome.kind}`)
  t.keyring.add(outcome.key)
  return {
    brandId: outcome.brandId,
    slug: input.slug,
    ownerId: outcome.ownerId,
    ownerEmail,
    ownerPassword,
    key: outcome.key,
  }
}

/** A staff member with a password set (an accepted invitation). */
export async function insertStaff(
  t: TestApp,
  brandId: number,
  input: { role: StaffRole; email: string; password?: string },
): Promise<StaffRow & { password: string }> {
  const password = input.password ?? DEFAULT_PASSWORD
  const row = t.db
    .insert(staff)
    .values({
      brandId,
      email: input.email,
      name: input.email.split('@')[0] ?? input.email,
      role: input.role,
      passwordHash: await hashOnce(password),
      createdAt: t.clock.now(),
    })
    .returning()
    .get()
  return { ...row, password }
}

export function insertProduct(
  t: TestApp,
  brandId: number,
  input: { sku: string; name?: string; gtin?: string; points?: number },
): Product {
  const outcome = createProduct(
    brandDb(t.db, brandId),
    { staffId: null, label: 'test' },
    {
      sku: input.sku,
      name: input.name ?? `Product ${input.sku}`,
      gtin: input.gtin ?? null,
      points: input.points ?? 10,
      imageUrl: null,
      notes: null,
    },
    t.clock.now(),
  )
  if (outcome.kind !== 'saved') throw new Error(`insertProduct(${input.sku}): ${outcome.kind}`)
  return outcome.product
}

/** A batch, minted in the foreground to the end (status `ready`). */
export function insertBatch(
  t: TestApp,
  brandId: number,
  productId: number,
  input: { quantity: number; urlMode?: 'short' | 'gs1'; lot?: string },
): Batch {
  const outcome = createBatch(
    brandDb(t.db, brandId),
    t.keyring,
    { staffId: null, label: 'test' },
    {
      productId,
      quantity: input.quantity,
      lot: input.lot ?? null,
      producedOn: null,
      expiresOn: null,
      urlMode: input.urlMode ?? 'short',
    },
    t.clock.now(),
  )
  if (outcome.kind !== 'created') throw new Error(`insertBatch: ${outcome.kind}`)
  while (!mintChunk(t.db, t.keyring, outcome.batch.id, t.clock.now()).done) {}
  return t.db.select().from(batches).where(eq(batches.id, outcome.batch.id)).get()!
}

type Form = Record<string, string> | FormData

/** A signed-in browser: carries the session cookie, the Origin header and the CSRF token. */
export type Client = {
  cookie: string
  csrfToken: string | undefined
  get(path: string, headers?: Record<string, string>): Promise<Response>
  /** Adds `_csrf` unless the form already names one; `{ _csrf: '' }` sends none. */
  post(path: string, form?: Form, headers?: Record<string, string>): Promise<Response>
}

export function request(
  app: Hono<AppEnv>,
  path: string,
  init: {
    method?: string
    headers?: Record<string, string>
    body?: string | URLSearchParams | FormData
  } = {},
): Promise<Response> {
  return Promise.resolve(app.request(`${ORIGIN}${path}`, init))
}

/** Posts a form the way a browser on our own pages does (same Origin). */
export function postForm(
  app: Hono<AppEnv>,
  path: string,
  form: Form,
  headers: Record<string, string> = {},
): Promise<Response> {
  const isMultipart = form instanceof FormData
  return request(app, path, {
    method: 'POST',
    headers: {
      origin: ORIGIN,
      ...(isMultipart ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      ...headers,
    },
    body: isMultipart ? form : new URLSearchParams(form),
  })
}

/** The value of a cookie set by a response ('' when it was cleared), or undefined. */
export function cookieFrom(res: Response, name: string): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const eqAt = pair!.indexOf('=')
    if (pair!.slice(0, eqAt).trim() === name) return pair!.slice(eqAt + 1)
  }
  return undefined
}

export function csrfTokenIn(html: string): string | undefined {
  return (
    /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? /X-CSRF-Token&quot;:&quot;([^&]+)&quot;/.exec(html)?.[1]
  )
}

/**
 * Signs in through the real form and returns a client with the session cookie and the CSRF token
 * read from the first page the role may see (the token stays undefined for a role with none).
 *
 * @example
 * const owner = await signIn(t.app, brand.ownerEmail, brand.ownerPassword)
 * await owner.post('/admin/products', { sku: 'TEA-1', name: 'Tea' })
 */
export async function signIn(app: Hono<AppEnv>, email: string, password: string): Promise<Client> {
  const res = await postForm(app, '/admin/sign-in', { email, password })
  const session = cookieFrom(res, STAFF_COOKIE)
  if (res.status !== 303 || !session) throw new Error(`sign-in of ${email} answered ${res.status}`)
  return withCsrfToken(clientWithCookie(app, `${STAFF_COOKIE}=${session}`))
}

/**
 * A signed-in client without the ~100 ms of scrypt: the session cookie is issued exactly as the
 * sign-in route issues it (the form itself is covered by staff-auth.test.ts).
 *
 * @example
 * const owner = await signInAs(t, brand.ownerId)
 */
export async function signInAs(t: TestApp, staffId: number): Promise<Client> {
  const row = findStaff(t.db, staffId)
  if (!row) throw new Error(`signInAs: no staff member ${staffId}`)
  const jwt = await issueStaffSession(
    deriveKey(t.masterKey, 'staff session'),
    { staffId: row.id, brandId: row.brandId, role: row.role, sessionVersion: row.sessionVersion },
    t.clock.now(),
  )
  return withCsrfToken(clientWithCookie(t.app, `${STAFF_COOKIE}=${jwt}`))
}

/** Reads the CSRF token off the first page the role may see (undefined for a role with none). */
async function withCsrfToken(client: Client): Promise<Client> {
  for (const page of ['/admin/batches', '/admin/codes', '/admin/staff']) {
    client.csrfToken = csrfTokenIn(await (await client.get(page)).text())
    if (client.csrfToken) break
  }
  return client
}

export function clientWithCookie(app: Hono<AppEnv>, cookie: string, csrfToken?: string): Client {
  const client: Client = {
    cookie,
    csrfToken,
    get: (path, headers = {}) => request(app, path, { headers: { cookie: client.cookie, ...headers } }),
    post: (path, form = {}, headers = {}) => {
      const token = client.csrfToken
      if (form instanceof FormData) {
        if (token && !form.has('_csrf')) form.append('_csrf', token)
        return postForm(app, path, form, { cookie: client.cookie, ...headers })
      }
      const withToken = '_csrf' in form || !token ? form : { _csrf: token, ...form }
      return postForm(app, path, withToken, { cookie: client.cookie, ...headers })
    },
  }
  return client
}

/** The path of a redirect, e.g. '/admin/sign-in?next=%2Fadmin'. */
export function locationOf(res: Response): string | null {
  return res.headers.get('location')
}
