import { request as httpRequest } from 'node:http'
import { Hono } from 'hono'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../src/app-deps.ts'
import { requestEnvelope, SECURITY_HEADERS } from '../../src/request-envelope.ts'
import { serveOnLoopback } from '../support/loopback-server.ts'
import { buildTestApp, ORIGIN } from '../support/test-app.ts'

/** The raw header lines of a response, as the browser receives them (repeats kept). */
function rawHeaders(url: string): Promise<{ status: number; lines: [string, string][] }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, (res) => {
      const lines: [string, string][] = []
      for (let i = 0; i < res.rawHeaders.length; i += 2)
        lines.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!])
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, lines }))
    })
      .on('error', reject)
      .end()
  })
}

describe('the request envelope', () => {
  const t = buildTestApp()
  const server = serveOnLoopback(t.app)

  it.each([
    ['a page', '/admin/sign-in', 200],
    ['a consumer page', '/verify', 200],
    ['a redirect', '/', 303],
    ['a missing page', '/no/such/page', 404],
  ])('go out once each on %s over a real socket, beside the handler’s own', async (_, path, status) => {
    const res = await rawHeaders(`${server.base}${path}`)
    expect(res.status).toBe(status)
    for (const [name, value] of SECURITY_HEADERS) {
      expect(
        res.lines.filter(([n]) => n === name),
        name,
      ).toEqual([[name, value]])
    }
    expect(res.lines.some(([n]) => n === 'content-type' || n === 'location')).toBe(true)
    expect(res.lines.some(([n]) => n === 'x-request-id')).toBe(true)
  })

  it('echoes a sane X-Request-Id, replaces any other with a fresh UUID', async () => {
    const echo = async (id?: string) => {
      const res = await fetch(`${server.base}/healthz`, { headers: id ? { 'x-request-id': id } : {} })
      return res.headers.get('x-request-id')
    }
    expect(await echo('trace-42=')).toBe('trace-42=')
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    expect(await echo('bad id; drop table')).toMatch(uuid)
    expect(await echo('x'.repeat(256))).toMatch(uuid)
    const [a, b] = [await echo(), await echo()]
    expect(a).toMatch(uuid)
    expect(a).not.toBe(b)
  })

  it('sets the security headers on the response where there is no Node response (app.request)', async () => {
    const res = await t.app.request(`${ORIGIN}/verify`)
    for (const [name, value] of SECURITY_HEADERS) expect(res.headers.get(name), name).toBe(value)
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
  })

  it('keeps the secret of a link out of the access log: printer downloads and staff invitations', async () => {
    const lines: { path: string }[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const app = new Hono<AppEnv>().use(requestEnvelope(logger)).all('*', (c) => c.text('ok'))
    const secret = 'Uh0G_Wb_XX_owufgllRy7j7wJlZ8bBq-'
    for (const path of [
      `/dl/${secret}`,
      `/admin/invite/${secret}`,
      `/dl/${secret}/x`,
      '/c/RTR1398P0PYRCZCM2GM7SXMBSF0TTCW',
    ])
      await app.request(`${ORIGIN}${path}`)
    expect(lines.map((l) => l.path)).toEqual([
      '/dl/…',
      '/admin/invite/…',
      '/dl/…',
      '/c/RTR1398P0PYRCZCM2GM7SXMBSF0TTCW',
    ])
    expect(JSON.stringify(lines)).not.toContain(secret)
  })
})
