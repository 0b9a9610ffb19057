import { type Context, Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import { MessagePage, SetPasswordPage, SignInPage } from '../../views/admin/sign-in-page.tsx'
import {
  AccountPage,
  AuditPage,
  type IssuedLink,
  StaffConfirmPage,
  StaffPage,
} from '../../views/admin/staff-pages.tsx'
import { fixedNotice } from '../admin-notice.ts'
import type { AppDeps, AppEnv, SignedInStaff } from '../app-deps.ts'
import { createRateLimiter } from '../rate-limit.ts'
import { createClientIp } from '../request-ip.ts'
import { listAudit } from './audit-store.ts'
import { hashPassword, MIN_PASSWORD_LENGTH } from './password.ts'
import { requireRole } from './staff-auth.ts'
import {
  type ChangePasswordField,
  ChangePasswordForm,
  fieldErrorsOf,
  InviteForm,
  issuesOf,
  RoleForm,
  SetPasswordForm,
  SignInForm,
  safeNextPath,
} from './staff-input.ts'
import { issueStaffSession, STAFF_COOKIE, STAFF_SESSION_TTL_S, type StaffClaims } from './staff-session.ts'
import {
  acceptInvite,
  bumpSessionVersion,
  changeOwnPassword,
  changeRole,
  disableStaff,
  enableStaff,
  findBrandStaff,
  findInvite,
  inviteStaff,
  LOCKOUT_MS,
  listStaffWithStatus,
  MAX_FAILED_SIGN_INS,
  normalizeEmail,
  reissueInvite,
  revokeInvite,
  type SignInOutcome,
  signIn,
} from './staff-store.ts'

type StaffDeps = AppDeps & { sessionKey: Uint8Array }

export const SIGN_IN_ATTEMPTS_PER_IP = 30
const SIGN_IN_WINDOW_MS = 10 * 60_000

/**
 * The success banners of the staff pages, by key: the banner is trusted text, so a crafted link
 * (`?notice=Your account is locked, call …`) must not be able to write it.
 */
const NOTICES: Record<string, string> = {
  role: 'Role changed. Their sessions were signed out.',
  disabled: 'Staff member disabled and signed out everywhere.',
  enabled: 'Staff member enabled: they can sign in again.',
  'invite-revoked': 'Invitation revoked: the link no longer works.',
}

const ACCOUNT_NOTICES: Record<string, string> = {
  password: 'Your password was changed. Your other sessions were signed out.',
}

export function staffView(s: SignedInStaff) {
  return { name: s.name, email: s.email, role: s.role, brandName: s.brandName, csrfToken: s.csrfToken }
}

/** Sign-in, sign-out and invitation acceptance: the admin routes reachable without a session. */
export function createStaffPublicRoutes(deps: StaffDeps) {
  const clientIp = createClientIp(deps.config.trustProxy ?? 'none')
  const limiter = createRateLimiter({ limit: SIGN_IN_ATTEMPTS_PER_IP, windowMs: SIGN_IN_WINDOW_MS })
  // Failures per email address, known or not, so that "locked" does not reveal who has an account.
  const byEmail = createRateLimiter({ limit: MAX_FAILED_SIGN_INS, windowMs: LOCKOUT_MS })
  return new Hono<AppEnv>()
    .get('/sign-in', (c) => c.html(<SignInPage next={c.req.query('next')} />))
    .post('/sign-in', async (c) => {
      const parsed = SignInForm.safeParse(await c.req.parseBody())
      if (!parsed.success) return c.html(<SignInPage error="Enter your email and password." />, 422)
      const now = deps.clock.now()
      const limit = limiter.hit(clientIp(c), now)
      if (!limit.allowed) {
        c.header('Retry-After', String(limit.retryAfterS))
        return c.html(
          <SignInPage
            email={parsed.data.email}
            error="Too many sign-in attempts from your network. Wait a few minutes."
          />,
          429,
        )
      }
      const emailKey = normalizeEmail(parsed.data.email)
      // Counted before the ~100 ms of scrypt: requests sent together must not all pass a peek.
      const emailLimit = byEmail.hit(emailKey, now)
      const outcome: SignInOutcome = emailLimit.allowed
        ? await signIn(deps.db, parsed.data, now)
        : { kind: 'locked', until: now + emailLimit.retryAfterS * 1000 }
      if (outcome.kind === 'locked') {
        c.header('Retry-After', String(Math.max(1, Math.ceil((outcome.until - now) / 1000))))
        const minutes = Math.ceil((outcome.until - now) / 60_000)
        return c.html(
          <SignInPage
            email={parsed.data.email}
            error={`Too many wrong passwords. This account is locked for ${minutes} more minutes.`}
          />,
          429,
        )
      }
      if (outcome.kind === 'invalid') {
        return c.html(
          <SignInPage email={parsed.data.email} error="Wrong email or password." next={parsed.data.next} />,
          401,
        )
      }
      byEmail.reset(emailKey)
      const s = outcome.staff
      await setSessionCookie(
        c,
        deps,
        { staffId: s.id, brandId: s.brandId, role: s.role, sessionVersion: s.sessionVersion },
        now,
      )
      return c.redirect(safeNextPath(parsed.data.next), 303)
    })
    .get('/invite/:token', (c) => {
      const invite = findInvite(deps.db, c.req.param('token'), deps.clock.now())
      if (invite.kind === 'invalid') return invalidInvite(c)
      return c.html(<SetPasswordPage email={invite.staff.email} token={c.req.param('token')} />)
    })
    .post('/invite/:token', async (c) => {
      const token = c.req.param('token')
      const invite = findInvite(deps.db, token, deps.clock.now())
      if (invite.kind === 'invalid') return invalidInvite(c)
      const parsed = SetPasswordForm.safeParse(await c.req.parseBody())
      if (!parsed.success) {
        return c.html(
          <SetPasswordPage
            email={invite.staff.email}
            token={token}
            error={issuesOf(parsed.error).join('; ')}
          />,
          422,
        )
      }
      const hash = await hashPassword(parsed.data.password)
      if (!acceptInvite(deps.db, invite.inviteId, invite.staff.id, hash, deps.clock.now()))
        return invalidInvite(c)
      return c.redirect('/admin/sign-in', 303)
    })
}

/** The session cookie, as sign-in sets it and a password change re-issues it. */
async function setSessionCookie(c: Context<AppEnv>, deps: StaffDeps, claims: StaffClaims, now: number) {
  const jwt = await issueStaffSession(deps.sessionKey, claims, now)
  setCookie(c, STAFF_COOKIE, jwt, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: deps.config.cookieSecure,
    path: '/',
    maxAge: STAFF_SESSION_TTL_S,
  })
}

