import os from 'node:os'
import { parseArgs } from 'node:util'
import { eq } from 'drizzle-orm'
import { loadConfig } from '../src/config.ts'
import { brandDb } from '../src/db/brand-scope.ts'
import { staff } from '../src/staff/staff-schema.ts'
import { disableStaff, enableStaff, normalizeEmail, reissueInvite } from '../src/staff/staff-store.ts'
import type { CliIo } from './cli.ts'
import { openInstallation } from './installation.ts'

export const STAFF_HELP = `Usage: onecode-codegen staff disable --email EMAIL
       onecode-codegen staff enable --email EMAIL
       onecode-codegen staff reset-password --email EMAIL [--allow-localhost]

For the platform admin when a brand's owners cannot act in the console themselves:
  disable         signs the person out everywhere and refuses their sign-in (a brand keeps
                  at least one enabled owner with a password)
  enable          lets a disabled person sign in again
  reset-password  ends their password and sessions and prints a one-time link (7 days) to
                  choose a new one, e.g. for an owner who forgot theirs; the link starts
                  with PUBLIC_BASE_URL, which must be set (--allow-localhost: the default
                  http://localhost:PORT, for a development server)
Every action is written to the brand's audit log.`

const SUBCOMMANDS = ['disable', 'enable', 'reset-password'] as const

const usage = (io: CliIo, message: string) => {
  io.stderr.write(`onecode-codegen: ${message}\n`)
  return 2
}

/**
 * `onecode-codegen staff disable|enable|reset-password --email EMAIL`: 0 done, 1 refused,
 * 2 bad arguments.
 *
 * @example
 * await staffCommand(['disable', '--email', 'left@tea.example'], io)
 */
export async function staffCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  if (!(SUBCOMMANDS as readonly string[]).includes(sub ?? '')) {
    return usage(io, `use "staff ${SUBCOMMANDS.join('|')} --email EMAIL"`)
  }
  const o = parseArgs({
    args: rest,
    options: { email: { type: 'string' }, 'allow-localhost': { type: 'boolean' } },
    allowPositionals: false,
    strict: true,
  }).values
  if (!o.email) return usage(io, '--email is required; see --help')
  const email = normalizeEmail(o.email)
  const config = loadConfig({ ...io.env, LOG_LEVEL: io.env.LOG_LEVEL ?? 'warn' })
  // Checked before the reset: it ends the old password, and a localhost link would leave the
  // person with neither.
  if (sub === 'reset-password' && config.publicBaseUrlIsDefault && o['allow-localhost'] !== true) {
    return usage(
      io,
      `PUBLIC_BASE_URL is not set, so the link would start with ${config.publicBaseUrl}, which only opens on this machine; set PUBLIC_BASE_URL to the server's public address, or add --allow-localhost`,
    )
  }
  const opened = openInstallation(config)
  if (opened.kind === 'missing') return usage(io, opened.problem)
  const rt = opened.rt
  try {
    const row = rt.db.select().from(staff).where(eq(staff.email, email)).get()
    if (!row) return usage(io, `no staff member with email "${email}"`)
    const bdb = brandDb(rt.db, row.brandId)
    const actor = { staffId: null, label: `cli:${os.userInfo().username}` }
    const now = Date.now()
    const refuse = (message: string) => {
      io.stderr.write(`onecode-codegen: ${message}\n`)
      return 1
    }
    if (sub === 'disable') {
      const outcome = disableStaff(bdb, actor, row.id, now)
      if (outcome.kind === 'last-owner') {
        return refuse(`${email} is the brand's last owner who can sign in; make someone else owner first`)
      }
      io.stdout.write(
        outcome.kind === 'already-disabled'
          ? `${email} was already disabled\n`
          : `${email} disabled and signed out\n`,
      )
      return 0
    }
    if (sub === 'enable') {
      const outcome = enableStaff(bdb, actor, row.id, now)
      io.stdout.write(outcome.kind === 'enabled' ? `${email} enabled\n` : `${email} was not disabled\n`)
      return 0
    }
    const outcome = reissueInvite(bdb, actor, { staffId: row.id, allowReset: true }, now)
    if (outcome.kind !== 'issued') {
      return refuse(outcome.kind === 'disabled' ? `${email} is disabled; enable them first` : outcome.kind)
    }
    io.stdout.write(
      `one-time link for ${email} (valid 7 days; older links and the password no longer work):\n`,
    )
    io.stdout.write(`${config.publicBaseUrl}/admin/invite/${outcome.token}\n`)
    return 0
  } finally {
    rt.db.$client.close()
  }
}
