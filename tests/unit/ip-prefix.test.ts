import { describe, expect, it } from 'vitest'
import { truncateIp } from '../../src/scans/ip-prefix.ts'

describe('keeping only the network part of a scanner address', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['2001:db8:abcd:12:34::1', '2001:db8:abcd::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['not an ip', 'unknown'],
  ])('turns %s into %s', (ip, prefix) => {
    expect(truncateIp(ip)).toBe(prefix)
  })
})
