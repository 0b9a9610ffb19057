import { Hono } from 'hono'
import { ChannelSettingsPage, type ChannelSettingsValues } from '../../views/admin/channel-settings-page.tsx'
import { createNotices } from '../admin-notice.ts'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import { ChannelSettingsForm } from './channel-input.ts'
import { channelSettingsFor, saveChannelSettings } from './channel-settings-store.ts'
import { actorOf } from './distributor-routes.tsx'

/** The brand's anti-diversion settings: readable by every channel role, changed by owners. */
export function createChannelSettingsRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  return new Hono<AppEnv>()
    .get('/channels/settings', requireRole('channels.read'), (c) => {
      const s = c.get('staff')
      return c.html(
        <ChannelSettingsPage
          staff={staffView(s)}
          settings={channelSettingsFor(deps.db, s.brandId)}
          canEdit={can(s.role, 'channels.configure')}
          notice={notices.read(c)}
        />,
      )
    })
    .post('/channels/settings', requireRole('channels.configure'), async (c) => {
      const s = c.get('staff')
      const body = await c.req.parseBody()
      const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined)
      const values: ChannelSettingsValues = {
        divertedPolicy: str('divertedPolicy'),
        maxDevicesPerCode: str('maxDevicesPerCode'),
        bulkClaimCount: str('bulkClaimCount'),
        bulkClaimWindowMinutes: str('bulkClaimWindowMinutes'),
      }
      const parsed = ChannelSettingsForm.safeParse(values)
      if (!parsed.success) {
        return c.html(
          <ChannelSettingsPage
            staff={staffView(s)}
            settings={channelSettingsFor(deps.db, s.brandId)}
            values={values}
            canEdit
            errors={issuesOf(parsed.error)}
          />,
          422,
        )
      }
      saveChannelSettings(s.bdb, actorOf(s), parsed.data, deps.clock.now())
      return c.redirect(notices.href(c, '/admin/channels/settings', 'Channel settings saved.'), 303)
    })
}
