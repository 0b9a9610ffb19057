import { connect } from 'node:net'
import { zValidator } from '@hono/zod-validator'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { preloadForm } from '../../src/form-body.ts'
import { serveOnLoopback } from '../support/loopback-server.ts'
import { buildTestApp } from '../support/test-app.ts'

// preloadForm reads Node's request stream, so these tests speak HTTP over a loopback socket to
// @hono/node-server: app.request() has no Node request and always takes Hono's own reader.
const LIMIT = 1024
let handled = 0
const outcomes: string[] = []
const app = new Hono()
app.use(async (c, next) => {
  const preload = await preloadForm(c, LIMIT)
  outcomes.push(preload)
  if (preload === 'too-large') return c.text('too large', 413)
  if (preload === 'incomplete') return c.text('cut short', 400)
  return next()
})
app.post('/echo', async (c) => {
  handled++
  return c.json(await c.req.parseBody({ all: true }))
})
app.post('/text', async (c) => c.text(await c.req.text()))
app.post('/validated', zValidator('form', z.object({ name: z.string().min(1) })), (c) =>
  c.text(`hello ${c.req.valid('form').name}`),
)

const server = serveOnLoopback(app)

const post = (
  path: string,
  body: string | URLSearchParams | FormData,
  headers: Record<string, string> = {},
) => fetch(`${server.base}${path}`, { method: 'POST', body, headers })

describe('a url-encoded form read straight from the socket', () => {
  it('parses fields, repeated keys and UTF-8 as Hono would', async () => {
    const body = new URLSearchParams([
      ['name', '张三 & co'],
      ['tag', 'a'],
      ['tag', 'b'],
      ['empty', ''],
    ])
    const res = await post('/echo', body)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ name: '张三 & co', tag: ['a', 'b'], empty: '' })
    expect(outcomes.at(-1)).toBe('loaded')
  })

  it('keeps the raw text for c.req.text() and feeds zod-validator', async () => {
    const raw = 'a=1&b=%E4%B8%AD'
    const text = await post('/text', raw, { 'content-type': 'application/x-www-form-urlencoded' })
    expect(await text.text()).toBe(raw)
    const ok = await post('/validated', new URLSearchParams({ name: 'Li' }))
    expect(await ok.text()).toBe('hello Li')
    const bad = await post('/validated', new URLSearchParams({ name: '' }))
    expect(bad.status).toBe(400)
  })

  it('answers a declared length over the limit before reading it, and the handler never runs', async () => {
    const before = handled
    const res = await post('/echo', new URLSearchParams({ pad: 'x'.repeat(LIMIT) }))
    expect(res.status).toBe(413)
    expect(handled).toBe(before)
  })

  it('answers 400 when the client stops before the declared length', async () => {
    const before = handled
    const port = server.port
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
            'Content-Length: 100\r\n\r\nname=half',
        )
        setTimeout(() => socket.destroy(), 50)
      })
      socket.on('close', () => resolve())
      socket.on('error', () => resolve())
    })
    // The server notices the closed socket on its next turn.
    await new Promise((r) => setTimeout(r, 50))
    expect(outcomes.at(-1)).toBe('incomplete')
    expect(handled).toBe(before)
  })

  it('leaves multipart and chunked bodies to Hono', async () => {
    const form = new FormData()
    form.set('name', 'multi')
    const multipart = await post('/echo', form)
    expect(await multipart.json()).toEqual({ name: 'multi' })
    expect(outcomes.at(-1)).toBe('not-applicable')
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('name=chunked'))
        controller.close()
      },
    })
    const chunked = await fetch(`${server.base}/echo`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      duplex: 'half',
    } as RequestInit)
    expect(await chunked.json()).toEqual({ name: 'chunked' })
    expect(outcomes.at(-1)).toBe('not-applicable')
  })
})

describe('the app over a real socket', () => {
  const appServer = serveOnLoopback(buildTestApp().app)

  const signIn = (fields: Record<string, string>) =>
    fetch(`${appServer.base}/admin/sign-in`, {
      method: 'POST',
      body: new URLSearchParams(fields),
      headers: { origin: appServer.base },
      redirect: 'manual',
    })

  it('reads a console form from the socket (a wrong password is judged, not refused as empty)', async () => {
    const res = await signIn({ email: 'nobody@example.com', password: 'wrong' })
    expect(res.status).toBe(401)
    expect(await res.text()).toContain('nobody@example.com')
  })

  it('answers a form over 256 KB with 413', async () => {
    const res = await signIn({ email: 'a@b.c', password: 'x', pad: 'a'.repeat(300 * 1024) })
    expect(res.status).toBe(413)
    expect(await res.text()).toBe('The request body is too large.')
  })
})
