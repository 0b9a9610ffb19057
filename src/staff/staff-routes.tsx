import { type Context, Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import { MessagePage, SetPasswordPage, SignInPage } from '../../views/admin/sign-in-page.tsx'
import { AuditPage, StaffPage } from '../../views/admin/staff-pages.tsx'
import type { AppDeps, AppEnv, SignedInStaff } from '../app-deps.ts'
import { createRateLimiter } from '../rate-limit.ts'
import { clientIp } from '../request-ip.ts'
import { listAudit } from './audit-store.ts'
import { hashPassword } from './password.ts'
import { requireRole } from './staff-auth.ts'
import { InviteForm, issuesOf, RoleForm, SetPasswordForm, SignInForm, safeNextPath } from './staff-input.ts'
import { issueStaffSession, STAFF_COOKIE, STAFF_SESSION_TTL_S } from './staff-session.ts'
import {
  acceptInvite,
  bumpSessionVersion,
  changeRole,
  findInvite,
  inviteStaff,
  LOCKOUT_MS,
  listStaff,
  MAX_FAILED_SIGN_INS,
  normalizeEmail,
  type SignInOutcome,
  signIn,
} from './staff-store.ts'

type StaffDeps = AppDeps & { sessionKey: Uint8Array }

const SIGN_IN_ATTEMPTS_PER_IP = 30
const SIGN_IN_WINDOW_MS = 10 * 60_000

export function staffView(s: SignedInStaff) {
  return { name: s.name, email: s.email, role: s.role, brandName: s.brandName, csrfToken: s.csrfToken }
}

/** Sign-in, sign-out and invitation acceptance: the admin routes reachable without a session. */
export function createStaffPublicRoutes(deps: StaffDeps) {
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
      const emailLimit = byEmail.peek(emailKey, now)
      const outcome: SignInOutcome = emailLimit.allowed
        ? await signIn(deps.db, parsed.data, now)
        : { kind: 'locked', until: now + emailLimit.retryAfterS * 1000 }
      if (outcome.kind === 'locked') {
        const minutes = Math.ceil((outcome.until - now) / 60_000)
        return c.html(
          <SignInPage
            email={parsed.data.email}
            error={`Too many wrong passwords. This account is locked for ${minutes} more minutes.`}
          />,
          429,
        )
      }
      if (outcome.kind === 'invalid') byEmail.hit(emailKey, now)
      else byEmail.reset(emailKey)
      if (outcome.kind === 'invalid') {
        return c.html(
          <SignInPage email={parsed.data.email} error="Wrong email or password." next={parsed.data.next} />,
          401,
        )
      }
      const s = outcome.staff
      const jwt = await issueStaffSession(
        deps.sessionKey,
        { staffId: s.id, brandId: s.brandId, role: s.role, sessionVersion: s.sessionVersion },
        now,
      )
      setCookie(c, STAFF_COOKIE, jwt, {
        httpOnly: true,
        sameSite: 'Lax',
        secure: deps.config.cookieSecure,
        path: '/',
        maxAge: STAFF_SESSION_TTL_S,
      })
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

function invalidInvite(c: Context<AppEnv>) {
  return c.html(
    <MessagePage
      title="Invitation not valid"
      message="This invitation link has expired or was already used. Ask an owner of your brand for a new one."
      status="error"
    />,
    404,
  )
}

/** Sign-out, staff management and the audit log (owners). */
export function createStaffRoutes(deps: StaffDeps) {
  return new Hono<AppEnv>()
    .post('/sign-out', (c) => {
      bumpSessionVersion(deps.db, c.get('staff').staffId)
      deleteCookie(c, STAFF_COOKIE, { path: '/' })
      return c.redirect('/admin/sign-in', 303)
    })
    .get('/staff', requireRole('staff.manage'), (c) => {
      const s = c.get('staff')
      return c.html(
        <StaffPage staff={staffView(s)} members={listStaff(s.bdb)} notice={c.req.query('notice')} />,
      )
    })
    .post('/staff', requireRole('staff.manage'), async (c) => {
      const s = c.get('staff')
      const body = await c.req.parseBody()
      const parsed = InviteForm.safeParse(body)
      const render = (status: 200 | 422, extra: { errors?: string[]; inviteLink?: string }) =>
        c.html(
          <StaffPage
            staff={staffView(s)}
            members={listStaff(s.bdb)}
            values={status === 422 ? (body as { email?: string; name?: string }) : undefined}
            {...extra}
          />,
          status,
        )
      if (!parsed.success) return render(422, { errors: issuesOf(parsed.error) })
      const outcome = inviteStaff(
        s.bdb,
        { staffId: s.staffId, label: s.email },
        parsed.data,
        deps.clock.now(),
      )
      if (outcome.kind === 'email-taken')
        return render(422, { errors: ['This email already has an onecode account.'] })
      return render(200, { inviteLink: `${deps.config.publicBaseUrl}/admin/invite/${outcome.token}` })
    })
    .post('/staff/:id/role', requireRole('staff.manage'), async (c) => {
      const s = c.get('staff')
      const parsed = RoleForm.safeParse(await c.req.parseBody())
      const id = Number(c.req.param('id'))
      if (!parsed.success || !Number.isSafeInteger(id)) {
        return c.html(
          <StaffPage staff={staffView(s)} members={listStaff(s.bdb)} errors={['Choose a valid role.']} />,
          422,
        )
      }
      const outcome = changeRole(
        s.bdb,
        { staffId: s.staffId, label: s.email },
        id,
        parsed.data.role,
        deps.clock.now(),
      )
      if (outcome.kind === 'not-found') return c.text('No such staff member.', 404)
      if (outcome.kind === 'last-owner') {
        return c.html(
          <StaffPage
            staff={staffView(s)}
            members={listStaff(s.bdb)}
            errors={['A brand needs at least one owner: make someone else owner first.']}
          />,
          422,
        )
      }
      return c.redirect('/admin/staff?notice=Role%20changed', 303)
    })
    .get('/audit', requireRole('audit.read'), (c) => {
      const s = c.get('staff')
      const before = Number(c.req.query('before')) || undefined
      const page = listAudit(s.bdb, before)
      return c.html(<AuditPage staff={staffView(s)} rows={page.rows} nextBefore={page.nextBefore} />)
    })
}
