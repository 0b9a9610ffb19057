import type { MemberRedemption, Reward } from '../../src/points/reward-store.ts'
import { Layout } from '../layout.tsx'
import { type Lang, otherLang } from '../scan/messages.ts'
import { SignInStartForm } from './claim-fragments.tsx'
import { formatChinaTime, REWARDS_MESSAGES } from './rewards-messages.ts'

/** What the member's last redeem button came back with. */
export type RedeemResultView =
  | { kind: 'redeemed'; rewardName: string; code: string; balance: number }
  | { kind: 'insufficient'; balance: number; price: number }
  | { kind: 'out-of-stock' }
  | { kind: 'limit-reached'; limit: number }
  | { kind: 'not-available' }
  | { kind: 'page-expired' }

/**
 * A signed-in member's side of the page: balance, how many of each reward they hold (reward id to
 * count, as the per-member limit counts them), form token and one idempotency key per button.
 */
export type MemberView = {
  balance: number
  redeemed: ReadonlyMap<number, number>
  csrf: string
  keyFor: (rewardId: number) => string
}

type CardProps = {
  lang: Lang
  brandSlug: string
  reward: Reward
  now: number
  member?: MemberView
  result?: RedeemResultView
}

export function RedeemResult({ lang, result }: { lang: Lang; result: RedeemResultView }) {
  const t = REWARDS_MESSAGES[lang]
  if (result.kind === 'redeemed') {
    return (
      <div class="notice" role="status" data-result="redeemed">
        <p>{t.redeemed(result.rewardName)}</p>
        <p class="mono balance" data-reward-code={result.code}>
          {result.code}
        </p>
        <p class="muted">{t.codeHint}</p>
        <p>{t.balanceAfter(result.balance)}</p>
      </div>
    )
  }
  const message =
    result.kind === 'insufficient'
      ? t.insufficient(result.balance, result.price)
      : result.kind === 'out-of-stock'
        ? t.soldOut
        : result.kind === 'limit-reached'
          ? t.limitReached(result.limit)
          : result.kind === 'not-available'
            ? t.notAvailable
            : t.pageExpired
  return (
    <div class="errors" role="alert" data-result={result.kind}>
      {message}
    </div>
  )
}

/**
 * One reward of the catalogue. The redeem form works as a plain POST; with htmx the answer is this
 * card again, with the result inside and a fresh idempotency key (a double tap re-sends the old
 * key, so it is answered with the first redemption instead of a second one).
 */
export function RewardCard(p: CardProps) {
  const t = REWARDS_MESSAGES[p.lang]
  const r = p.reward
  const startsLater = r.availableFrom !== null && p.now < r.availableFrom
  const soldOut = r.stock !== null && r.stock <= 0
  const action = `/me/${p.brandSlug}/rewards/${r.id}/redeem?lang=${p.lang}`
  const atLimit =
    p.member !== undefined &&
    r.perMemberLimit !== null &&
    (p.member.redeemed.get(r.id) ?? 0) >= r.perMemberLimit
  const short = p.member !== undefined && p.member.balance < r.pointsPrice
  return (
    <section id={`reward-${r.id}`} class="card" data-reward={String(r.id)}>
      <h2>{r.name}</h2>
      {r.description ? <p>{r.description}</p> : null}
      <p>
        <b>{t.price(r.pointsPrice)}</b> ·{' '}
        {soldOut ? t.outOfStock : r.stock === null ? t.unlimited : t.stockLeft(r.stock)}
        {r.perMemberLimit !== null ? ` · ${t.perMember(r.perMemberLimit)}` : ''}
      </p>
      {r.availableFrom !== null || r.availableUntil !== null ? (
        <p class="muted">
          {[
            r.availableFrom !== null ? t.from(formatChinaTime(r.availableFrom)) : null,
            r.availableUntil !== null ? t.until(formatChinaTime(r.availableUntil)) : null,
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
      ) : null}
      {p.result ? <RedeemResult lang={p.lang} result={p.result} /> : null}
      {p.member && !startsLater && !soldOut ? (
        <form
          method="post"
          action={action}
          hx-post={action}
          hx-target={`#reward-${r.id}`}
          hx-swap="outerHTML"
        >
          <input type="hidden" name="_csrf" value={p.member.csrf} />
          <input type="hidden" name="key" value={p.member.keyFor(r.id)} />
          <button type="submit" disabled={atLimit || short}>
            {t.redeem(r.pointsPrice)}
          </button>
          {atLimit ? (
            <span class="muted" data-limit-reached>
              {' '}
              {t.limitReachedNote}
            </span>
          ) : short ? (
            <span class="muted"> {t.needMore(r.pointsPrice - p.member.balance)}</span>
          ) : null}
        </form>
      ) : null}
    </section>
  )
}

/** The catalogue page: to everyone the rewards; to a signed-in member also the balance and buttons. */
export function RewardsPage(p: {
  lang: Lang
  brandName: string
  brandSlug: string
  now: number
  rewards: Reward[]
  member?: MemberView
  codes: MemberRedemption[]
  /** The answer of a plain (non-htmx) redeem POST, shown above the catalogue. */
  result?: RedeemResultView
  /** For a visitor who is not signed in: the device token of the sign-in box. */
  signInCsrf?: string
}) {
  const t = REWARDS_MESSAGES[p.lang]
  const other = otherLang(p.lang)
  return (
    <Layout title={`${t.title} · ${p.brandName}`} lang={p.lang}>
      <div class="consumer">
        <h1>
          {p.brandName} · {t.title}
        </h1>
        <p>
          <a href={`/me/${p.brandSlug}?lang=${p.lang}`}>{t.myPoints}</a> ·{' '}
          <a href={`/me/${p.brandSlug}/rewards?lang=${other}`}>{t.switchLang}</a>
        </p>
        {p.member ? (
          <section class="card">
            <p>{t.spendable}</p>
            <p class="balance" data-balance={String(p.member.balance)}>
              {p.member.balance}
            </p>
          </section>
        ) : (
          <>
            <p class="muted">{t.signInToRedeem}</p>
            {p.signInCsrf ? (
              <SignInStartForm lang={p.lang} brandSlug={p.brandSlug} csrf={p.signInCsrf} />
            ) : null}
          </>
        )}
        {p.result ? <RedeemResult lang={p.lang} result={p.result} /> : null}
        {p.rewards.length === 0 ? (
          <div class="empty">{t.empty}</div>
        ) : (
          p.rewards.map((r) => (
            <RewardCard lang={p.lang} brandSlug={p.brandSlug} reward={r} now={p.now} member={p.member} />
          ))
        )}
        {p.member ? (
          <>
            <h2>{t.myCodes}</h2>
            {p.codes.length === 0 ? (
              <div class="empty">{t.noCodes}</div>
            ) : (
              <table>
                <tbody>
                  {p.codes.map((c) => (
                    <tr>
                      <td>{formatChinaTime(c.createdAt).slice(0, 10)}</td>
                      <td>{c.rewardName}</td>
                      <td class="mono">{c.code}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        ) : null}
      </div>
    </Layout>
  )
}
