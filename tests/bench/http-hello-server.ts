/**
 * Baseline A of the HTTP bench, run in its own process by bench-http.ts: bare Hono answering
 * "hi" through @hono/node-server on a free loopback port, printed as `listening <port>` on stdout.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono().get('/', (c) => c.text('hi'))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening ${info.port}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
