import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { createClientIp, parseTrustProxy, type TrustProxy } from '../../src/request-ip.ts'

/** The client address the app sees for a request from `peer` with these headers. */
async function clientOf(trust: TrustProxy, peer: string, headers: Record<string, string> = {}) {
  const ipOf = createClientIp(trust)
  const app = new Hono().get('/', (c) => c.text(ipOf(c)))
  // The node adapter's connection info, as @hono/node-server passes it in production.
  const env = { incoming: { socket: { remoteAddress: peer, remoteFamily: 'IPv4', remotePort: 1 } } }
  return (await app.request('http://localhost/', { headers }, env)).text()
}

describe('the client address', () => {
  it('is the socket address by default, whatever the headers say', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' }
    expect(await clientOf('none', '198.51.100.7', headers)).toBe('198.51.100.7')
  })

  it('behind one proxy is the right-most X-Forwarded-For entry, which the proxy wrote', async () => {
    const headers = { 'x-forwarded-for': '10.9.9.9, 203.0.113.9' }
    expect(await clientOf('one-hop', '127.0.0.1', headers)).toBe('203.0.113.9')
    // X-Real-IP is never read: a proxy setting X-Forwarded-For passes a client's X-Real-IP through.
    expect(await clientOf('one-hop', '127.0.0.1', { 'x-real-ip': '203.0.113.9' })).toBe('127.0.0.1')
    expect(
      await clientOf('one-hop', '127.0.0.1', { 'x-real-ip': '1.2.3.4', 'x-forwarded-for': '203.0.113.9' }),
    ).toBe('203.0.113.9')
    expect(await clientOf('one-hop', '127.0.0.1')).toBe('127.0.0.1')
    expect(await clientOf('one-hop', '127.0.0.1', { 'x-forwarded-for': 'nonsense' })).toBe('127.0.0.1')
  })

  it('behind listed proxies skips them from the right and stops at the first untrusted entry', async () => {
    const trust = parseTrustProxy('127.0.0.1, 10.0.0.0/8')!
    const headers = { 'x-forwarded-for': '192.0.2.1, 203.0.113.9, 10.1.2.3' }
    expect(await clientOf(trust, '127.0.0.1', headers)).toBe('203.0.113.9')
    expect(await clientOf(trust, '::ffff:127.0.0.1', headers)).toBe('203.0.113.9')
    expect(await clientOf(trust, '127.0.0.1', { 'x-forwarded-for': '10.1.2.3' })).toBe('10.1.2.3')
  })

  it('ignores the headers of a peer that is not a listed proxy: anyone can send them', async () => {
    const trust = parseTrustProxy('10.0.0.0/8')!
    expect(await clientOf(trust, '198.51.100.7', { 'x-forwarded-for': '203.0.113.9' })).toBe('198.51.100.7')
  })
})

describe('the TRUST_PROXY setting', () => {
  const env = (TRUST_PROXY?: string) => ({ DATA_DIR: '/tmp/oc-config-test', TRUST_PROXY })

  it('is off unless set, 1 for one proxy in front, or a list of proxy addresses and subnets', () => {
    expect(loadConfig(env()).trustProxy).toBe('none')
    expect(loadConfig(env('0')).trustProxy).toBe('none')
    expect(loadConfig(env('1')).trustProxy).toBe('one-hop')
    expect(loadConfig(env('127.0.0.1, ::1, 10.0.0.0/8')).trustProxy).toEqual([
      '127.0.0.1',
      '::1',
      '10.0.0.0/8',
    ])
  })

  it('stops the start on anything else, naming the variable', () => {
    for (const bad of ['yes', '10.0.0.0/33', '10.0.0.1,', 'nginx']) {
      expect(() => loadConfig(env(bad)), bad).toThrow(ConfigError)
      expect(() => loadConfig(env(bad)), bad).toThrow(/TRUST_PROXY/)
    }
  })
})
