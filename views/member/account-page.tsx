import { Layout } from '../layout.tsx'
import type { Lang } from '../scan/messages.ts'
import { MEMBER_MESSAGES } from './member-messages.ts'

export type HistoryLine = { at: number; kind: string; memo: string; amount: number }

export function AccountPage(p: {
  lang: Lang
  brandName: string
  brandSlug: string
  maskedIdentity: string
  balance: number
  history: HistoryLine[]
}) {
  const t = MEMBER_MESSAGES[p.lang]
  return (
    <Layout title={`${t.myAccount} · ${p.brandName}`} lang={p.lang}>
      <div class="consumer">
        <h1>
          {p.brandName} · {t.myAccount}
        </h1>
        <p class="muted">{p.maskedIdentity}</p>
        <section class="card">
          <p>{t.balance}</p>
          <p class="balance" data-balance={String(p.balance)}>
            {p.balance}
          </p>
        </section>
        <h2>{t.history}</h2>
        {p.history.length === 0 ? (
          <div class="empty">{t.noHistory}</div>
        ) : (
          <table>
            <tbody>
              {p.history.map((h) => (
                <tr>
                  <td>{new Date(h.at).toISOString().slice(0, 10)}</td>
                  <td>{h.kind}</td>
                  <td class="num">{h.amount > 0 ? `+${h.amount}` : String(h.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form method="post" action={`/me/${p.brandSlug}/sign-out`}>
          <button class="secondary" type="submit">
            {t.signOut}
          </button>
        </form>
      </div>
    </Layout>
  )
}
