import { desc } from 'drizzle-orm'
import type { Hono } from 'hono'
import type { AppEnv } from '../../src/app-deps.ts'
import { memberCsrfKey, memberCsrfToken } from '../../src/members/account-csrf.ts'
import { identityColumns, memberPii } from '../../src/members/member-pii.ts'
import { members, outbox } from '../../src/members/member-schema.ts'
import { issueMemberSession, memberCookieName } from '../../src/members/member-session.ts'
import { deriveKey } from '../../src/staff/staff-session.ts'
import { type Client, clientWithCookie, postForm, request, type TestApp } from './test-app.ts'

export type InsertedMember = typeof members.$inferSelect

/**
 * A member of a brand as sign-in creates one (no consents: tests that need them add them): the
 * phone (E.164) or email is stored as sign-in stores it, keyed hash + sealed value + hint.
 *
 * @example
 * const m = insertMember(t, brand.brandId, { phone: '+8613800138000' })
 */
export function insertMember(
  t: TestApp,
  brandId: number,
  input: { phone?: string; email?: string; name?: string } = {},
): InsertedMember {
  const pii = memberPii(t.masterKey)
  const email =
    input.email ?? (input.phone ? undefined : `m${Math.random().toString(36).slice(2, 10)}@example.com`)
  return t.db
    .insert(members)
    .values({
      brandId,
      ...(input.phone ? identityColumns(pii, brandId, { channel: 'sms', phone: input.phone }) : {}),
      ...(email ? identityColumns(pii, brandId, { channel: 'email', email }) : {}),
      name: input.name ?? null,
      createdAt: t.clock.now(),
    })
    .returning()
    .get()
}

/**
 * A member's browser: the member session cookie issued exactly as sign-in issues it, and the
 * member CSRF token that `client.post` adds as `_csrf` (pass `{ _csrf: '' }` to send none).
 *
 * @example
 * const me = await memberClient(t, brand.brandId, m.id)
 * await me.post('/me/tea/profile', { name: 'Li' })
 */
export async function memberClient(t: TestApp, brandId: number, memberId: number): Promise<Client> {
  const jwt = await issueMemberSession(
    deriveKey(t.masterKey, 'member session'),
    { memberId, brandId },
    t.clock.now(),
  )
  return clientWithCookie(
    t.app,
    `${memberCookieName(brandId)}=${jwt}`,
    memberCsrfToken(memberCsrfKey(t.masterKey), memberId),
  )
}

/** The six digits of the newest one-time code in the development outbox (no sender configured). */
export function lastOneTimeCode(t: Pick<TestApp, 'db'>): string {
  const row = t.db.select().from(outbox).orderBy(desc(outbox.id)).get()
  if (!row) throw new Error('lastOneTimeCode: the outbox is empty')
  return /\d{6}/.exec(row.text)![0]
}

/**
 * A consumer's browser on the member pages: it keeps the cookies answers set (device, language,
 * member session) and sends them back, and posts forms from our own origin, as htmx when asked.
 *
 * @example
 * const b = consumerBrowser(t.app)
 * const page = await b.get('/me/tea?lang=en')
 * await b.post('/me/tea/sign-in?lang=en', { _csrf: csrfTokenIn(await page.text())!, identifier: PHONE })
 */
export function consumerBrowser(app: Hono<AppEnv>) {
  const jar = new Map<string, string>()
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const keep = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const at = pair!.indexOf('=')
      const [name, value] = [pair!.slice(0, at), pair!.slice(at + 1)]
      if (value === '') jar.delete(name)
      else jar.set(name, value)
    }
    return res
  }
  return {
    jar,
    cookie,
    get: async (path: string, headers: Record<string, string> = {}) =>
      keep(await request(app, path, { headers: { cookie: cookie(), ...headers } })),
    post: async (path: string, form: Record<string, string>, opts: { htmx?: boolean } = {}) =>
      keep(
        await postForm(app, path, form, {
          cookie: cookie(),
          ...(opts.htmx ? { 'hx-request': 'true' } : {}),
        }),
      ),
  }
}
