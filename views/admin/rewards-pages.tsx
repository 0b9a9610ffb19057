import type { RedemptionRow, Reward } from '../../src/points/reward-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'

export function RewardsAdminPage(props: {
  staff: StaffView
  rewards: Reward[]
  canEdit: boolean
  notice?: string
}) {
  return (
    <AdminPage staff={props.staff} title="Rewards" current="/admin/rewards">
      <h1>Rewards</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      <p>
        {props.canEdit ? (
          <a class="button" href="/admin/rewards/new">
            New reward
          </a>
        ) : null}{' '}
        <a href="/admin/redemptions">Redemptions</a>
      </p>
      {props.rewards.length === 0 ? (
        <div class="empty">No rewards yet. Members see an empty catalogue until you add one.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th class="num">Price (points)</th>
              <th class="num">Stock</th>
              <th class="num">Per member</th>
              <th>Available</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {props.rewards.map((r) => (
              <tr>
                <td>{r.name}</td>
                <td class="num">{r.pointsPrice}</td>
                <td class="num">{r.stock ?? 'unlimited'}</td>
                <td class="num">{r.perMemberLimit ?? '—'}</td>
                <td>
                  {r.availableFrom === null && r.availableUntil === null
                    ? 'always'
                    : `${formatTime(r.availableFrom)} → ${formatTime(r.availableUntil)}`}
                </td>
                <td>{r.active ? 'active' : 'inactive'}</td>
                <td>{props.canEdit ? <a href={`/admin/rewards/${r.id}`}>Edit</a> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminPage>
  )
}

export type RewardFormValues = Partial<
  Record<
    | 'name'
    | 'description'
    | 'pointsPrice'
    | 'stock'
    | 'perMemberLimit'
    | 'availableFrom'
    | 'availableUntil'
    | 'active',
    string
  >
>

/** A UTC time as the value of a `datetime-local` input (the form is read back as UTC). */
export function toUtcInput(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().slice(0, 16)
}

export function RewardFormPage(props: {
  staff: StaffView
  rewardId?: number
  values: RewardFormValues
  errors?: string[]
}) {
  const v = props.values
  const title = props.rewardId ? 'Edit reward' : 'New reward'
  return (
    <AdminPage staff={props.staff} title={title} current="/admin/rewards">
      <h1>{title}</h1>
      <FormErrors errors={props.errors} />
      <form
        class="stack card"
        method="post"
        action={props.rewardId ? `/admin/rewards/${props.rewardId}` : '/admin/rewards'}
      >
        <CsrfField token={props.staff.csrfToken} />
        <label>
          Name
          <input name="name" required maxlength={200} value={v.name ?? ''} />
        </label>
        <label>
          Description (optional)
          <textarea name="description" maxlength={2000} rows={3}>
            {v.description ?? ''}
          </textarea>
        </label>
        <label>
          Price in points
          <input name="pointsPrice" type="number" min={1} required value={v.pointsPrice ?? ''} />
        </label>
        <label>
          Stock: units left (empty = unlimited)
          <input name="stock" type="number" min={0} value={v.stock ?? ''} />
        </label>
        <label>
          Limit per member (empty = no limit; cancelled redemptions do not count)
          <input name="perMemberLimit" type="number" min={1} value={v.perMemberLimit ?? ''} />
        </label>
        <label>
          Available from (UTC; empty = now)
          <input name="availableFrom" type="datetime-local" value={v.availableFrom ?? ''} />
        </label>
        <label>
          Available until (UTC, exclusive; empty = no end)
          <input name="availableUntil" type="datetime-local" value={v.availableUntil ?? ''} />
        </label>
        <label class="check">
          <input name="active" type="checkbox" checked={v.active === 'on'} /> Active (shown to members)
        </label>
        <div>
          <button type="submit">Save reward</button> <a href="/admin/rewards">Cancel</a>
        </div>
      </form>
    </AdminPage>
  )
}

function memberLabel(r: RedemptionRow, mask: (s: string) => string): string {
  const id = r.memberPhone ?? r.memberEmail
  return id ? `#${r.memberId} ${mask(id)}` : `#${r.memberId}`
}

export function RedemptionsPage(props: {
  staff: StaffView
  rows: RedemptionRow[]
  nextBefore?: number
  canCancel: boolean
  mask: (identifier: string) => string
  notice?: string
}) {
  return (
    <AdminPage staff={props.staff} title="Redemptions" current="/admin/rewards">
      <h1>Redemptions</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      <p>
        <a href="/admin/rewards">Rewards</a>
      </p>
      {props.rows.length === 0 ? (
        <div class="empty">No redemptions yet.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Reward</th>
              <th>Member</th>
              <th>Code</th>
              <th class="num">Points</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr data-redemption={String(r.id)}>
                <td>{formatTime(r.createdAt)}</td>
                <td>{r.rewardName}</td>
                <td>{memberLabel(r, props.mask)}</td>
                <td class="mono">{r.code}</td>
                <td class="num">{r.points}</td>
                <td>{r.status === 'cancelled' ? `cancelled ${formatTime(r.cancelledAt)}` : 'issued'}</td>
                <td>
                  {props.canCancel && r.status === 'issued' ? (
                    <a href={`/admin/redemptions/${r.id}/cancel`}>Cancel…</a>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextBefore ? (
        <p class="pager">
          <a href={`/admin/redemptions?before=${props.nextBefore}`}>Older redemptions →</a>
        </p>
      ) : null}
    </AdminPage>
  )
}

/** Cancelling gives the member the points back and the unit back to stock: a reason is required. */
export function CancelRedemptionPage(props: {
  staff: StaffView
  redemption: RedemptionRow
  mask: (identifier: string) => string
  reason?: string
  errors?: string[]
}) {
  const r = props.redemption
  return (
    <AdminPage staff={props.staff} title="Cancel redemption" current="/admin/rewards">
      <h1>Cancel redemption #{r.id}</h1>
      <FormErrors errors={props.errors} />
      <p>
        {r.rewardName} · code <span class="mono">{r.code}</span> · {memberLabel(r, props.mask)} · {r.points}{' '}
        points · {formatTime(r.createdAt)}
      </p>
      {r.status === 'cancelled' ? (
        <div class="warn">This redemption was already cancelled {formatTime(r.cancelledAt)}.</div>
      ) : (
        <form class="stack card" method="post" action={`/admin/redemptions/${r.id}/cancel`}>
          <CsrfField token={props.staff.csrfToken} />
          <label>
            Reason (kept in the audit log)
            <textarea name="reason" required maxlength={500} rows={2}>
              {props.reason ?? ''}
            </textarea>
          </label>
          <label class="check">
            <input name="confirm" type="checkbox" value="yes" required /> Give the member {r.points} points
            back and put the unit back in stock. The code {r.code} will no longer be valid.
          </label>
          <div>
            <button class="danger" type="submit">
              Cancel redemption
            </button>{' '}
            <a href="/admin/redemptions">Keep it</a>
          </div>
        </form>
      )}
    </AdminPage>
  )
}
