import type { Lang } from '../scan/messages.ts'
import { MEMBER_MESSAGES } from './member-messages.ts'

type ClaimContext = { lang: Lang; scanId: number | string; csrf: string; idempotencyKey: string }

/**
 * Where a sign-in box stands: in a scan page's claim box (the claim completes after sign-in), or on
 * a brand's account pages (sign-in lands on the account page). Both post the same two steps, with
 * the device's CSRF token (src/scans/device-token.ts).
 */
export type SignInContext = {
  lang: Lang
  csrf: string
  brandSlug: string
  /** On a scan page: the scan whose points are claimed after sign-in, and the claim's key. */
  claim?: { scanId: number | string; idempotencyKey: string }
}

function Hidden(p: { csrf: string; idempotencyKey?: string }) {
  return (
    <>
      <input type="hidden" name="_csrf" value={p.csrf} />
      {p.idempotencyKey !== undefined ? <input type="hidden" name="key" value={p.idempotencyKey} /> : null}
    </>
  )
}

function fragmentForm(action: string, target = 'claim') {
  return {
    method: 'post' as const,
    action,
    'hx-post': action,
    'hx-target': `#${target}`,
    'hx-swap': 'outerHTML',
  }
}

/** The box's id (its htmx target), where its steps post, and its words. */
function signInPlace(p: SignInContext) {
  const t = MEMBER_MESSAGES[p.lang]
  return p.claim
    ? {
        id: 'claim',
        step: (s: string) => `/scans/${p.claim!.scanId}/${s}?lang=${p.lang}`,
        title: t.signInTitle,
        submit: t.signInAndClaim,
      }
    : {
        id: 'sign-in',
        step: (s: string) => `/me/${p.brandSlug}/${s}?lang=${p.lang}`,
        title: t.accountSignInTitle,
        submit: t.signIn,
      }
}

/** The claim button of the scan page; a second tap re-sends the same idempotency key. */
export function ClaimBox(p: ClaimContext & { points: number | string }) {
  const t = MEMBER_MESSAGES[p.lang]
  return (
    <section id="claim" class="card">
      <form {...fragmentForm(`/scans/${p.scanId}/claim?lang=${p.lang}`)}>
        <Hidden {...p} />
        <button type="submit" class="big">
          {t.claim(p.points)}
        </button>
      </form>
      <p class="muted">{t.claimHint}</p>
    </section>
  )
}

export function SignInStartForm(p: SignInContext & { identifier?: string; error?: string }) {
  const t = MEMBER_MESSAGES[p.lang]
  const place = signInPlace(p)
  return (
    <section id={place.id} class="card" data-step="identifier">
      <h2>{place.title}</h2>
      {p.error ? (
        <p class="errors" role="alert">
          {p.error}
        </p>
      ) : null}
      <form class="stack" {...fragmentForm(place.step('sign-in'), place.id)}>
        <Hidden csrf={p.csrf} idempotencyKey={p.claim?.idempotencyKey} />
        <label>
          {t.identifierLabel}
          {/* autocomplete takes one field name ("tel email" is invalid, and browsers drop it):
              "username" is the sign-in identifier, phone or email, and pairs with the code step's "one-time-code". */}
          <input
            name="identifier"
            required
            maxlength={254}
            autocomplete="username"
            value={p.identifier ?? ''}
          />
        </label>
        <button type="submit">{t.sendCode}</button>
      </form>
    </section>
  )
}

/**
 * The code step. A new member also ticks the terms box; its links open the texts in a new tab, so
 * the code typed here is not lost.
 */
export function SignInCodeForm(
  p: SignInContext & { identifier: string; maskedTo: string; isNewMember: boolean; error?: string },
) {
  const t = MEMBER_MESSAGES[p.lang]
  const place = signInPlace(p)
  const text = (rest: 'terms' | 'privacy', name: string) => (
    <a href={`/me/${p.brandSlug}/${rest}?lang=${p.lang}`} target="_blank" rel="noopener">
      {name}
    </a>
  )
  return (
    <section id={place.id} class="card" data-step="code">
      <h2>{place.title}</h2>
      <p>{t.codeSentTo(p.maskedTo)}</p>
      {p.error ? (
        <p class="errors" role="alert">
          {p.error}
        </p>
      ) : null}
      <form class="stack" {...fragmentForm(place.step('verify'), place.id)}>
        <Hidden csrf={p.csrf} idempotencyKey={p.claim?.idempotencyKey} />
        <input type="hidden" name="identifier" value={p.identifier} />
        <label>
          {t.codeLabel}
          <input
            name="code"
            required
            inputmode="numeric"
            pattern="[0-9]{6}"
            maxlength={6}
            autocomplete="one-time-code"
          />
        </label>
        {p.isNewMember ? (
          <label class="check">
            <input type="checkbox" name="acceptTerms" value="yes" required />{' '}
            {t.acceptTerms(text('terms', t.termsName), text('privacy', t.privacyName))}
          </label>
        ) : null}
        <button type="submit">{place.submit}</button>
      </form>
    </section>
  )
}

export type ClaimResultKind =
  | 'claimed'
  | 'already-yours'
  | 'already-claimed'
  | 'not-activated'
  | 'voided'
  | 'no-points'
  | 'over-daily-cap'
  | 'over-weekly-cap'
  | 'held'
  | 'held-by-other'
  | 'refused-diverted'

/** 'YYYY-MM-DD HH:mm' in China time, where the caps' days and weeks are counted. */
function chinaTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')
}

export function ClaimResult(p: {
  lang: Lang
  kind: ClaimResultKind
  points?: number
  balance?: number
  /** For an over-cap answer: when the code can be claimed (UTC ms). */
  claimableFrom?: number
  brandSlug: string
}) {
  const t = MEMBER_MESSAGES[p.lang]
  const from = chinaTime(p.claimableFrom ?? 0)
  const text = {
    claimed: t.claimed(p.points ?? 0, p.balance ?? 0),
    'already-yours': t.alreadyYours,
    'already-claimed': t.alreadyClaimed,
    'not-activated': t.notActivated,
    voided: t.voided,
    'no-points': t.noPoints,
    'over-daily-cap': t.overDailyCap(from),
    'over-weekly-cap': t.overWeeklyCap(from),
    held: t.heldForReview,
    'held-by-other': t.heldByOther,
    'refused-diverted': t.refusedDiverted,
  }[p.kind]
  return (
    <section id="claim" class={`card claim-${p.kind}`} data-claim={p.kind} role="status">
      <p>{text}</p>
      <p>
        <a href={`/me/${p.brandSlug}?lang=${p.lang}`}>{t.myAccount} →</a>
      </p>
    </section>
  )
}
