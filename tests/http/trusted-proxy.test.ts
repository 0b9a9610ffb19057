import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.tsx'
import type { TrustProxy } from '../../src/request-ip.ts'
import { SIGN_IN_ATTEMPTS_PER_IP } from '../../src/staff/staff-routes.tsx'
import { buildTestApp, ORIGIN } from '../support/test-app.ts'

/** The staff sign-in as it arrives through nginx on this machine: the socket's peer is the proxy. */
function signInVia(app: ReturnType<typeof createApp>, client: string, attempt: number) {
  const env = { incoming: { socket: { remoteAddress: '127.0.0.1', remoteFamily: 'IPv4', remotePort: 1 } } }
  return app.request(
    `${ORIGIN}/admin/sign-in`,
    {
      method: 'POST',
      headers: {
        origin: ORIGIN,
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': `198.51.100.7, ${client}`,
      },
      // A new address each time: the per-address lockout stays out of the way of the per-IP limit.
      body: new URLSearchParams({ email: `nobody${attempt}@tea.test`, password: 'wrong password' }),
    },
    env,
  )
}

describe('the staff sign-in limit behind a reverse proxy', () => {
  it('counts each client apart with TRUST_PROXY, and everyone as the proxy without it', async () => {
    for (const [trustProxy, apart] of [
      ['one-hop', true],
      ['none', false],
    ] as [TrustProxy & string, boolean][]) {
      const t = buildTestApp()
      const app = createApp({ ...t.deps, config: { ...t.deps.config, trustProxy } })
      for (let i = 0; i < SIGN_IN_ATTEMPTS_PER_IP; i++)
        expect((await signInVia(app, '203.0.113.9', i)).status).toBe(401)
      expect((await signInVia(app, '203.0.113.9', 100)).status, trustProxy).toBe(429)
      expect((await signInVia(app, '203.0.113.10', 101)).status, trustProxy).toBe(apart ? 401 : 429)
    }
  })
})
