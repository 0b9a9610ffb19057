const TABS = [
  { href: '/admin/distributors', label: 'Distributors' },
  { href: '/admin/regions', label: 'Regions' },
  { href: '/admin/shipments', label: 'Shipments' },
  { href: '/admin/channels/settings', label: 'Channel settings' },
] as const

/** The channel pages' own sub-navigation (the top bar links only the main pages). */
export function ChannelTabs({ current }: { current: string }) {
  return (
    <nav class="tabs" aria-label="Channels">
      {TABS.map((t) => (
        <a href={t.href} aria-current={t.href === current ? 'page' : undefined}>
          {t.label}
        </a>
      ))}
    </nav>
  )
}
