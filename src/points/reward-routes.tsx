import { eq } from 'drizzle-orm'
import { type Context, Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import {
  CancelRedemptionPage,
  RedemptionsPage,
  RewardFormPage,
  type RewardFormValues,
  RewardsAdminPage,
  toUtcInput,
} from '../../views/admin/rewards-pages.tsx'
import { REWARDS_MESSAGES } from '../../views/member/rewards-messages.ts'
import {
  type MemberView,
  type RedeemResultView,
  RewardCard,
  RewardsPage,
} from '../../views/member/rewards-page.tsx'
import { createNotices } from '../admin-notice.ts'
import { alertAnswer } from '../alert-answer.tsx'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { consumerLang } from '../consumer-lang.ts'
import { brandDb } from '../db/brand-scope.ts'
import { isValidMemberCsrf, memberCsrfKey, memberCsrfToken } from '../members/account-csrf.ts'
import { createConsumerDevice } from '../members/consumer-device.ts'
import { maskIdentifier } from '../members/member-identity.ts'
import { memberCookieName, readMemberSession } from '../members/member-session.ts'
import { findMember } from '../members/member-store.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { brands } from '../staff/staff-schema.ts'
import { deriveKey } from '../staff/staff-session.ts'
import { newIdempotencyKey } from './idempotency-key.ts'
import { CancelRedemptionForm, RedeemForm, RewardForm } from './reward-input.ts'
import {
  cancelRedemption,
  createReward,
  findRedemption,
  findReward,
  listCatalogue,
  listRedemptions,
  listRewards,
  memberRedemptionCounts,
  memberRedemptions,
  type RedeemOutcome,
  redeemReward,
  spendablePoints,
  updateReward,
} from './reward-store.ts'

const BRAND_PATH = '/me/:brand{[a-z0-9-]{3,40}}/rewards'

/**
 * The member's rewards catalogue and the redeem button. A redeem POST needs the member session of
 * that brand and the member CSRF token (on top of the global Origin check); its idempotency key
 * comes from the page, so a double submit answers the first redemption. A visitor who is not
 * signed in gets the account pages' sign-in box (member-routes.tsx), which lands on the account page.
 */
export function createRewardRoutes(deps: AppDeps) {
  const sessionKey = deriveKey(deps.masterKey, 'member session')
  const csrfKey = memberCsrfKey(deps.masterKey)
  const device = createConsumerDevice(deps)

  const lang = consumerLang
  const brandOf = (c: Context<AppEnv>) =>
    deps.db
      .select()
      .from(brands)
      .where(eq(brands.slug, c.req.param('brand') ?? ''))
      .get()

  async function memberOf(c: Context<AppEnv>, brandId: number) {
    const jwt = getCookie(c, memberCookieName(brandId))
    const claims = jwt ? await readMemberSession(sessionKey, jwt, brandId, deps.clock.now()) : undefined
    return claims ? findMember(deps.db, brandId, claims.memberId) : undefined
  }

  const memberView = (brandId: number, memberId: number, now: number): MemberView => ({
    balance: spendablePoints(deps.db, brandId, memberId, now),
    redeemed: memberRedemptionCounts(brandDb(deps.db, brandId), memberId),
    csrf: memberCsrfToken(csrfKey, memberId),
    keyFor: () => newIdempotencyKey(),
  })

  return new Hono<AppEnv>()
    .get(BRAND_PATH, async (c) => {
      const brand = brandOf(c)
      if (!brand) return c.notFound()
      const now = deps.clock.now()
      const member = await memberOf(c, brand.id)
      const bdb = brandDb(deps.db, brand.id)
      // After a plain POST the redemption is shown once more from its id, for its owner only.
      const shownId = Number(c.req.query('redeemed'))
      const shown = member && Number.isSafeInteger(shownId) ? findRedemption(bdb, shownId) : undefined
      const result: RedeemResultView | undefined =
        shown && shown.memberId === member?.id && shown.status === 'issued'
          ? {
              kind: 'redeemed',
              rewardName: shown.rewardName,
              code: shown.code,
              balance: spendablePoints(deps.db, brand.id, shown.memberId, now),
            }
          : undefined
      c.header('Cache-Control', 'no-store')
      c.header('Vary', 'HX-Request')
      return c.html(
        <RewardsPage
          lang={lang(c)}
          brandName={brand.name}
          brandSlug={brand.slug}
          now={now}
          rewards={listCatalogue(bdb, now)}
          member={member ? memberView(brand.id, member.id, now) : undefined}
          codes={member ? memberRedemptions(bdb, member.id) : []}
          result={result}
          signInCsrf={member ? undefined : device.csrfFor(c)}
        />,
      )
    })
    .post(`${BRAND_PATH}/:id{[0-9]+}/redeem`, async (c) => {
      const l = lang(c)
      const brand = brandOf(c)
      if (!brand) return c.notFound()
      const member = await memberOf(c, brand.id)
      c.header('Cache-Control', 'no-store')
      c.header('Vary', 'HX-Request')
      if (!member) return alertAnswer(c, REWARDS_MESSAGES[l].signInFirst, 401)
      const parsed = RedeemForm.safeParse(await c.req.parseBody())
      if (!parsed.success || !isValidMemberCsrf(csrfKey, member.id, parsed.data._csrf)) {
        return alertAnswer(c, REWARDS_MESSAGES[l].pageExpired, 403)
      }
      const now = deps.clock.now()
      const rewardId = Number(c.req.param('id'))
      const outcome = redeemReward(deps.db, {
        brandId: brand.id,
        memberId: member.id,
        rewardId,
        idempotencyKey: parsed.data.key,
        now,
      })
      if (outcome.kind === 'not-found') return c.notFound()
      const isHtmx = c.req.header('hx-request') === 'true'
      if (outcome.kind === 'redeemed' && !isHtmx) {
        return c.redirect(`/me/${brand.slug}/rewards?lang=${l}&redeemed=${outcome.redemptionId}`, 303)
      }
      const result = resultView(outcome)
      const status = outcome.kind === 'redeemed' ? 200 : outcome.kind === 'key-reused' ? 422 : 409
      const bdb = brandDb(deps.db, brand.id)
      const view = memberView(brand.id, member.id, now)
      if (isHtmx) {
        const reward = findReward(bdb, rewardId)
        if (!reward) return c.notFound()
        return c.html(
          <RewardCard
            lang={l}
            brandSlug={brand.slug}
            reward={reward}
            now={now}
            member={view}
            result={result}
          />,
          status,
        )
      }
      return c.html(
        <RewardsPage
          lang={l}
          brandName={brand.name}
          brandSlug={brand.slug}
          now={now}
          rewards={listCatalogue(bdb, now)}
          member={view}
          codes={memberRedemptions(bdb, member.id)}
          result={result}
        />,
        status,
      )
    })
}

function resultView(outcome: Exclude<RedeemOutcome, { kind: 'not-found' }>): RedeemResultView {
  switch (outcome.kind) {
    case 'redeemed':
      return {
        kind: 'redeemed',
        rewardName: outcome.rewardName,
        code: outcome.code,
        balance: outcome.balance,
      }
    case 'insufficient':
      return { kind: 'insufficient', balance: outcome.balance, price: outcome.price }
    case 'limit-reached':
      return { kind: 'limit-reached', limit: outcome.limit }
    case 'out-of-stock':
    case 'not-available':
      return { kind: outcome.kind }
    case 'key-reused':
      return { kind: 'page-expired' }
  }
}

/** A saved reward as the values of its form. */
function formValues(r: NonNullable<ReturnType<typeof findReward>>): RewardFormValues {
  return {
    name: r.name,
    description: r.description ?? '',
    pointsPrice: String(r.pointsPrice),
    stock: r.stock === null ? '' : String(r.stock),
    perMemberLimit: r.perMemberLimit === null ? '' : String(r.perMemberLimit),
    availableFrom: toUtcInput(r.availableFrom),
    availableUntil: toUtcInput(r.availableUntil),
    active: r.active ? 'on' : '',
  }
}

/** The rewards catalogue (owner edits, analyst reads) and the redemptions list with cancellation. */
export function createRewardAdminRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  const actorOf = (c: Context<AppEnv>) => ({ staffId: c.get('staff').staffId, label: c.get('staff').email })
  const bodyOf = async (c: Context<AppEnv>) => {
    const body = await c.req.parseBody()
    const values: RewardFormValues = {}
    for (const k of [
      'name',
      'description',
      'pointsPrice',
      'stock',
      'perMemberLimit',
      'availableFrom',
      'availableUntil',
      'active',
    ] as const) {
      const v = body[k]
      if (typeof v === 'string') values[k] = v
    }
    return values
  }
  const savedNotice = (c: Context<AppEnv>, name: string) =>
    notices.href(c, '/admin/rewards', `Reward ${name} saved`)

  return new Hono<AppEnv>()
    .get('/rewards', requireRole('rewards.read'), (c) => {
      const s = c.get('staff')
      return c.html(
        <RewardsAdminPage
          staff={staffView(s)}
          rewards={listRewards(s.bdb)}
          canEdit={can(s.role, 'rewards.manage')}
          notice={notices.read(c)}
        />,
      )
    })
    .get('/rewards/new', requireRole('rewards.manage'), (c) =>
      c.html(<RewardFormPage staff={staffView(c.get('staff'))} values={{ active: 'on' }} />),
    )
    .post('/rewards', requireRole('rewards.manage'), async (c) => {
      const s = c.get('staff')
      const values = await bodyOf(c)
      const parsed = RewardForm.safeParse(values)
      if (!parsed.success) {
        return c.html(
          <RewardFormPage staff={staffView(s)} values={values} errors={issuesOf(parsed.error)} />,
          422,
        )
      }
      const outcome = createReward(s.bdb, actorOf(c), parsed.data, deps.clock.now())
      if (outcome.kind !== 'saved') return c.notFound()
      return c.redirect(savedNotice(c, outcome.reward.name), 303)
    })
    .get('/rewards/:id{[0-9]+}', requireRole('rewards.manage'), (c) => {
      const s = c.get('staff')
      const reward = findReward(s.bdb, Number(c.req.param('id')))
      if (!reward) return c.notFound()
      return c.html(<RewardFormPage staff={staffView(s)} rewardId={reward.id} values={formValues(reward)} />)
    })
    .post('/rewards/:id{[0-9]+}', requireRole('rewards.manage'), async (c) => {
      const s = c.get('staff')
      const id = Number(c.req.param('id'))
      const values = await bodyOf(c)
      const parsed = RewardForm.safeParse(values)
      if (!parsed.success) {
        return c.html(
          <RewardFormPage
            staff={staffView(s)}
            rewardId={id}
            values={values}
            errors={issuesOf(parsed.error)}
          />,
          422,
        )
      }
      const outcome = updateReward(s.bdb, actorOf(c), id, parsed.data, deps.clock.now())
      if (outcome.kind !== 'saved') return c.notFound()
      return c.redirect(savedNotice(c, outcome.reward.name), 303)
    })
    .get('/redemptions', requireRole('rewards.read'), (c) => {
      const s = c.get('staff')
      const before = Number(c.req.query('before'))
      const page = listRedemptions(s.bdb, Number.isSafeInteger(before) && before > 0 ? before : undefined)
      return c.html(
        <RedemptionsPage
          staff={staffView(s)}
          rows={page.rows}
          nextBefore={page.nextBefore}
          canCancel={can(s.role, 'rewards.manage')}
          mask={maskIdentifier}
          notice={notices.read(c)}
        />,
      )
    })
    .get('/redemptions/:id{[0-9]+}/cancel', requireRole('rewards.manage'), (c) => {
      const s = c.get('staff')
      const redemption = findRedemption(s.bdb, Number(c.req.param('id')))
      if (!redemption) return c.notFound()
      return c.html(
        <CancelRedemptionPage staff={staffView(s)} redemption={redemption} mask={maskIdentifier} />,
      )
    })
    .post('/redemptions/:id{[0-9]+}/cancel', requireRole('rewards.manage'), async (c) => {
      const s = c.get('staff')
      const id = Number(c.req.param('id'))
      const redemption = findRedemption(s.bdb, id)
      if (!redemption) return c.notFound()
      const body = await c.req.parseBody()
      const parsed = CancelRedemptionForm.safeParse(body)
      if (!parsed.success) {
        return c.html(
          <CancelRedemptionPage
            staff={staffView(s)}
            redemption={redemption}
            mask={maskIdentifier}
            reason={typeof body.reason === 'string' ? body.reason : ''}
            errors={issuesOf(parsed.error)}
          />,
          422,
        )
      }
      const outcome = cancelRedemption(s.bdb, actorOf(c), id, parsed.data.reason, deps.clock.now())
      if (outcome.kind === 'not-found') return c.notFound()
      if (outcome.kind === 'already-cancelled') {
        return c.html(
          <CancelRedemptionPage
            staff={staffView(s)}
            redemption={findRedemption(s.bdb, id) ?? redemption}
            mask={maskIdentifier}
            errors={['This redemption was already cancelled; nothing was changed.']}
          />,
          409,
        )
      }
      return c.redirect(
        notices.href(
          c,
          '/admin/redemptions',
          `Redemption ${redemption.code} cancelled; ${redemption.points} points given back`,
        ),
        303,
      )
    })
}
