import { z } from 'zod'
import { MIN_PASSWORD_LENGTH } from './password.ts'
import { STAFF_ROLES } from './staff-schema.ts'

export const SignInForm = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(1024),
  next: z.string().max(500).optional(),
})

export const InviteForm = z.object({
  email: z.email('enter a valid email address').max(254),
  name: z.string().trim().min(1, 'name is required').max(100),
  role: z.enum(STAFF_ROLES, 'choose a role'),
})

export const RoleForm = z.object({ role: z.enum(STAFF_ROLES, 'choose a role') })

/** The rule for every new password, whether set from an invitation or changed at /admin/account. */
const NewPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `the password needs at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024, 'the password may have at most 1024 characters')

const PASSWORDS_DIFFER = 'the two passwords differ'

export const SetPasswordForm = z
  .object({ password: NewPassword, confirm: z.string() })
  .refine((f) => f.password === f.confirm, PASSWORDS_DIFFER)

export const ChangePasswordForm = z
  .object({
    current: z.string().min(1, 'enter your current password').max(1024),
    password: NewPassword,
    confirm: z.string(),
  })
  .refine((f) => f.password === f.confirm, { message: PASSWORDS_DIFFER, path: ['confirm'] })

export type ChangePasswordField = 'current' | 'password' | 'confirm'

/** The first message per form field, for showing each next to its input. */
export function fieldErrorsOf<F extends string>(error: z.ZodError): Partial<Record<F, string>> {
  const out: Partial<Record<F, string>> = {}
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? '') as F
    if (field && out[field] === undefined) out[field] = issue.message
  }
  return out
}

/** Only same-site paths under /admin are followed after sign-in (no open redirect). */
export function safeNextPath(next: string | undefined): string {
  return next && /^\/admin(\/[\w\-/?=&%.]*)?$/.test(next) && !next.startsWith('//') ? next : '/admin'
}

export function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((i) => (i.path.length > 0 ? `${String(i.path[0])}: ${i.message}` : i.message))
}
