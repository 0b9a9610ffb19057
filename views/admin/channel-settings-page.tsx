import type { DivertedPolicy } from '../../src/channels/channel-schema.ts'
import type { ChannelSettings } from '../../src/channels/channel-settings-store.ts'
import { AdminPage, CsrfField, FormErrors, formatTime, type StaffView } from './admin-page.tsx'
import { ChannelTabs } from './channel-tabs.tsx'

export const POLICY_LABELS: Record<DivertedPolicy, { title: string; explain: string }> = {
  award: {
    title: 'Award',
    explain: 'A diverted scan earns points as usual; the case is still opened for your channel managers.',
  },
  hold: {
    title: 'Hold for review',
    explain:
      'The points wait until a manager decides the case: dismissed releases them, confirmed refuses them.',
  },
  refuse: {
    title: 'Refuse',
    explain: 'A diverted scan earns no points; the consumer is told the item was sold outside its region.',
  },
}

export type ChannelSettingsValues = Partial<
  Record<'divertedPolicy' | 'maxDevicesPerCode' | 'bulkClaimCount' | 'bulkClaimWindowMinutes', string>
>

export function ChannelSettingsPage(props: {
  staff: StaffView
  settings: ChannelSettings
  /** What the owner typed, when the form is shown again with errors. */
  values?: ChannelSettingsValues
  canEdit: boolean
  errors?: string[]
  notice?: string
}) {
  const s = props.settings
  const v: ChannelSettingsValues = props.values ?? {
    divertedPolicy: s.divertedPolicy,
    maxDevicesPerCode: String(s.maxDevicesPerCode),
    bulkClaimCount: String(s.bulkClaimCount),
    bulkClaimWindowMinutes: String(s.bulkClaimWindowMinutes),
  }
  const disabled = !props.canEdit
  const fields = (
    <>
      <fieldset disabled={disabled}>
        <legend>When a scan is diverted (outside its distributor’s sales regions)</legend>
        {(['award', 'hold', 'refuse'] as const).map((policy) => (
          <label class="check policy">
            <input type="radio" name="divertedPolicy" value={policy} checked={v.divertedPolicy === policy} />
            <span>
              <b>{POLICY_LABELS[policy].title}</b> — {POLICY_LABELS[policy].explain}
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Copied labels</legend>
        <label>
          Distinct phones per code before a code is flagged as a suspected copy
          <input
            name="maxDevicesPerCode"
            type="number"
            min={1}
            max={1000}
            required
            value={v.maxDevicesPerCode ?? ''}
          />
        </label>
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Bulk claiming (a leaked print file)</legend>
        <div class="grid2">
          <label>
            Claims of one batch by one member or phone
            <input
              name="bulkClaimCount"
              type="number"
              min={2}
              max={100000}
              required
              value={v.bulkClaimCount ?? ''}
            />
          </label>
          <label>
            …within this many minutes
            <input
              name="bulkClaimWindowMinutes"
              type="number"
              min={1}
              max={43200}
              required
              value={v.bulkClaimWindowMinutes ?? ''}
            />
          </label>
        </div>
      </fieldset>
      <p class="muted">
        {s.updatedAt === null
          ? 'These are the defaults; nobody has changed them yet.'
          : `Last saved ${formatTime(s.updatedAt)}.`}
      </p>
    </>
  )
  return (
    <AdminPage staff={props.staff} title="Channel settings" current="/admin/distributors">
      <ChannelTabs current="/admin/channels/settings" />
      <h1>Channel settings</h1>
      {props.notice ? <div class="notice">{props.notice}</div> : null}
      <FormErrors errors={props.errors} />
      {props.canEdit ? (
        <form class="stack card wide" method="post" action="/admin/channels/settings">
          <CsrfField token={props.staff.csrfToken} />
          {fields}
          <div>
            <button type="submit">Save settings</button>
          </div>
        </form>
      ) : (
        <div class="stack card wide">
          <p class="muted">Only an owner of your brand can change these settings.</p>
          {fields}
        </div>
      )}
    </AdminPage>
  )
}
