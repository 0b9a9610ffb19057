import type { StaffRole } from './staff-schema.ts'

/** Who may do what (DESIGN.md "Roles"); checked by `requireRole` on every admin route. */
export const PERMISSIONS = {
  'staff.manage': ['owner'],
  'audit.read': ['owner'],
  'catalogue.read': ['owner', 'operator', 'analyst'],
  // Checking a suspect item in the field is part of a channel manager's work.
  'codes.lookup': ['owner', 'operator', 'analyst', 'channel_manager'],
  'catalogue.write': ['owner', 'operator'],
  'print.download': ['owner', 'operator'],
  'print.link': ['owner'],
  'points.configure': ['owner'],
  'points.read': ['owner', 'analyst'],
  'rewards.manage': ['owner'],
  'rewards.read': ['owner', 'analyst'],
  'members.read': ['owner', 'analyst'],
  'members.adjust': ['owner'],
  'outbox.read': ['owner', 'operator'],
  'privacy.read': ['owner'],
  // Channels and diversion (issue 5). Reads are scoped further by channelScopeOf.
  'channels.read': ['owner', 'operator', 'analyst', 'channel_manager'],
  'distributors.manage': ['owner', 'channel_manager'],
  'channels.assign': ['owner'],
  'regions.upload': ['owner'],
  'shipments.create': ['owner', 'operator', 'channel_manager'],
  'cases.decide': ['owner', 'channel_manager'],
  'channels.configure': ['owner'],
  // The member programme (issue 7). Only owners see phone numbers and emails unmasked.
  'members.contact': ['owner'],
  // Tagging needs the member's page, which operators do not see (DESIGN.md "Roles").
  'members.tag': ['owner', 'analyst'],
  'segments.manage': ['owner', 'analyst'],
  'segments.export': ['owner', 'analyst'],
  'members.merge': ['owner'],
  'programme.configure': ['owner'],
  'dashboard.read': ['owner', 'operator', 'analyst', 'channel_manager'],
} as const satisfies Record<string, readonly StaffRole[]>

export type Permission = keyof typeof PERMISSIONS

export function can(role: StaffRole, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly StaffRole[]).includes(role)
}
