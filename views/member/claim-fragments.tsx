import type { Lang } from '../scan/messages.ts'
import { MEMBER_MESSAGES } from './member-messages.ts'

type ClaimContext = { lang: Lang; scanId: number | string; csrf: string; idempotencyKey: string }

function Hidden(p: ClaimContext) {
  return (
    <>
      <input type="hidden" name="_csrf" value={p.csrf} />
      <input type="hidden" name="key" value={p.idempotencyKey} />
    </>
  )
}

function fragmentForm(action: string) {
  return { method: 'post' as const, action, 'hx-post': action, 'hx-target': '#claim', 'hx-swap': 'outerHTML' }
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

export function SignInStartForm(p: ClaimContext & { identifier?: string; error?: string }) {
  const t = MEMBER_MESSAGES[p.lang]
  return (
    <section id="claim" class="card" data-step="identifier">
      <h2>{t.signInTitle}</h2>
      {p.error ? (
        <p class="errors" role="alert">
          {p.error}
        </p>
      ) : null}
      <form class="stack" {...fragmentForm(`/scans/${p.scanId}/sign-in?lang=${p.lang}`)}>
        <Hidden {...p} />
        <label>
          {t.identifierLabel}
          <input
            name="identifier"
            required
            maxlength={254}
            autocomplete="tel email"
            value={p.identifier ?? ''}
          />
        </label>
        <button type="submit">{t.sendCode}</button>
      </form>
    </section>
  )
}

export function SignInCodeForm(
  p: ClaimContext & { identifier: string; maskedTo: string; isNewMember: boolean; error?: string },
) {
  const t = MEMBER_MESSAGES[p.lang]
  return (
    <section id="claim" class="card" data-step="code">
      <h2>{t.signInTitle}</h2>
      <p>{t.codeSentTo(p.maskedTo)}</p>
      {p.error ? (
        <p class="errors" role="alert">
          {p.error}
        </p>
      ) : null}
      <form class="stack" {...fragmentForm(`/scans/${p.scanId}/verify?lang=${p.lang}`)}>
        <Hidden {...p} />
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
            <input type="checkbox" name="acceptTerms" value="yes" required /> {t.acceptTerms}
          </label>
        ) : null}
        <button type="submit">{t.signInAndClaim}</button>
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
