import { type Context, Hono } from 'hono'
import { deleteCookie } from 'hono/cookie'
import { ACCOUNT_MESSAGES } from '../../views/member/account-messages.ts'
import {
  AccountDeletedPage,
  AccountHistory,
  AccountPage,
  SignedOutPage,
} from '../../views/member/account-page.tsx'
import { ProfilePage, type ProfileValues } from '../../views/member/account-profile-page.tsx'
import { PRIVACY_TEXTS, TERMS_TEXTS } from '../../views/member/legal-messages.ts'
import { LegalPage } from '../../views/member/legal-page.tsx'
import { alertAnswer } from '../alert-answer.tsx'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { consumerLang } from '../consumer-lang.ts'
import { brandDb } from '../db/brand-scope.ts'
import { wantsFragment } from '../htmx-request.ts'
import { BRAND_PARAM, type Brand, createMemberReader, findBrandBySlug } from './account-auth.ts'
import { isValidMemberCsrf, memberCsrfKey, memberCsrfToken } from './account-csrf.ts'
import { memberHistory } from './account-history.ts'
import {
  ConsentForm,
  chinaDate,
  DeleteForm,
  HistoryQuery,
  type ProfileErrorKey,
  type ProfileField,
  profileErrorsOf,
  profileForm,
} from './account-input.ts'
import {
  consentHistory,
  currentConsents,
  eraseMember,
  exportMemberData,
  pointsSummary,
  recordConsents,
  tierStatus,
  updateProfile,
} from './account-store.ts'
import { createConsumerDevice } from './consumer-device.ts'
import { contactOf, memberPii } from './member-pii.ts'
import { memberCookieName } from './member-session.ts'
import { type Member, PRIVACY_VERSION, TERMS_VERSION } from './member-store.ts'

const BRAND = BRAND_PARAM
/** The texts a new member agrees to, each in the version sign-in records (member-store.ts). */
const LEGAL = {
  terms: { version: TERMS_VERSION, texts: TERMS_TEXTS[TERMS_VERSION] },
  privacy: { version: PRIVACY_VERSION, texts: PRIVACY_TEXTS[PRIVACY_VERSION] },
} as const
const SAVED_NOTICES = { profile: 'saved', consents: 'consentsSaved' } as const

/**
 * "My account" for a signed-in member of one brand: balance, points expiring soon, tier, history,
 * profile, consent settings, data download and account deletion (PIPL arts. 44–47). Every POST
 * carries the member CSRF token (account-csrf.ts) besides the app-wide Origin check. Signed out,
 * the pages offer the sign-in box (its steps are in member-routes.tsx); the member terms and the
 * privacy notice are open to everyone.
 */
