import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll } from 'vitest'

type Fetchable = { fetch: (request: Request, env?: unknown) => Response | Promise<Response> }

/**
 * Serves `app` through @hono/node-server on a free loopback port for the enclosing describe block
 * (or file): for the code paths that only a real Node request takes (app.request() has none).
 * The returned object's `base` is set once the server listens.
 *
 * @example
 * const server = serveOnLoopback(t.app)
 * it('…', async () => { await fetch(`${server.base}/healthz`) })
 */
export function serveOnLoopback(app: Fetchable): { base: string; port: number } {
  const target = { base: '', port: 0 }
  let server: ReturnType<typeof serve> | undefined
  beforeAll(async () => {
    const listening = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    server = listening
    target.port = (listening.address() as AddressInfo).port
    target.base = `http://127.0.0.1:${target.port}`
  })
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))
  return target
}
