import { Layout } from '../layout.tsx'
import type { Lang } from '../scan/messages.ts'
import { ACCOUNT_MESSAGES } from './account-messages.ts'
import { accountPath, LangSwitch } from './account-page.tsx'
import type { LegalText } from './legal-messages.ts'

/**
 * The member terms or the privacy notice of a brand, in the version sign-in records with a new
 * member's consent. The sign-in box links here in a new tab, so the page needs no way back.
 */
export function LegalPage(p: {
  lang: Lang
  brandSlug: string
  kind: 'terms' | 'privacy'
  version: string
  text: LegalText
}) {
  const t = ACCOUNT_MESSAGES[p.lang]
  return (
    <Layout title={p.text.title} lang={p.lang}>
      <div class="consumer" data-legal={p.kind}>
        <LangSwitch lang={p.lang} path={`/me/${p.brandSlug}/${p.kind}`} />
        <h1>{p.text.title}</h1>
        <p class="muted" data-version={p.version}>
          {t.textVersion(p.version)}
        </p>
        {p.text.sections.map((section) => (
          <section>
            <h2>{section.heading}</h2>
            {section.paragraphs.map((paragraph) => (
              <p>{paragraph}</p>
            ))}
          </section>
        ))}
        <p>
          <a href={accountPath(p.brandSlug, p.lang)}>{t.myAccount}</a>
        </p>
      </div>
    </Layout>
  )
}
