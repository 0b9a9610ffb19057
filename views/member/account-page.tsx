import type { HistoryItem } from '../../src/members/account-history.ts'
import type { PointsSummary, TierStatus } from '../../src/members/account-store.ts'
import { Layout } from '../layout.tsx'
import { type Lang, otherLang } from '../scan/messages.ts'
import { ACCOUNT_MESSAGES, formatDay } from './account-messages.ts'
import { SignInStartForm } from './claim-fragments.tsx'

type Brand = { brandName: string; brandSlug: string }

/** `/me/tea/profile?lang=en`: links keep the language the member chose. */
export function accountPath(brandSlug: string, lang: Lang, rest = '', query: Record<string, string> = {}) {
  const params = new URLSearchParams({ ...query, lang })
  return `/me/${brandSlug}${rest}?${params}`
}

/**
 * The link to the same page in the other language, at the top right as on the scan page; `path` is
 * the page's path without its query.
 */
export function LangSwitch(p: { lang: Lang; path: string }) {
  const other = otherLang(p.lang)
  return (
    <p style="text-align:right">
      <a href={`${p.path}?lang=${other}`} hreflang={other} data-lang-switch>
        {ACCOUNT_MESSAGES[p.lang].switchLang}
      </a>
    </p>
  )
}

function describe(item: HistoryItem, lang: Lang): string {
  const t = ACCOUNT_MESSAGES[lang]
  const kind = t.historyKinds[item.type]
  if (item.type === 'scan') {
    const name = lang === 'en' ? item.placeEn : item.placeZh
    const place = name && item.approximate ? `${name}${t.approximatePlace}` : name
    return [kind, item.product, t.verdicts[item.verdict], place].filter(Boolean).join(' · ')
  }
  if (item.type === 'held')
    return [kind, item.product, t.heldStatuses[item.status]].filter(Boolean).join(' · ')
  // An adjustment's reason is written for the brand's staff and stays in the console.
  return [kind, item.product ?? item.reward].filter(Boolean).join(' · ')
}

/** The history list with its pager; the pager's links swap just this fragment under htmx. */
export function AccountHistory(
  p: Brand & { lang: Lang; items: HistoryItem[]; page: number; hasMore: boolean },
) {
  const t = ACCOUNT_MESSAGES[p.lang]
  const pageLink = (page: number, label: string, rel: string) => {
    const href = accountPath(p.brandSlug, p.lang, '', { page: String(page) })
    return (
      <a href={href} rel={rel} hx-get={href} hx-target="#history" hx-swap="outerHTML" hx-push-url="true">
        {label}
      </a>
    )
  }
  return (
    <section id="history">
      <h2>{t.history}</h2>
      {p.items.length === 0 ? (
        <div class="empty">{t.noHistory}</div>
      ) : (
        <table>
          <tbody>
            {p.items.map((h) => (
              <tr data-kind={h.type}>
                <td>{formatDay(h.at)}</td>
                <td>{describe(h, p.lang)}</td>
                <td class="num">
                  {h.type === 'scan' || h.type === 'held'
                    ? ''
                    : h.amount > 0
                      ? `+${h.amount}`
                      : String(h.amount)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p.page > 1 || p.hasMore ? (
        <p class="pager">
          {p.page > 1 ? pageLink(p.page - 1, t.newer, 'prev') : null}
          {p.hasMore ? pageLink(p.page + 1, t.older, 'next') : null}
        </p>
      ) : null}
    </section>
  )
}

export function AccountPage(
  p: Brand & {
    lang: Lang
    maskedIdentity: string
    summary: PointsSummary
    tier: TierStatus | null
    history: { items: HistoryItem[]; page: number; hasMore: boolean }
    csrf: string
  },
) {
  const t = ACCOUNT_MESSAGES[p.lang]
  return (
    <Layout title={`${t.myAccount} · ${p.brandName}`} lang={p.lang}>
      <div class="consumer">
        <LangSwitch lang={p.lang} path={`/me/${p.brandSlug}`} />
        <h1>
          {p.brandName} · {t.myAccount}
        </h1>
        <p class="muted">{p.maskedIdentity}</p>
        <section class="card">
          <p>{t.balance}</p>
          <p class="balance" data-balance={String(p.summary.balance)}>
            {p.summary.balance}
          </p>
          <p
            class={p.summary.expiring ? 'warn' : 'muted'}
            data-expiring={String(p.summary.expiring?.points ?? 0)}
          >
            {p.summary.expiring
              ? t.expiring(p.summary.expiring.points, formatDay(p.summary.expiring.firstAt))
              : t.noneExpiring}
          </p>
          {p.tier ? (
            <p data-tier={p.tier.current ?? ''}>
              {t.tier}: <b>{p.tier.current ?? t.noTier}</b>
              <br />
              <span class="muted">
                {p.tier.next
                  ? t.nextTier(p.tier.next.name, p.tier.next.needed, p.tier.windowDays)
                  : t.topTier}
              </span>
            </p>
          ) : null}
        </section>
        <p>
          <a class="button" href={accountPath(p.brandSlug, p.lang, '/rewards')}>
            {t.rewards}
          </a>{' '}
          <a class="button secondary" href={accountPath(p.brandSlug, p.lang, '/profile')}>
            {t.profile}
          </a>
        </p>
        <AccountHistory brandName={p.brandName} brandSlug={p.brandSlug} lang={p.lang} {...p.history} />
        <form method="post" action={accountPath(p.brandSlug, p.lang, '/sign-out')}>
          <input type="hidden" name="_csrf" value={p.csrf} />
          <button class="secondary" type="submit">
            {t.signOut}
          </button>
        </form>
      </div>
    </Layout>
  )
}

/**
 * What `/me/…` answers (401) without a valid member session: the brand's sign-in box (the claim
 * box's steps, landing on the account page), or for an unknown brand just the hint to scan.
 */
export function SignedOutPage(p: {
  lang: Lang
  brandName: string
  path: string
  signIn?: { brandSlug: string; csrf: string }
}) {
  const t = ACCOUNT_MESSAGES[p.lang]
  return (
    <Layout title={`${t.signInFirstTitle}${p.brandName ? ` · ${p.brandName}` : ''}`} lang={p.lang}>
      <div class="consumer">
        <LangSwitch lang={p.lang} path={p.path} />
        <h1>{p.brandName ? `${p.brandName} · ${t.myAccount}` : t.signInFirstTitle}</h1>
        <p data-signed-out>{p.signIn ? t.signInHere : t.signInFirst}</p>
        {p.signIn ? <SignInStartForm lang={p.lang} {...p.signIn} /> : null}
      </div>
    </Layout>
  )
}

export function AccountDeletedPage(p: { lang: Lang; brandName: string }) {
  const t = ACCOUNT_MESSAGES[p.lang]
  return (
    <Layout title={`${t.deletedTitle} · ${p.brandName}`} lang={p.lang}>
      <div class="consumer">
        <h1>{t.deletedTitle}</h1>
        <p class="notice">{t.deleted}</p>
      </div>
    </Layout>
  )
}
