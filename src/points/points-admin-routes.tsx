import { type Context, Hono } from 'hono'
import {
  type PointSettingsValues,
  PointsSettingsPage,
  settingsValues,
  type TierValues,
} from '../../views/admin/points-settings-page.tsx'
import { createNotices } from '../admin-notice.ts'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { can } from '../staff/permissions.ts'
import { requireRole } from '../staff/staff-auth.ts'
import { issuesOf } from '../staff/staff-input.ts'
import { staffView } from '../staff/staff-routes.tsx'
import {
  createTier,
  deleteTier,
  listTiers,
  readPointSettings,
  type SaveTierOutcome,
  savePointSettings,
  updateTier,
} from './point-settings-store.ts'
import { PointSettingsForm, TierForm } from './points-input.ts'

const TIER_TAKEN: Record<'name-taken' | 'threshold-taken', string> = {
  'name-taken': 'Another tier already has this name.',
  'threshold-taken': 'Another tier already has this threshold.',
}

/**
 * The brand's points rules in the admin console (/admin/points): owners change expiry, caps, the
 * tier window and the tiers (each change audited); analysts read them.
 */
export function createPointsAdminRoutes(deps: AppDeps) {
  const notices = createNotices(deps.masterKey)
  const page = (
    c: Context<AppEnv>,
    extra: Partial<Parameters<typeof PointsSettingsPage>[0]> = {},
    status: 200 | 422 = 200,
  ) => {
    const s = c.get('staff')
    return c.html(
      <PointsSettingsPage
        staff={staffView(s)}
        canEdit={can(s.role, 'points.configure')}
        settings={settingsValues(readPointSettings(s.bdb.db, s.brandId))}
        tiers={listTiers(s.bdb.db, s.brandId)}
        notice={notices.read(c)}
        {...extra}
      />,
      status,
    )
  }
  const done = (c: Context<AppEnv>, notice: string) =>
    c.redirect(notices.href(c, '/admin/points', notice), 303)
  const actor = (c: Context<AppEnv>) => ({ staffId: c.get('staff').staffId, label: c.get('staff').email })
  const tierAnswer = (
    c: Context<AppEnv>,
    form: 'new-tier' | number,
    body: TierValues,
    outcome: SaveTierOutcome,
  ) => {
    if (outcome.kind === 'not-found') return c.notFound()
    if (outcome.kind !== 'saved') {
      const values = form === 'new-tier' ? { newTier: body } : { editedTier: body }
      return page(c, { errors: { form, messages: [TIER_TAKEN[outcome.kind]] }, ...values }, 422)
    }
    return done(c, `Tier ${outcome.tier.name} saved`)
  }

  return new Hono<AppEnv>()
    .get('/points', requireRole('points.read'), (c) => page(c))
    .post('/points/settings', requireRole('points.configure'), async (c) => {
      const body = (await c.req.parseBody()) as PointSettingsValues
      const parsed = PointSettingsForm.safeParse(body)
      if (!parsed.success) {
        return page(
          c,
          { settings: body, errors: { form: 'settings', messages: issuesOf(parsed.error) } },
          422,
        )
      }
      savePointSettings(c.get('staff').bdb, actor(c), parsed.data, deps.clock.now())
      return done(c, 'Points rules saved')
    })
    .post('/points/tiers', requireRole('points.configure'), async (c) => {
      const body = (await c.req.parseBody()) as TierValues
      const parsed = TierForm.safeParse(body)
      if (!parsed.success) {
        return page(c, { newTier: body, errors: { form: 'new-tier', messages: issuesOf(parsed.error) } }, 422)
      }
      return tierAnswer(
        c,
        'new-tier',
        body,
        createTier(c.get('staff').bdb, actor(c), parsed.data, deps.clock.now()),
      )
    })
    .post('/points/tiers/:id{[0-9]+}', requireRole('points.configure'), async (c) => {
      const id = Number(c.req.param('id'))
      const body = (await c.req.parseBody()) as TierValues
      const parsed = TierForm.safeParse(body)
      if (!parsed.success) {
        return page(c, { editedTier: body, errors: { form: id, messages: issuesOf(parsed.error) } }, 422)
      }
      return tierAnswer(
        c,
        id,
        body,
        updateTier(c.get('staff').bdb, actor(c), id, parsed.data, deps.clock.now()),
      )
    })
    .post('/points/tiers/:id{[0-9]+}/delete', requireRole('points.configure'), (c) => {
      const outcome = deleteTier(c.get('staff').bdb, actor(c), Number(c.req.param('id')), deps.clock.now())
      if (outcome.kind === 'not-found') return c.notFound()
      return done(c, 'Tier deleted')
    })
}
