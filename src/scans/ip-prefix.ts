import { isIPv4, isIPv6 } from 'node:net'

/**
 * The network part of an address, which is all we keep (PIPL data minimisation): IPv4 to /24,
 * IPv6 to /48. `truncateIp('203.0.113.77')` → `'203.0.113.0/24'`.
 */
export function truncateIp(ip: string): string {
  const v4 = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`
  if (isIPv6(ip)) {
    const [head = '', tail = ''] = ip.split('::')
    const headParts = head ? head.split(':') : []
    const tailParts = tail ? tail.split(':') : []
    const fill = Array(Math.max(0, 8 - headParts.length - tailParts.length)).fill('0')
    const full = ip.includes('::') ? [...headParts, ...fill, ...tailParts] : headParts
    return `${full.slice(0, 3).join(':')}::/48`
  }
  return 'unknown'
}
