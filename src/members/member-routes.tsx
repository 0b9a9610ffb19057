import { type Context, Hono } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import { Layout } from '../../views/layout.tsx'
import { ACCOUNT_MESSAGES } from '../../views/member/account-messages.ts'
import {
  ClaimResult,
  type ClaimResultKind,
  SignInCodeForm,
  type SignInContext,
  SignInStartForm,
} from '../../views/member/claim-fragments.tsx'
import { MEMBER_MESSAGES } from '../../views/member/member-messages.ts'
import { alertAnswer } from '../alert-answer.tsx'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { claimFromScan } from '../channels/diversion-policy.ts'
import { DEFAULT_CODE_SENDS_PER_BRAND_PER_HOUR } from '../config.ts'
import { consumerLang } from '../consumer-lang.ts'
import { createGroupCommit } from '../db/group-commit.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import type { ClaimOutcome } from '../points/claim-store.ts'
import { createRateLimiter } from '../rate-limit.ts'
import { createClientIp } from '../request-ip.ts'
import { DEVICE_COOKIE_NAME, isValidDeviceCsrf } from '../scans/device-token.ts'
import { deriveKey } from '../staff/staff-session.ts'
import { BRAND_PARAM, findBrandBySlug } from './account-auth.ts'
import { createConsumerDevice } from './consumer-device.ts'
import { identifierOf, maskIdentifier, parseIdentity } from './member-identity.ts'
import { memberPii } from './member-pii.ts'
import { outbox } from './member-schema.ts'
import {
  issueMemberSession,
  MEMBER_SESSION_TTL_S,
  memberCookieName,
  readMemberSession,
} from './member-session.ts'
import { OTP_TTL_MS, startSignIn, verifySignIn } from './member-store.ts'
import { CodeSendError, type CodeSender } from './senders/code-sender.ts'
import { createOutboxSender } from './senders/outbox-sender.ts'

/** Codes asked for per IP per hour (on top of the per-number limits in member-store). */
export const OTP_STARTS_PER_IP_PER_HOUR = 20
export const OTP_VERIFIES_PER_IP_PER_HOUR = 60

const DeviceForm = z.object({ _csrf: z.string().max(100) })
const ClaimForm = DeviceForm.extend({ key: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) })
const IDENTIFIER = { identifier: z.string().max(254) }
const CODE = { code: z.string().max(12), acceptTerms: z.string().optional() }
const StartForm = ClaimForm.extend(IDENTIFIER)
const VerifyForm = StartForm.extend(CODE)
const AccountStartForm = DeviceForm.extend(IDENTIFIER)
const AccountVerifyForm = AccountStartForm.extend(CODE)

/** The brand a sign-in is for: its member, its codes' sender name, its account pages. */
type SignInBrand = { brandId: number; brandName: string; brandSlug: string }

// Every claim step reads the scan and the member: plain SQL prepared once per connection (through
// the query builder each read cost more than SQLite's own work; npm run bench, claim row).
const claimStatementsFor = preparedPerConnection((c) => ({
  // Only a scan of a code (code_id set) can be claimed; the brand by primary key, not a join.
  scanOfDevice: c.prepare<
    [number, string],
    { codeId: number; brandId: number; brandName: string; brandSlug: string; scanMemberId: number | null }
  >(`
    SELECT s.code_id AS codeId, s.brand_id AS brandId, s.member_id AS scanMemberId,
           (SELECT name FROM brands WHERE id = s.brand_id) AS brandName,
           (SELECT slug FROM brands WHERE id = s.brand_id) AS brandSlug
    FROM scans s
    WHERE s.id = ? AND s.device_id = ? AND s.code_id IS NOT NULL AND s.brand_id IS NOT NULL`),
  activeMember: c.prepare<[number, number], { id: number }>(
    'SELECT id FROM members WHERE id = ? AND brand_id = ? AND deleted_at IS NULL',
  ),
  // By primary key; the device and NULL conditions keep it to an anonymous scan of this phone.
  linkScan: c.prepare<[number, number, string]>(
    'UPDATE scans SET member_id = ? WHERE id = ? AND device_id = ? AND member_id IS NULL',
  ),
}))

/**
 * Claiming a scanned code's points, with sign-in by one-time code right on the scan page (the
 * claim completes after sign-in without a rescan), and the same sign-in from a brand's account
 * pages (`/me/{brand}`), which lands on the account page.
 */
