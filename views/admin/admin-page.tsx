import type { Child } from 'hono/jsx'
import { CHINA_OFFSET_MS } from '../../src/points/points-calendar.ts'
import type { StaffRole } from '../../src/staff/staff-schema.ts'
import { Layout } from '../layout.tsx'

export type StaffView = { name: string; email: string; role: StaffRole; brandName: string; csrfToken: string }

const LINKS: { href: string; label: string; roles: StaffRole[] }[] = [
  {
    href: '/admin/dashboard',
    label: 'Dashboard',
    roles: ['owner', 'operator', 'analyst', 'channel_manager'],
  },
  { href: '/admin/products', label: 'Products', roles: ['owner', 'operator', 'analyst'] },
  { href: '/admin/batches', label: 'Batches', roles: ['owner', 'operator', 'analyst'] },
  { href: '/admin/codes', label: 'Code lookup', roles: ['owner', 'operator', 'analyst', 'channel_manager'] },
  { href: '/admin/rewards', label: 'Rewards', roles: ['owner', 'analyst'] },
  { href: '/admin/points', label: 'Points', roles: ['owner', 'analyst'] },
  { href: '/admin/members', label: 'Members', roles: ['owner', 'analyst'] },
  { href: '/admin/segments', label: 'Segments', roles: ['owner', 'analyst'] },
  { href: '/admin/programme', label: 'Programme', roles: ['owner', 'analyst'] },
  {
    href: '/admin/distributors',
    label: 'Distributors',
    roles: ['owner', 'operator', 'analyst', 'channel_manager'],
  },
  { href: '/admin/shipments', label: 'Shipments', roles: ['owner', 'operator', 'channel_manager'] },
  {
    href: '/admin/diversion',
    label: 'Diversion',
    roles: ['owner', 'operator', 'analyst', 'channel_manager'],
  },
  { href: '/admin/outbox', label: 'Outbox', roles: ['owner', 'operator'] },
  { href: '/admin/staff', label: 'Staff', roles: ['owner'] },
  { href: '/admin/audit', label: 'Audit log', roles: ['owner'] },
]

export const ROLE_LABELS: Record<StaffRole, string> = {
  owner: 'Owner',
  operator: 'Operator',
  channel_manager: 'Channel manager',
  analyst: 'Analyst',
}

/** Hidden CSRF field for every state-changing form (plain POSTs work without JavaScript). */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />
}

export function AdminPage(props: { staff: StaffView; title: string; current?: string; children: Child }) {
  const { staff } = props
  return (
    <Layout
      title={`${props.title} · onecode`}
      csrfToken={staff.csrfToken}
      nav={
        <nav class="top" aria-label="Admin">
          <span class="brand">onecode · {staff.brandName}</span>
          {LINKS.filter((l) => l.roles.includes(staff.role)).map((l) => (
            <a href={l.href} aria-current={props.current === l.href ? 'page' : undefined}>
              {l.label}
            </a>
          ))}
          <span class="muted" style="color:#aab8c8">
            {staff.email} · {ROLE_LABELS[staff.role]}
          </span>
          <a href="/admin/account" aria-current={props.current === '/admin/account' ? 'page' : undefined}>
            Account
          </a>
          <form method="post" action="/admin/sign-out">
            <CsrfField token={staff.csrfToken} />
            <button class="secondary" type="submit">
              Sign out
            </button>
          </form>
        </nav>
      }
    >
      {props.children}
    </Layout>
  )
}

export function FormErrors({ errors }: { errors?: string[] }) {
  if (!errors || errors.length === 0) return null
  return (
    <div class="errors" role="alert">
      {errors.length === 1 ? (
        errors[0]
      ) : (
        <ul>
          {errors.map((e) => (
            <li>{e}</li>
          ))}
        </ul>
      )}
    </div>
  )
}

/**
 * A moment as the console shows it: China time, where the brands work and where the pages' date
 * filters and daily figures are counted ('2026-12-02 18:03 UTC+8').
 */
export function formatTime(ms: number | null | undefined): string {
  if (ms == null) return '—'
  return `${new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ')} UTC+8`
}
