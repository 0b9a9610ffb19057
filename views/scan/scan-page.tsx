import type { ScannedCode } from '../../src/scans/scan-store.ts'
import type { Verdict } from '../../src/scans/verdict.ts'
import { Layout } from '../layout.tsx'
import { ClaimBox, ClaimResult } from '../member/claim-fragments.tsx'
import { type Lang, MESSAGES, type Messages } from './messages.ts'

const SCAN_JS = '/static/scan.js'

function formatDate(ms: number, lang: Lang): string {
  const d = new Date(ms + 8 * 3_600_000) // dates read in China Standard Time
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]
  return lang === 'en' ? d.toISOString().slice(0, 10) : `${y}年${m}月${day}日`
}

function ConsumerPage(props: {
  lang: Lang
  title: string
  switchHref: string
  children: unknown
  csrf?: string
}) {
  const t = MESSAGES[props.lang]
  return (
    <Layout title={props.title} lang={props.lang} csrfToken={props.csrf}>
      <div class="consumer">
        <p style="text-align:right">
          <a href={props.switchHref}>{t.switchLang}</a>
        </p>
        {props.children as never}
      </div>
      <script src={SCAN_JS} defer />
    </Layout>
  )
}

/** The verdict as words: its tone, its heading and its one-line explanation. */
function verdictWords(verdict: Verdict, t: Messages, lang: Lang): ScanPageModel['verdict'] {
  switch (verdict.kind) {
    case 'genuine-first':
      return { tone: 'ok', title: t.genuineFirst, text: t.genuineFirstHint }
    case 'genuine-seen': {
      const place = verdict.place ? (lang === 'en' ? verdict.place.en : verdict.place.zh) : null
      return {
        tone: 'ok',
        title: t.genuineSeen,
        text: t.genuineSeenHint(formatDate(verdict.firstAt, lang), place, verdict.place?.approximate),
      }
    }
    case 'suspected-copy':
      return {
        tone: 'bad',
        title: t.suspected,
        text: verdict.reason === 'travel' ? t.suspectedTravel : t.suspectedDevices,
      }
    case 'voided':
      return { tone: 'bad', title: t.voided, text: t.voidedHint(t.reasons[verdict.reason ?? 'other'] ?? '') }
    case 'not-activated':
      return { tone: 'warn', title: t.notActivated, text: t.notActivatedHint }
  }
}

function Verdictbox(props: { tone: 'ok' | 'warn' | 'bad'; title: string; text: string }) {
  return (
    <section class={`verdict ${props.tone}`} data-verdict={props.tone} role="status">
      <h1>{props.title}</h1>
      <p>{props.text}</p>
    </section>
  )
}

export type ScanPageProps = {
  lang: Lang
  switchHref: string
  code: ScannedCode
  verdict: Verdict
  scanId: number
  csrf: string
  /** Idempotency key of this page's claim button (a double tap or retry awards once). */
  claimKey: string
  /** The member signed in to the code's brand on this phone, if any. */
  memberId: number | null
  /** This page's own path and query (without `lang`): where the location step leads back to. */
  back: string
}

/**
 * Everything the scan page shows, as strings and a few choices: what {@link ScanPageView} draws.
 * The strings are the page's only varying parts, which is what lets renderScanPage
 * (scan-page-template.ts) fill a template made once per choice instead of rendering the tree.
 */
export type ScanPageModel = {
  lang: Lang
  switchHref: string
  title: string
  verdict: { tone: 'ok' | 'warn' | 'bad'; title: string; text: string }
  brandName: string
  productName: string
  imageUrl: string | null
  lot: string
  producedOn: string
  expiresOn: string
  /** What the claim section offers: nothing, the claim button, "already yours" or "already claimed". */
  claim: 'none' | 'box' | 'already-yours' | 'already-claimed'
  points: string
  brandSlug: string
  scanId: string
  csrf: string
  claimKey: string
  back: string
}

/** Points are offered only for an activated code of a product that earns; a claimed code says so. */
function claimOffer(p: ScanPageProps): ScanPageModel['claim'] {
  const c = p.code
  if (c.productPoints <= 0 || p.verdict.kind === 'voided' || p.verdict.kind === 'not-activated') return 'none'
  if (c.state === 'claimed')
    return p.memberId !== null && c.claimantId === p.memberId ? 'already-yours' : 'already-claimed'
  return c.state === 'activated' ? 'box' : 'none'
}

export function scanPageModel(p: ScanPageProps): ScanPageModel {
  const t = MESSAGES[p.lang]
  const c = p.code
  return {
    lang: p.lang,
    switchHref: p.switchHref,
    title: `${t.title} · ${c.brandName}`,
    verdict: verdictWords(p.verdict, t, p.lang),
    brandName: c.brandName,
    productName: c.productName,
    imageUrl: c.productImageUrl,
    lot: c.lot ?? '—',
    producedOn: c.producedOn ?? '—',
    expiresOn: c.expiresOn ?? '—',
    claim: claimOffer(p),
    points: String(c.productPoints),
    brandSlug: c.brandSlug,
    scanId: String(p.scanId),
    csrf: p.csrf,
    claimKey: p.claimKey,
    back: p.back,
  }
}

