import { GENDERS, type ProfileErrorKey, type ProfileField } from '../../src/members/account-input.ts'
import { CONSENT_VERSIONS, type SettableConsent } from '../../src/members/account-store.ts'
import { Layout } from '../layout.tsx'
import type { Lang } from '../scan/messages.ts'
import { ACCOUNT_MESSAGES } from './account-messages.ts'
import { accountPath, LangSwitch } from './account-page.tsx'

export type ProfileValues = Partial<Record<ProfileField, string>>

function FieldError({ lang, error }: { lang: Lang; error?: ProfileErrorKey }) {
  if (!error) return null
  return (
    <span class="error" role="alert">
      {ACCOUNT_MESSAGES[lang].profileErrors[error]}
    </span>
  )
}

/**
 * Profile, consent settings, data download and account deletion. Forms are plain POSTs (they work
 * without JavaScript); an error answers this page again with 422.
 */
export function ProfilePage(p: {
  lang: Lang
  brandName: string
  brandSlug: string
  csrf: string
  /** The member's own phone or email, in full (it is theirs; staff see it masked unless owners). */
  contact: string
  values: ProfileValues
  errors?: Partial<Record<ProfileField, ProfileErrorKey>>
  consents: Record<SettableConsent, boolean>
  notice?: string
  deleteError?: boolean
  today: string
}) {
  const t = ACCOUNT_MESSAGES[p.lang]
  const e = p.errors ?? {}
  const action = (rest: string) => accountPath(p.brandSlug, p.lang, rest)
  const csrf = <input type="hidden" name="_csrf" value={p.csrf} />
  return (
    <Layout title={`${t.profile} · ${p.brandName}`} lang={p.lang}>
      <div class="consumer">
        <LangSwitch lang={p.lang} path={`/me/${p.brandSlug}/profile`} />
        <p>
          <a href={accountPath(p.brandSlug, p.lang)}>← {t.back}</a>
        </p>
        <h1>{t.profile}</h1>
        {p.notice ? (
          <p class="notice" role="status">
            {p.notice}
          </p>
        ) : null}
        <form class="stack card" method="post" action={action('/profile')}>
          {csrf}
          <p>
            {t.signedInWith}:{' '}
            <span class="mono" data-contact>
              {p.contact}
            </span>
          </p>
          <label>
            {t.name}
            <input name="name" maxlength={50} autocomplete="name" value={p.values.name ?? ''} />
            <FieldError lang={p.lang} error={e.name} />
          </label>
          <label>
            {t.birthday}
            <input type="date" name="birthday" max={p.today} value={p.values.birthday ?? ''} />
            <FieldError lang={p.lang} error={e.birthday} />
          </label>
          <label>
            {t.gender}
            <select name="gender">
              {GENDERS.map((g) => (
                <option value={g} selected={(p.values.gender ?? 'unspecified') === g}>
                  {t.genders[g]}
                </option>
              ))}
            </select>
            <FieldError lang={p.lang} error={e.gender} />
          </label>
          <label>
            {t.regionCode}
            <input name="regionCode" maxlength={10} value={p.values.regionCode ?? ''} />
            <FieldError lang={p.lang} error={e.regionCode} />
          </label>
          <button type="submit">{t.save}</button>
        </form>

        <h2>{t.consents}</h2>
        <form class="stack card" method="post" action={action('/consents')}>
          {csrf}
          <label class="check">
            <input type="checkbox" name="marketing" value="yes" checked={p.consents.marketing} />
            {t.consentMarketing} <span class="muted">({t.consentVersion(CONSENT_VERSIONS.marketing)})</span>
          </label>
          <button type="submit">{t.saveConsents}</button>
        </form>
        <p class="muted" data-location-consent>
          {t.locationAtScan}
        </p>

        <h2>{t.myData}</h2>
        <p>
          <a class="button secondary" href={`/me/${p.brandSlug}/data.json`} download>
            {t.downloadData}
          </a>
        </p>

        <h2>{t.deleteAccount}</h2>
        <form class="stack card" method="post" action={action('/delete')}>
          {csrf}
          <p>{t.deleteExplain}</p>
          {p.deleteError ? (
            <p class="errors" role="alert">
              {t.deleteNeedsConfirm}
            </p>
          ) : null}
          <label class="check">
            <input type="checkbox" name="confirm" value="yes" required />
            {t.deleteConfirm}
          </label>
          <button class="danger" type="submit">
            {t.deleteButton}
          </button>
        </form>
      </div>
    </Layout>
  )
}
