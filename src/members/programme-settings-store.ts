import { eq } from 'drizzle-orm'
import type { BrandDb } from '../db/brand-scope.ts'
import type { DbLike } from '../db/index.ts'
import { type Actor, recordAudit } from '../staff/audit-store.ts'
import type { ProgrammeSettingsInput } from './programme-input.ts'
import { programmeSettings } from './programme-schema.ts'

export type ProgrammeSettings = {
  /** A member is 'new' up to this many days after joining. */
  newDays: number
  /** … 'active' up to this many days after their last scan, 'dormant' after … */
  activeDays: number
  /** … and 'churned' after this many. */
  churnDays: number
  /** Points credited on a member's birthday; 0 turns the bonus off. */
  birthdayPoints: number
  /** A churn warning is raised past this many times the member's usual interval between scans. */
  churnFactor: number
}

/** The defaults of programme-schema.ts, for a brand that never saved its settings. */
export const DEFAULT_PROGRAMME_SETTINGS: Readonly<ProgrammeSettings> = Object.freeze({
  newDays: 30,
  activeDays: 90,
  churnDays: 365,
  birthdayPoints: 0,
  churnFactor: 3,
})

/**
 * A brand's member-programme settings, or the defaults.
 *
 * @example
 * const { activeDays, churnDays } = readProgrammeSettings(db, brandId)
 */
export function readProgrammeSettings(db: DbLike, brandId: number): ProgrammeSettings {
  const row = db.select().from(programmeSettings).where(eq(programmeSettings.brandId, brandId)).get()
  if (!row) return { ...DEFAULT_PROGRAMME_SETTINGS }
  return {
    newDays: row.newDays,
    activeDays: row.activeDays,
    churnDays: row.churnDays,
    birthdayPoints: row.birthdayPoints,
    churnFactor: row.churnFactor,
  }
}

/**
 * Saves the brand's programme settings (an owner's action: the route checks the role) with an
 * audit record of before and after, in one transaction. The new thresholds apply from the next run
 * of the tags job.
 *
 * @example
 * saveProgrammeSettings(bdb, { staffId, label: email }, { newDays: 30, activeDays: 90, … }, now)
 */
export function saveProgrammeSettings(
  bdb: BrandDb,
  actor: Actor,
  input: ProgrammeSettingsInput,
  now: number,
): ProgrammeSettings {
  return bdb.db.transaction((tx) => {
    const before = readProgrammeSettings(tx, bdb.brandId)
    const values: ProgrammeSettings = {
      newDays: input.newDays,
      activeDays: input.activeDays,
      churnDays: input.churnDays,
      birthdayPoints: input.birthdayPoints,
      churnFactor: input.churnFactor,
    }
    tx.insert(programmeSettings)
      .values({ brandId: bdb.brandId, ...values, updatedAt: now })
      .onConflictDoUpdate({ target: programmeSettings.brandId, set: { ...values, updatedAt: now } })
      .run()
    recordAudit(tx, bdb.brandId, actor, now, {
      action: 'programme.settings.update',
      subjectType: 'programme_settings',
      subjectId: bdb.brandId,
      detail: { before, after: values },
    })
    return values
  })
}
