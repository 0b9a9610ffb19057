import type { PointSettings, Tier } from '../../src/points/point-settings-store.ts'
import { AdminPage, CsrfField, FormErrors, type StaffView } from './admin-page.tsx'

export type PointSettingsValues = Partial<
  Record<'expiryMonths' | 'dailyCap' | 'weeklyCap' | 'tierWindowDays', string>
>
export type TierValues = Partial<Record<'name' | 'threshold' | 'multiplierPct', string>>

/** The form values of saved settings: an empty field means "none". */
export function settingsValues(s: PointSettings): PointSettingsValues {
  const text = (n: number | null) => (n === null ? '' : String(n))
  return {
    expiryMonths: text(s.expiryMonths),
    dailyCap: text(s.dailyCap),
    weeklyCap: text(s.weeklyCap),
    tierWindowDays: String(s.tierWindowDays),
  }
}

/**
 * The brand's points rules: expiry, caps, the tier window and the tiers. Owners edit them; analysts
 * read them. Errors of one form come back (422) with that form's values and the rest as saved.
 */
export function PointsSettingsPage(props: {
  staff: StaffView
  canEdit: boolean
  settings: PointSettingsValues
  tiers: Tier[]
  notice?: string
  /** Errors of the settings form, of the new-tier form, or of the edit form of one tier. */
  errors?: { form: 'settings' | 'new-tier' | number; messages: string[] }
  newTier?: TierValues
  editedTier?: TierValues
}) {
  const { canEdit, errors } = props
  const errorsOf = (form: 'settings' | 'new-tier' | number) =>
    errors?.form === form ? errors.messages : undefined
  const v = props.settings
  const csrf = <CsrfField token={props.staff.csrfToken} />
  return (
    <AdminPage staff={props.staff} title="Points" current="/admin/points">
      <h1>Points rules</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      <section class="card">
        <h2>Expiry and caps</h2>
        <FormErrors errors={errorsOf('settings')} />
        <form class="stack" method="post" action="/admin/points/settings">
          {csrf}
          <fieldset disabled={!canEdit}>
            <label>
              Points expire this many months after they were earned (empty: never)
              <input name="expiryMonths" inputmode="numeric" value={v.expiryMonths ?? ''} />
            </label>
            <label>
              Most points a member may earn per day, China time (empty: no cap)
              <input name="dailyCap" inputmode="numeric" value={v.dailyCap ?? ''} />
            </label>
            <label>
              Most points a member may earn per week, Monday to Sunday (empty: no cap)
              <input name="weeklyCap" inputmode="numeric" value={v.weeklyCap ?? ''} />
            </label>
            <label>
              Tiers count points earned in the last … days
              <input name="tierWindowDays" inputmode="numeric" required value={v.tierWindowDays ?? '365'} />
            </label>
          </fieldset>
          {canEdit ? <button type="submit">Save rules</button> : null}
        </form>
        <p class="muted">
          A code claimed over a cap stays claimable and the member is told when. Expired points are written
          off each day; tiers go up at once and down only at the monthly review.
        </p>
      </section>
      <section class="card">
        <h2>Tiers</h2>
        {props.tiers.length === 0 ? (
          <div class="empty">No tiers: every member earns the product points (1.0×).</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th class="num">Points earned in the window</th>
                <th class="num">Multiplier %</th>
                {canEdit ? <th /> : null}
              </tr>
            </thead>
            <tbody>
              {props.tiers.map((tier) =>
                canEdit ? (
                  <TierRow
                    tier={tier}
                    csrfToken={props.staff.csrfToken}
                    errors={errorsOf(tier.id)}
                    values={errors?.form === tier.id ? props.editedTier : undefined}
                  />
                ) : (
                  <tr>
                    <td>{tier.name}</td>
                    <td class="num">{tier.threshold}</td>
                    <td class="num">{tier.multiplierPct}</td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        )}
        {canEdit ? (
          <>
            <h3>Add a tier</h3>
            <FormErrors errors={errorsOf('new-tier')} />
            <form class="stack" method="post" action="/admin/points/tiers">
              {csrf}
              <TierFields values={props.newTier ?? { multiplierPct: '100' }} />
              <button type="submit">Add tier</button>
            </form>
          </>
        ) : null}
      </section>
    </AdminPage>
  )
}

function TierFields({ values }: { values: TierValues }) {
  return (
    <>
      <label>
        Name
        <input name="name" required maxlength={40} value={values.name ?? ''} />
      </label>
      <label>
        Threshold (points earned in the window)
        <input name="threshold" inputmode="numeric" required value={values.threshold ?? ''} />
      </label>
      <label>
        Multiplier % (100–500)
        <input name="multiplierPct" inputmode="numeric" required value={values.multiplierPct ?? '100'} />
      </label>
    </>
  )
}

function TierRow(props: { tier: Tier; csrfToken: string; errors?: string[]; values?: TierValues }) {
  const { tier } = props
  const v = props.values ?? {
    name: tier.name,
    threshold: String(tier.threshold),
    multiplierPct: String(tier.multiplierPct),
  }
  return (
    <tr id={`tier-${tier.id}`}>
      <td colspan={4}>
        <FormErrors errors={props.errors} />
        <form class="inline" method="post" action={`/admin/points/tiers/${tier.id}`}>
          <CsrfField token={props.csrfToken} />
          <TierFields values={v} />
          <button type="submit">Save</button>
        </form>
        <form class="inline" method="post" action={`/admin/points/tiers/${tier.id}/delete`}>
          <CsrfField token={props.csrfToken} />
          <button class="secondary" type="submit">
            Delete {tier.name}
          </button>
        </form>
      </td>
    </tr>
  )
}
