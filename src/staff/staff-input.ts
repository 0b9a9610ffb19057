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

export const SetPasswordForm = z
  .object({
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `the password needs at least ${MIN_PASSWORD_LENGTH} characters`)
      .max(1024),
    confirm: z.string(),
  })
  .refine((f) => f.password === f.confirm, 'the two passwords differ')

/** Only same-site paths under /admin are followed after sign-in (no open redirect). */
export function safeNextPath(next: string | undefined): string {
  return next && /^\/admin(\/[\w\-/?=&%.]*)?$/.test(next) && !next.startsWith('//') ? next : '/admin'
}

export function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((i) => (i.path.length > 0 ? `${String(i.path[0])}: ${i.message}` : i.message))
}
