import { memberCsrfKey, memberCsrfToken } from '../../src/members/account-csrf.ts'
import { identityColumns, memberPii } from '../../src/members/member-pii.ts'
import { members } from '../../src/members/member-schema.ts'
import { issueMemberSession, memberCookieName } from '../../src/members/member-session.ts'
import { deriveKey } from '../../src/staff/staff-session.ts'
import { type Client, clientWithCookie, type TestApp } from './test-app.ts'

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