/** The landing page of a scanned genuine code: verdict, product, and the separate location consent. */
export function ScanPageView(m: ScanPageModel) {
  const t = MESSAGES[m.lang]
  return (
    <ConsumerPage lang={m.lang} title={m.title} switchHref={m.switchHref} csrf={m.csrf}>
      <Verdictbox {...m.verdict} />
      <section class="card product">
        {m.imageUrl !== null ? <img src={m.imageUrl} alt="" width="96" height="96" loading="lazy" /> : null}
        <dl>
          <dt>{t.product}</dt>
          <dd>{m.productName}</dd>
          <dt>{t.brand}</dt>
          <dd>{m.brandName}</dd>
          <dt>{t.lot}</dt>
          <dd>{m.lot}</dd>
          <dt>{t.produced}</dt>
          <dd>{m.producedOn}</dd>
          <dt>{t.expires}</dt>
          <dd>{m.expiresOn}</dd>
        </dl>
      </section>
      {m.claim === 'box' ? (
        <ClaimBox
          lang={m.lang}
          scanId={m.scanId}
          csrf={m.csrf}
          idempotencyKey={m.claimKey}
          points={m.points}
        />
      ) : m.claim === 'already-claimed' || m.claim === 'already-yours' ? (
        <ClaimResult lang={m.lang} kind={m.claim} brandSlug={m.brandSlug} />
      ) : null}
      <LocationConsent lang={m.lang} scanId={m.scanId} brandName={m.brandName} csrf={m.csrf} back={m.back} />
    </ConsumerPage>
  )
}

/**
 * Asked separately and explicitly (PIPL: location is sensitive); the browser is asked only after
 * "share". `back` is the scan page's own address, for the answer to a post without JavaScript.
 */
export function LocationConsent(p: {
  lang: Lang
  scanId: number | string
  brandName: string
  csrf: string
  back: string
}) {
  const t = MESSAGES[p.lang]
  const action = `/scans/${p.scanId}/location?lang=${p.lang}`
  return (
    <section id="location" class="card">
      <h2>{t.locationTitle}</h2>
      <p>{t.locationWhy(p.brandName)}</p>
      <form method="post" action={action} hx-post={action} hx-target="#location" hx-swap="outerHTML">
        <input type="hidden" name="_csrf" value={p.csrf} />
        <input type="hidden" name="lat" value="" />
        <input type="hidden" name="lon" value="" />
        <input type="hidden" name="accuracy" value="" />
        <input type="hidden" name="geo" value="" />
        <input type="hidden" name="back" value={p.back} />
        <button type="submit" name="decision" value="allow" data-geolocate="1">
          {t.locationAllow}
        </button>{' '}
        <button type="submit" name="decision" value="decline" class="secondary">
          {t.locationDecline}
        </button>
      </form>
    </section>
  )
}

export type LocationResultKind = 'located' | 'declined' | 'unavailable' | 'invalid' | 'not-found'

export function LocationResult(p: { lang: Lang; kind: LocationResultKind; place: string | null }) {
  const t = MESSAGES[p.lang]
  const text = {
    located: t.locationThanks(p.place),
    declined: t.locationDeclined,
    unavailable: t.locationUnavailable,
    invalid: t.locationInvalid,
    'not-found': t.locationNotFound,
  }[p.kind]
  return (
    <section id="location" class="card" data-location={p.kind}>
      <p>{text}</p>
    </section>
  )
}

/** The location step's answer without JavaScript: the result, and the way back to the product. */
export function LocationResultPage(p: {
  lang: Lang
  kind: LocationResultKind
  place: string | null
  switchHref: string
  /** The scan page to go back to; null when the post did not say (or said something else). */
  back: string | null
}) {
  const t = MESSAGES[p.lang]
  return (
    <ConsumerPage lang={p.lang} title={t.title} switchHref={p.switchHref}>
      <h1>{t.locationTitle}</h1>
      <LocationResult lang={p.lang} kind={p.kind} place={p.place} />
      {p.back !== null ? (
        <p>
          <a href={`${p.back}${p.back.includes('?') ? '&' : '?'}lang=${p.lang}`} data-back="1">
            ← {t.backToProduct}
          </a>
        </p>
      ) : null}
    </ConsumerPage>
  )
}

export function NotGenuinePage(p: { lang: Lang; switchHref: string }) {
  const t = MESSAGES[p.lang]
  return (
    <ConsumerPage lang={p.lang} title={t.notGenuine} switchHref={p.switchHref}>
      <Verdictbox tone="bad" title={t.notGenuine} text={t.notGenuineHint} />
      <p>
        <a href={`/verify?lang=${p.lang}`}>{t.verifyTitle}</a>
      </p>
    </ConsumerPage>
  )
}

export function TooManyPage(p: { lang: Lang; switchHref: string; retryAfterS: number }) {
  const t = MESSAGES[p.lang]
  return (
    <ConsumerPage lang={p.lang} title={t.tooMany} switchHref={p.switchHref}>
      <Verdictbox tone="warn" title={t.tooMany} text={t.tooManyHint(p.retryAfterS)} />
    </ConsumerPage>
  )
}

export function VerifyPage(p: { lang: Lang; switchHref: string; value?: string; error?: string }) {
  const t = MESSAGES[p.lang]
  return (
    <ConsumerPage lang={p.lang} title={t.verifyTitle} switchHref={p.switchHref}>
      <section class="card">
        <h1>{t.verifyTitle}</h1>
        <p>{t.verifyHint}</p>
        {p.error ? (
          <p class="errors" role="alert">
            {p.error}
          </p>
        ) : null}
        <form class="stack" method="post" action={`/verify?lang=${p.lang}`}>
          <label>
            {t.verifyLabel}
            <input
              name="code"
              value={p.value ?? ''}
              required
              maxlength={80}
              autocomplete="off"
              autocapitalize="characters"
              spellcheck={false}
              class="mono"
            />
          </label>
          <button type="submit">{t.verifyButton}</button>
        </form>
      </section>
    </ConsumerPage>
  )
}