function invalidInvite(c: Context<AppEnv>) {
  return c.html(
    <MessagePage
      title="Invitation not valid"
      message="This invitation link has expired, was replaced by a newer one, was revoked or was already used. Ask an owner of your brand for a new one."
      status="error"
    />,
    404,
  )
}

/** Sign-out, staff management and the audit log (owners); every staff member's own account. */
export function createStaffRoutes(deps: StaffDeps) {
  // Wrong current passwords per staff member: a stolen session must not become a password oracle.
  const passwordGuesses = createRateLimiter({ limit: MAX_FAILED_SIGN_INS, windowMs: LOCKOUT_MS })
  const actorOf = (s: SignedInStaff) => ({ staffId: s.staffId, label: s.email })
  const staffPage = (
    c: Context<AppEnv>,
    status: 200 | 404 | 409 | 422,
    extra: Partial<Parameters<typeof StaffPage>[0]> = {},
  ) => {
    const s = c.get('staff')
    return c.html(
      <StaffPage
        staff={staffView(s)}
        selfId={s.staffId}
        members={listStaffWithStatus(s.bdb, deps.clock.now())}
        {...extra}
      />,
      status,
    )
  }
  const staffId = (c: Context<AppEnv>) => Number(c.req.param('id'))
  const confirmPage = (
    c: Context<AppEnv>,
    action: 'disable' | 'reset-password',
    status: 200 | 422,
    errors?: string[],
  ) => {
    const s = c.get('staff')
    // Another brand's staff are not there for this brand's owner (404, not 403: no oracle of ids).
    const member = findBrandStaff(s.bdb, staffId(c))
    if (!member) return c.notFound()
    return c.html(
      <StaffConfirmPage staff={staffView(s)} member={member} action={action} errors={errors} />,
      status,
    )
  }
  const accountPage = (
    c: Context<AppEnv>,
    status: 200 | 422 | 429,
    extra: Partial<Parameters<typeof AccountPage>[0]> = {},
  ) =>
    c.html(
      <AccountPage staff={staffView(c.get('staff'))} minPasswordLength={MIN_PASSWORD_LENGTH} {...extra} />,
      status,
    )
  const issuedLink = (token: string) => `${deps.config.publicBaseUrl}/admin/invite/${token}`

  return new Hono<AppEnv>()
    .post('/sign-out', (c) => {
      bumpSessionVersion(deps.db, c.get('staff').staffId)
      deleteCookie(c, STAFF_COOKIE, { path: '/' })
      return c.redirect('/admin/sign-in', 303)
    })
    .get('/account', (c) => accountPage(c, 200, { notice: fixedNotice(c, ACCOUNT_NOTICES) }))
    .post('/account/password', async (c) => {
      const s = c.get('staff')
      const now = deps.clock.now()
      const key = String(s.staffId)
      const parsed = ChangePasswordForm.safeParse(await c.req.parseBody())
      if (!parsed.success) {
        return accountPage(c, 422, { fieldErrors: fieldErrorsOf<ChangePasswordField>(parsed.error) })
      }
      // Every guess is counted before the ~100 ms of scrypt, and forgiven once the current password
      // proves right: counting only after a wrong answer let parallel requests all pass the limit.
      const limit = passwordGuesses.hit(key, now)
      if (!limit.allowed) {
        c.header('Retry-After', String(limit.retryAfterS))
        const minutes = Math.ceil(limit.retryAfterS / 60)
        return accountPage(c, 429, {
          error: `Too many wrong current passwords. Try again in ${minutes} minutes.`,
        })
      }
      const outcome = await changeOwnPassword(deps.db, s.staffId, parsed.data, now)
      switch (outcome.kind) {
        case 'wrong-current':
          return accountPage(c, 422, { fieldErrors: { current: 'this is not your current password' } })
        case 'same-as-current':
          passwordGuesses.reset(key)
          return accountPage(c, 422, {
            fieldErrors: { password: 'the new password must differ from the current one' },
          })
        case 'stale':
          // Changed or disabled between the check and the write: the session is over either way.
          deleteCookie(c, STAFF_COOKIE, { path: '/' })
          return c.redirect('/admin/sign-in', 303)
        case 'changed':
          passwordGuesses.reset(key)
          await setSessionCookie(
            c,
            deps,
            { staffId: s.staffId, brandId: s.brandId, role: s.role, sessionVersion: outcome.sessionVersion },
            now,
          )
          return c.redirect('/admin/account?notice=password', 303)
      }
    })
    .get('/staff', requireRole('staff.manage'), (c) => staffPage(c, 200, { notice: fixedNotice(c, NOTICES) }))
    .post('/staff', requireRole('staff.manage'), async (c) => {
      const s = c.get('staff')
      const body = await c.req.parseBody()
      const parsed = InviteForm.safeParse(body)
      const values = body as { email?: string; name?: string }
      if (!parsed.success) return staffPage(c, 422, { values, errors: issuesOf(parsed.error) })
      const outcome = inviteStaff(s.bdb, actorOf(s), parsed.data, deps.clock.now())
      if (outcome.kind === 'email-taken')
        return staffPage(c, 422, { values, errors: ['This email already has an onecode account.'] })
      return staffPage(c, 200, { inviteLink: { url: issuedLink(outcome.token) } })
    })
    .post('/staff/:id{[0-9]+}/role', requireRole('staff.manage'), async (c) => {
      const s = c.get('staff')
      const parsed = RoleForm.safeParse(await c.req.parseBody())
      const id = staffId(c)
      if (!parsed.success || !Number.isSafeInteger(id)) {
        return staffPage(c, 422, { errors: ['Choose a valid role.'] })
      }
      const outcome = changeRole(s.bdb, actorOf(s), id, parsed.data.role, deps.clock.now())
      if (outcome.kind === 'not-found') return c.notFound()
      if (outcome.kind === 'last-owner') {
        return staffPage(c, 422, {
          errors: ['A brand needs at least one owner: make someone else owner first.'],
        })
      }
      return c.redirect('/admin/staff?notice=role', 303)
    })
    .get('/staff/:id{[0-9]+}/disable', requireRole('staff.manage'), (c) => confirmPage(c, 'disable', 200))
    .post('/staff/:id{[0-9]+}/disable', requireRole('staff.manage'), async (c) => {
      const s = c.get('staff')
      const body = await c.req.parseBody()
      if (body.confirm !== 'yes') {
        return confirmPage(c, 'disable', 422, ['Confirm with the button below to disable this person.'])
      }
      const outcome = disableStaff(s.bdb, actorOf(s), staffId(c), deps.clock.now())
      switch (outcome.kind) {
        case 'not-found':
          return c.notFound()
        case 'self':
          return staffPage(c, 409, {
            errors: ['You cannot disable yourself. Ask another owner of your brand.'],
          })
        case 'last-owner':
          return staffPage(c, 409, {
            errors: [
              'This is the brand’s last owner who can sign in: make someone else owner first, then disable.',
            ],
          })
        case 'already-disabled':
        case 'disabled':
          return c.redirect('/admin/staff?notice=disabled', 303)
      }
    })
    .post('/staff/:id{[0-9]+}/enable', requireRole('staff.manage'), (c) => {
      const s = c.get('staff')
      const outcome = enableStaff(s.bdb, actorOf(s), staffId(c), deps.clock.now())
      if (outcome.kind === 'not-found') return c.notFound()
      return c.redirect('/admin/staff?notice=enabled', 303)
    })
    .post('/staff/:id{[0-9]+}/revoke-invite', requireRole('staff.manage'), (c) => {
      const s = c.get('staff')
      const outcome = revokeInvite(s.bdb, actorOf(s), staffId(c), deps.clock.now())
      switch (outcome.kind) {
        case 'not-found':
          return c.notFound()
        case 'not-pending':
          return staffPage(c, 409, {
            errors: ['This person already set a password: disable them or reset their password instead.'],
          })
        case 'nothing-open':
        case 'revoked':
          return c.redirect('/admin/staff?notice=invite-revoked', 303)
      }
    })
    .post('/staff/:id{[0-9]+}/invite', requireRole('staff.manage'), (c) => reissue(c, false))
    .get('/staff/:id{[0-9]+}/reset-password', requireRole('staff.manage'), (c) =>
      confirmPage(c, 'reset-password', 200),
    )
    .post('/staff/:id{[0-9]+}/reset-password', requireRole('staff.manage'), async (c) => {
      const body = await c.req.parseBody()
      if (body.confirm !== 'yes') {
        return confirmPage(c, 'reset-password', 422, [
          'Confirm with the button below to reset this person’s password.',
        ])
      }
      return reissue(c, true)
    })
    .get('/audit', requireRole('audit.read'), (c) => {
      const s = c.get('staff')
      const before = Number(c.req.query('before')) || undefined
      const page = listAudit(s.bdb, before)
      return c.html(<AuditPage staff={staffView(s)} rows={page.rows} nextBefore={page.nextBefore} />)
    })

  /** A new invitation link, or (confirmed) a password reset; the link is shown once, so no redirect. */
  function reissue(c: Context<AppEnv>, resetConfirmed: boolean) {
    const s = c.get('staff')
    const outcome = reissueInvite(
      s.bdb,
      actorOf(s),
      { staffId: staffId(c), allowReset: resetConfirmed },
      deps.clock.now(),
    )
    switch (outcome.kind) {
      case 'not-found':
        return c.notFound()
      case 'reset-not-confirmed':
        // They set a password meanwhile: resetting it signs them out, so only after the confirmation.
        return confirmPage(c, 'reset-password', 200)
      case 'self':
        return staffPage(c, 409, { errors: ['Change your own password on your account page.'] })
      case 'disabled':
        return staffPage(c, 409, { errors: ['This person is disabled: enable them first.'] })
      case 'issued': {
        const link: IssuedLink = {
          url: issuedLink(outcome.token),
          email: outcome.email,
          reset: outcome.reset,
        }
        return staffPage(c, 200, { inviteLink: link })
      }
    }
  }
}