export function createAccountRoutes(deps: AppDeps) {
  const readMember = createMemberReader(deps)
  const csrfKey = memberCsrfKey(deps.masterKey)
  const pii = memberPii(deps.masterKey)
  const device = createConsumerDevice(deps)
  /** The member's own phone or email: in full on their profile, masked on the account page. */
  const contactLine = (member: Member, unmasked: boolean) => {
    const contact = contactOf(pii, member, unmasked)
    return contact.phone ?? contact.email ?? ''
  }

  const lang = consumerLang

  function signedOut(c: Context<AppEnv>, brand: Brand | undefined) {
    c.header('Cache-Control', 'no-store')
    return c.html(
      <SignedOutPage
        lang={lang(c)}
        brandName={brand?.name ?? ''}
        path={c.req.path}
        signIn={brand ? { brandSlug: brand.slug, csrf: device.csrfFor(c) } : undefined}
      />,
      401,
    )
  }

  function legalPage(c: Context<AppEnv>, kind: keyof typeof LEGAL) {
    const brand = findBrandBySlug(deps.db, c.req.param('brand') ?? '')
    if (!brand) return c.notFound()
    const l = lang(c)
    const { version, texts } = LEGAL[kind]
    return c.html(
      <LegalPage lang={l} brandSlug={brand.slug} kind={kind} version={version} text={texts[l](brand.name)} />,
    )
  }

  /** The member of the request, or the answer to give instead (401 page, 403 for a bad token on a POST). */
  async function signedIn(
    c: Context<AppEnv>,
  ): Promise<
    { brand: Brand; member: Member; body: Record<string, unknown> } | { answer: Response | Promise<Response> }
  > {
    const { brand, member } = await readMember(c, c.req.param('brand') ?? '')
    if (!brand || !member) return { answer: signedOut(c, brand) }
    if (c.req.method !== 'POST') return { brand, member, body: {} }
    const body = await c.req.parseBody()
    if (!isValidMemberCsrf(csrfKey, member.id, body._csrf))
      return { answer: alertAnswer(c, ACCOUNT_MESSAGES[lang(c)].expiredForm, 403) }
    return { brand, member, body }
  }

  function profilePage(
    c: Context<AppEnv>,
    brand: Brand,
    member: Member,
    extra: {
      values?: ProfileValues
      errors?: Partial<Record<ProfileField, ProfileErrorKey>>
      deleteError?: boolean
      notice?: string
    },
    status: 200 | 422 = 200,
  ) {
    c.header('Cache-Control', 'no-store')
    return c.html(
      <ProfilePage
        lang={lang(c)}
        brandName={brand.name}
        brandSlug={brand.slug}
        csrf={memberCsrfToken(csrfKey, member.id)}
        contact={contactLine(member, true)}
        values={
          extra.values ?? {
            name: member.name ?? '',
            birthday: member.birthday ?? '',
            gender: member.gender ?? 'unspecified',
            regionCode: member.regionCode ?? '',
          }
        }
        errors={extra.errors}
        deleteError={extra.deleteError}
        notice={extra.notice}
        consents={currentConsents(consentHistory(brandDb(deps.db, brand.id), member.id))}
        today={chinaDate(deps.clock.now())}
      />,
      status,
    )
  }

  const back = (c: Context<AppEnv>, brand: Brand, rest: string, query = '') =>
    c.redirect(`/me/${brand.slug}${rest}?lang=${lang(c)}${query}`, 303)

  return new Hono<AppEnv>()
    .get(`/me/${BRAND}`, async (c) => {
      const s = await signedIn(c)
      if ('answer' in s) return s.answer
      const { brand, member } = s
      const bdb = brandDb(deps.db, brand.id)
      const now = deps.clock.now()
      const l = lang(c)
      const history = memberHistory(bdb, member.id, HistoryQuery.parse(c.req.query()).page)
      c.header('Vary', 'HX-Request')
      c.header('Cache-Control', 'no-store')
      if (wantsFragment(c))
        return c.html(<AccountHistory lang={l} brandName={brand.name} brandSlug={brand.slug} {...history} />)
      return c.html(
        <AccountPage
          lang={l}
          brandName={brand.name}
          brandSlug={brand.slug}
          maskedIdentity={contactLine(member, false)}
          summary={pointsSummary(bdb, member.id, now)}
          tier={tierStatus(bdb, member.id, now)}
          history={history}
          csrf={memberCsrfToken(csrfKey, member.id)}
        />,
      )
    })
    .post(`/me/${BRAND}/sign-out`, async (c) => {
      // No member token needed: the Origin check already stops another site, and signing out is
      // what a stale page should still be able to do.
      const { brand } = await readMember(c, c.req.param('brand'))
      if (brand) deleteCookie(c, memberCookieName(brand.id), { path: '/' })
      return c.redirect(`/me/${c.req.param('brand')}?lang=${lang(c)}`, 303)
    })
    .get(`/me/${BRAND}/profile`, async (c) => {
      const s = await signedIn(c)
      if ('answer' in s) return s.answer
      const saved = c.req.query('saved')
      const notice =
        saved === 'profile' || saved === 'consents'
          ? ACCOUNT_MESSAGES[lang(c)][SAVED_NOTICES[saved]]
          : undefined
      return profilePage(c, s.brand, s.member, { notice })
    })
    .post(`/me/${BRAND}/profile`, async (c) => {
      const s = await signedIn(c)
      if ('answer' in s) return s.answer
      const parsed = profileForm(deps.clock.now()).safeParse(s.body)
      if (!parsed.success) {
        const values = Object.fromEntries(
          (['name', 'birthday', 'gender', 'regionCode'] as const).map((k) => [
            k,
            typeof s.body[k] === 'string' ? (s.body[k] as string) : '',
          ]),
        )
        return profilePage(c, s.brand, s.member, { values, errors: profileErrorsOf(parsed.error) }, 422)
      }
      updateProfile(brandDb(deps.db, s.brand.id), s.member.id, parsed.data)
      return back(c, s.brand, '/profile', '&saved=profile')
    })
    .post(`/me/${BRAND}/consents`, async (c) => {
      const s = await signedIn(c)
      if ('answer' in s) return s.answer
      const parsed = ConsentForm.safeParse(s.body)
      if (!parsed.success) return alertAnswer(c, ACCOUNT_MESSAGES[lang(c)].expiredForm, 422)
      recordConsents(
        brandDb(deps.db, s.brand.id),
        s.member.id,
        { marketing: parsed.data.marketing === 'yes' },
        deps.clock.now(),
      )
      return back(c, s.brand, '/profile', '&saved=consents')
    })
    .get(`/me/${BRAND}/data.json`, async (c) => {
      const s = await signedIn(c)
      if ('answer' in s) return s.answer
      const now = deps.clock.now()
      const data = exportMemberData(brandDb(deps.db, s.brand.id), pii, s.member, s.brand, now)
      c.header('Cache-Control', 'no-store')
      c.header('Content-Disposition', `attachment; filename="${s.brand.slug}-my-data-${chinaDate(now)}.json"`)
      return c.body(JSON.stringify(data, null, 2), 200, { 'Content-Type': 'application/json; charset=utf-8' })
    })
    .post(`/me/${BRAND}/delete`, async (c) => {
      const s = await signedIn(c)
      if ('answer' in s) return s.answer
      if (!DeleteForm.safeParse(s.body).success)
        return profilePage(c, s.brand, s.member, { deleteError: true }, 422)
      const outcome = eraseMember(brandDb(deps.db, s.brand.id), pii, s.member.id, deps.clock.now())
      if (outcome.kind === 'not-found') return signedOut(c, s.brand)
      deleteCookie(c, memberCookieName(s.brand.id), { path: '/' })
      return back(c, s.brand, '/deleted')
    })
    .get(`/me/${BRAND}/terms`, (c) => legalPage(c, 'terms'))
    .get(`/me/${BRAND}/privacy`, (c) => legalPage(c, 'privacy'))
    .get(`/me/${BRAND}/deleted`, async (c) => {
      const { brand } = await readMember(c, c.req.param('brand'))
      if (!brand) return c.notFound()
      return c.html(<AccountDeletedPage lang={lang(c)} brandName={brand.name} />)
    })
}