export function createMemberRoutes(deps: AppDeps) {
  const sessionKey = deriveKey(deps.masterKey, 'member session')
  const signInKeys = { otpKey: deriveKey(deps.masterKey, 'member otp'), pii: memberPii(deps.masterKey) }
  const csrfKey = deriveKey(deps.masterKey, 'device csrf')
  const device = createConsumerDevice(deps)
  const clientIp = createClientIp(deps.config.trustProxy ?? 'none')
  const starts = createRateLimiter({ limit: OTP_STARTS_PER_IP_PER_HOUR, windowMs: 3_600_000 })
  const verifies = createRateLimiter({ limit: OTP_VERIFIES_PER_IP_PER_HOUR, windowMs: 3_600_000 })
  // The per-IP and per-number limits leave a brand's SMS bill to whoever has many addresses; this
  // caps the codes each brand sends in an hour, whoever asks. Counted in memory, not in
  // otp_challenges: no index serves "this brand's last hour" (otp_identifier_idx leads with brand
  // then identifier, so SQLite walks every challenge the brand ever had: 18 ms at 400k; the rowid
  // window of rowid-window.ts reads every brand's last two hours: 1 ms at 20k rows, 9 ms at 100k),
  // on every send. One server process answers every sign-in (SQLite has one writer), so one
  // counter sees every send; a restart gives each brand at most one fresh hour. With an
  // otp_challenges (brand_id, created_at) index the count can move to the table.
  const perBrandPerHour = deps.config.codeSendsPerBrandPerHour ?? DEFAULT_CODE_SENDS_PER_BRAND_PER_HOUR
  const brandSends = createRateLimiter({ limit: perBrandPerHour, windowMs: 3_600_000 })
  /** Per brand, the end of the hour whose cap the operator was told about. */
  const capAlertedUntil = new Map<number, number>()
  // Without a configured sender, codes go to the development outbox (log + admin console). The
  // outbox keeps the plain recipient because it stands in for the SMS or mail provider, which must
  // have it too; production configures a real sender and the outbox stays empty (issue 7).
  const senderFor = (brandId: number): CodeSender =>
    deps.codeSender ??
    createOutboxSender({
      record: (e) =>
        deps.db
          .insert(outbox)
          .values({ brandId, channel: e.channel, recipient: e.to, text: e.text, createdAt: e.at })
          .run(),
      log: (line) => deps.logger.info(line),
      clock: deps.clock,
    })

  // Claims arriving together share one commit (src/db/group-commit.ts); each is still judged in
  // its own savepoint, in arrival order, and answered only after COMMIT. Whether the session's
  // member is still a member (not erased) is read there too, inside the claim's transaction: no
  // window between that check and the award, and one read fewer outside a transaction.
  //
  // A scan made before signing in (a new phone, an ended session) becomes the member's when they
  // claim from it, as a scan made signed in is: their history and data download show it, with any
  // location they shared on it. Whatever the claim answers, it is their scan on their phone, so the
  // link goes first, one statement in the claim's group (none when the scan is linked already): a
  // claim that then fails leaves a correct link, never an award without its answer.
  const claim = createGroupCommit(
    deps.db,
    ({
      scanIsAnonymous,
      ...input
    }: Parameters<typeof claimFromScan>[1] & { scanIsAnonymous: boolean }):
      | ClaimOutcome
      | { kind: 'not-a-member' } => {
      const q = claimStatementsFor(deps.db)
      if (!q.activeMember.get(input.memberId, input.brandId)) return { kind: 'not-a-member' }
      if (scanIsAnonymous) q.linkScan.run(input.memberId, input.scanId, input.deviceId)
      return claimFromScan(deps.db, input, (err) =>
        deps.logger.error({ err, scanId: input.scanId }, 'bulk-claim check failed'),
      )
    },
  )

  const lang = consumerLang

  /** The scan this device made, with its code and brand: claims start from a scan page. */
  function scanOfDevice(c: Context<AppEnv>, scanId: number) {
    const deviceId = getCookie(c, DEVICE_COOKIE_NAME) ?? ''
    const row = claimStatementsFor(deps.db).scanOfDevice.get(scanId, deviceId)
    return row ? { ...row, deviceId, scanId } : undefined
  }

  /**
   * The member id of a valid session on this phone, if any. Whether that member is still a member
   * (not erased) is checked by the claim itself, in its transaction.
   */
  async function sessionMemberOf(c: Context<AppEnv>, brandId: number): Promise<number | undefined> {
    const jwt = getCookie(c, memberCookieName(brandId))
    const claims = jwt ? await readMemberSession(sessionKey, jwt, brandId, deps.clock.now()) : undefined
    return claims?.memberId
  }

  function fragment(
    c: Context<AppEnv>,
    body: unknown,
    status: 200 | 403 | 404 | 409 | 422 | 429 | 503 = 200,
    title = MEMBER_MESSAGES[lang(c)].signInTitle,
  ) {
    c.header('Vary', 'HX-Request')
    c.header('Cache-Control', 'no-store')
    if (c.req.header('hx-request')) return c.html(body as string, status)
    // Without JavaScript the same step comes as a whole page, and its form posts on from there.
    return c.html(
      <Layout title={title} lang={lang(c)}>
        <div class="consumer">{body as never}</div>
      </Layout>,
      status,
    )
  }

  /** A step of a sign-in box, as a fragment or (without JavaScript) a page titled like the box. */
  function box(c: Context<AppEnv>, ctx: SignInContext, body: unknown, status?: 200 | 422 | 429 | 503) {
    const t = MEMBER_MESSAGES[ctx.lang]
    return fragment(c, body, status, ctx.claim ? t.signInTitle : t.accountSignInTitle)
  }

  async function claimAndRender(
    c: Context<AppEnv>,
    scan: NonNullable<ReturnType<typeof scanOfDevice>>,
    memberId: number,
    form: { _csrf: string; key: string },
  ) {
    // The brand's policy for diverted goods decides inside the claim, and a new award is checked
    // for bulk claiming (a leaked print file) in the same transaction (src/channels/diversion-policy.ts).
    const outcome = await claim({
      brandId: scan.brandId,
      codeId: scan.codeId,
      memberId,
      idempotencyKey: form.key,
      now: deps.clock.now(),
      scanId: scan.scanId,
      deviceId: scan.deviceId,
      scanIsAnonymous: scan.scanMemberId === null,
    })
    const l = lang(c)
    const result = (
      kind: ClaimResultKind,
      status: 200 | 409 | 422,
      extra: { points?: number; balance?: number; claimableFrom?: number } = {},
    ) => fragment(c, <ClaimResult lang={l} kind={kind} brandSlug={scan.brandSlug} {...extra} />, status)
    switch (outcome.kind) {
      case 'not-a-member':
        // Erased since the session was issued: like no session at all, sign in (as someone new).
        return fragment(c, <SignInStartForm {...claimContext(c, scan, form)} />)
      case 'claimed':
        return result('claimed', 200, { points: outcome.points, balance: outcome.balance })
      case 'already-claimed':
        return result(outcome.byYou ? 'already-yours' : 'already-claimed', 409)
      case 'not-activated':
      case 'voided':
      case 'no-points':
        return result(outcome.kind, 422)
      case 'over-cap':
        // htmx 4 swaps a 409 like a 200: the page shows when the code can be claimed.
        return result(outcome.cap === 'daily' ? 'over-daily-cap' : 'over-weekly-cap', 409, {
          claimableFrom: outcome.claimableFrom,
        })
      case 'held':
        return outcome.byYou ? result('held', 200) : result('held-by-other', 409)
      case 'refused-diverted':
        return result('refused-diverted', 422)
      case 'not-found':
        return c.notFound()
    }
  }

  async function parse<T extends z.ZodType>(c: Context<AppEnv>, schema: T, deviceId: string) {
    const parsed = schema.safeParse(await c.req.parseBody())
    if (!parsed.success) return undefined
    const data = parsed.data as { _csrf: string }
    return isValidDeviceCsrf(csrfKey, deviceId, data._csrf) ? (parsed.data as z.infer<T>) : undefined
  }

  const claimContext = (
    c: Context<AppEnv>,
    scan: { scanId: number; brandSlug: string },
    form: { _csrf: string; key: string },
  ): SignInContext => ({
    lang: lang(c),
    csrf: form._csrf,
    brandSlug: scan.brandSlug,
    claim: { scanId: scan.scanId, idempotencyKey: form.key },
  })

  /**
   * Tells the operator once per hour that a brand's consumers are being refused codes: either a
   * flood (many addresses asking for codes to run up the bill) or a cap set below real demand.
   */
  function alertCapReached(brand: SignInBrand, now: number, retryAfterS: number) {
    if ((capAlertedUntil.get(brand.brandId) ?? 0) > now) return
    capAlertedUntil.set(brand.brandId, now + retryAfterS * 1000)
    deps.logger.warn(
      { brandId: brand.brandId, brandSlug: brand.brandSlug, perHour: perBrandPerHour, retryAfterS },
      'code send alert: brand reached its hourly cap of sign-in codes, consumers are refused',
    )
  }

  /**
   * The first step of every sign-in box (the claim box and the account pages' box): the phone or
   * email, the limits (per IP and per brand here, per number in member-store), the code sent.
   * Answers the box's next form, or the same form with the typed value and why.
   */
  async function sendCode(c: Context<AppEnv>, brand: SignInBrand, ctx: SignInContext, identifier: string) {
    const t = MEMBER_MESSAGES[ctx.lang]
    const again = (error: string, status: 422 | 429 | 503) =>
      box(c, ctx, <SignInStartForm {...ctx} identifier={identifier} error={error} />, status)
    const identity = parseIdentity(identifier)
    if (!identity) return again(t.badIdentifier, 422)
    const now = deps.clock.now()
    const ipLimit = starts.hit(clientIp(c), now)
    if (!ipLimit.allowed) {
      c.header('Retry-After', String(ipLimit.retryAfterS))
      return again(t.tooMany, 429)
    }
    // Looked at before the challenge is made, so a refusal leaves no row and sends nothing.
    const brandCap = brandSends.peek(String(brand.brandId), now)
    if (!brandCap.allowed) {
      alertCapReached(brand, now, brandCap.retryAfterS)
      c.header('Retry-After', String(brandCap.retryAfterS))
      return again(t.busy, 429)
    }
    const started = startSignIn(deps.db, signInKeys, brand.brandId, identity, now)
    if (started.kind === 'wait') {
      c.header('Retry-After', String(started.retryAfterS))
      return again(t.wait(started.retryAfterS), 429)
    }
    // Counted with no await since the look above: concurrent requests cannot share the last code.
    // A send the provider then fails counts too, as its challenge row does.
    brandSends.hit(String(brand.brandId), now)
    const to = identifierOf(identity)
    try {
      await senderFor(brand.brandId).send({
        channel: identity.channel,
        to,
        brandName: brand.brandName,
        code: started.code,
        lang: ctx.lang,
        ttlMinutes: OTP_TTL_MS / 60_000,
      })
    } catch (err) {
      if (!(err instanceof CodeSendError)) throw err
      deps.logger.warn({ err: err.message }, 'one-time code not sent')
      return again(t.sendFailed, 503)
    }
    return box(
      c,
      ctx,
      <SignInCodeForm
        {...ctx}
        identifier={to}
        maskedTo={maskIdentifier(to)}
        isNewMember={started.isNewMember}
      />,
    )
  }

  /**
   * The second step of every sign-in box: the code (limits per IP here, per challenge in
   * member-store), a new member's consent to the terms, then the member session cookie. Answers
   * the member's id, or the box to show instead.
   */
  async function checkCode(
    c: Context<AppEnv>,
    brand: SignInBrand,
    ctx: SignInContext,
    form: { identifier: string; code: string; acceptTerms?: string | undefined },
  ): Promise<{ memberId: number } | { answer: Response | Promise<Response> }> {
    const t = MEMBER_MESSAGES[ctx.lang]
    const start = (error: string, status: 422 | 429, identifier = form.identifier) => ({
      answer: box(c, ctx, <SignInStartForm {...ctx} identifier={identifier} error={error} />, status),
    })
    const identity = parseIdentity(form.identifier)
    if (!identity) return start(t.badIdentifier, 422)
    const now = deps.clock.now()
    const ipLimit = verifies.hit(clientIp(c), now)
    if (!ipLimit.allowed) {
      c.header('Retry-After', String(ipLimit.retryAfterS))
      return start(t.tooMany, 429)
    }
    const to = identifierOf(identity)
    const again = (error: string, isNewMember: boolean) => ({
      answer: box(
        c,
        ctx,
        <SignInCodeForm
          {...ctx}
          identifier={to}
          maskedTo={maskIdentifier(to)}
          isNewMember={isNewMember}
          error={error}
        />,
        422,
      ),
    })
    const outcome = verifySignIn(
      deps.db,
      signInKeys,
      brand.brandId,
      identity,
      { code: form.code, acceptTerms: form.acceptTerms === 'yes' },
      now,
    )
    if (outcome.kind === 'wrong-code') return again(t.wrongCode(outcome.attemptsLeft), outcome.isNewMember)
    if (outcome.kind === 'terms-required') return again(t.termsRequired, true)
    if (outcome.kind === 'expired') return start(t.expired, 422, to)
    const jwt = await issueMemberSession(
      sessionKey,
      { memberId: outcome.member.id, brandId: brand.brandId },
      now,
    )
    setCookie(c, memberCookieName(brand.brandId), jwt, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: deps.config.cookieSecure,
      path: '/',
      maxAge: MEMBER_SESSION_TTL_S,
    })
    return { memberId: outcome.member.id }
  }

  /** The account pages' sign-in: the brand of the path and a form bearing this phone's device token. */
  async function accountForm<T extends typeof AccountStartForm>(c: Context<AppEnv>, schema: T) {
    const brand = findBrandBySlug(deps.db, c.req.param('brand') ?? '')
    if (!brand) return { answer: c.notFound() }
    const parsed = schema.safeParse(await c.req.parseBody())
    if (!parsed.success || !device.isValid(c, parsed.data._csrf))
      return { answer: alertAnswer(c, ACCOUNT_MESSAGES[lang(c)].expiredForm, 403) }
    const ctx: SignInContext = { lang: lang(c), csrf: parsed.data._csrf, brandSlug: brand.slug }
    return {
      brand: { brandId: brand.id, brandName: brand.name, brandSlug: brand.slug },
      ctx,
      form: parsed.data as z.infer<T>,
    }
  }

  return (
    new Hono<AppEnv>()
      .post('/scans/:id{[0-9]+}/claim', async (c) => {
        const scanId = Number(c.req.param('id'))
        const scan = scanOfDevice(c, scanId)
        if (!scan) return c.notFound()
        const form = await parse(c, ClaimForm, scan.deviceId)
        if (!form) return alertAnswer(c, MEMBER_MESSAGES[lang(c)].pageExpired, 403)
        const memberId = await sessionMemberOf(c, scan.brandId)
        if (memberId === undefined) return fragment(c, <SignInStartForm {...claimContext(c, scan, form)} />)
        return claimAndRender(c, scan, memberId, form)
      })
      .post('/scans/:id{[0-9]+}/sign-in', async (c) => {
        const scan = scanOfDevice(c, Number(c.req.param('id')))
        if (!scan) return c.notFound()
        const form = await parse(c, StartForm, scan.deviceId)
        if (!form) return alertAnswer(c, MEMBER_MESSAGES[lang(c)].pageExpired, 403)
        return sendCode(c, scan, claimContext(c, scan, form), form.identifier)
      })
      .post('/scans/:id{[0-9]+}/verify', async (c) => {
        const scan = scanOfDevice(c, Number(c.req.param('id')))
        if (!scan) return c.notFound()
        const form = await parse(c, VerifyForm, scan.deviceId)
        if (!form) return alertAnswer(c, MEMBER_MESSAGES[lang(c)].pageExpired, 403)
        const signedIn = await checkCode(c, scan, claimContext(c, scan, form), form)
        if ('answer' in signedIn) return signedIn.answer
        return claimAndRender(c, scan, signedIn.memberId, form)
      })
      // The same two steps from the account pages, for a member who signed out or whose session
      // ended: no scan needed to see one's points or redeem a reward.
      .post(`/me/${BRAND_PARAM}/sign-in`, async (c) => {
        const s = await accountForm(c, AccountStartForm)
        if ('answer' in s) return s.answer
        return sendCode(c, s.brand, s.ctx, s.form.identifier)
      })
      .post(`/me/${BRAND_PARAM}/verify`, async (c) => {
        const s = await accountForm(c, AccountVerifyForm)
        if ('answer' in s) return s.answer
        const signedIn = await checkCode(c, s.brand, s.ctx, s.form)
        if ('answer' in signedIn) return signedIn.answer
        const target = `/me/${s.brand.brandSlug}?lang=${s.ctx.lang}`
        c.header('Vary', 'HX-Request')
        if (c.req.header('hx-request')) {
          c.header('HX-Redirect', target)
          return c.body(null, 204)
        }
        return c.redirect(target, 303)
      })
  )
}
