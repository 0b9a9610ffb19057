import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { CodeSendError, type OutgoingCode } from '../../../src/members/senders/code-sender.ts'
import { createHttpSmsSender } from '../../../src/members/senders/http-sms-sender.ts'

type Seen = {
  method: string | undefined
  url: string | undefined
  headers: IncomingMessage['headers']
  body: string
}

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

/** A stand-in SMS provider on a free loopback port; `answer` decides the response. */
async function startProvider(answer: (res: ServerResponse, body: string) => void) {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body })
      answer(res, body)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/sms/send`, seen }
}

const smsCode: OutgoingCode = {
  channel: 'sms',
  to: '+8613800000000',
  brandName: '茶园',
  code: '271828',
  lang: 'zh-CN',
  ttlMinutes: 10,
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CodeSendError)
  return error as Error
}

describe('sending a code by SMS through an HTTP provider', () => {
  it('posts the number, the rendered text and the brand as JSON with the bearer token', async () => {
    const provider = await startProvider((res) => res.writeHead(202).end('{"id":"m-1"}'))
    const sender = createHttpSmsSender({ url: provider.url, token: 'tok-abc' })

    await sender.send(smsCode)

    expect(provider.seen).toHaveLength(1)
    const [request] = provider.seen
    expect(request!.method).toBe('POST')
    expect(request!.url).toBe('/sms/send')
    expect(request!.headers.authorization).toBe('Bearer tok-abc')
    expect(request!.headers['content-type']).toBe('application/json')
    expect(JSON.parse(request!.body)).toEqual({
      to: '+8613800000000',
      text: '【茶园】您的验证码是 271828，10 分钟内有效。如非本人操作请忽略。',
      brand: '茶园',
    })
  })

  it('turns a provider error into a rejection that names the status but not the code', async () => {
    // Providers echo the request back in errors; that echo must not carry the code into a log.
    const provider = await startProvider((res, body) =>
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'boom', request: body })),
    )
    const sender = createHttpSmsSender({ url: provider.url, token: 'tok-abc' })

    const error = await rejectionOf(sender.send(smsCode))

    expect(error.message).toMatch(
      /^SMS provider 127\.0\.0\.1:\d+ did not send the code to \+8613800000000: HTTP 500/,
    )
    expect(error.message).toContain('boom')
    expect(error.message).not.toContain(smsCode.code)
    expect(error.message).not.toContain('tok-abc')
  })

  it('treats a wrong token (401) as a failure', async () => {
    const provider = await startProvider((res) => res.writeHead(401).end())
    const sender = createHttpSmsSender({ url: provider.url, token: 'wrong' })

    const error = await rejectionOf(sender.send(smsCode))

    expect(error.message).toMatch(/: HTTP 401$/)
  })

  it('does not follow a redirect, which would hand the code to another address', async () => {
    const provider = await startProvider((res) => res.writeHead(307, { location: '/elsewhere' }).end())
    const sender = createHttpSmsSender({ url: provider.url, token: 'tok-abc' })

    const error = await rejectionOf(sender.send(smsCode))

    expect(error.message).toMatch(/: HTTP 307$/)
    expect(provider.seen.map((r) => r.url)).toEqual(['/sms/send'])
  })

  it('gives up on a provider that does not answer within the timeout', async () => {
    const provider = await startProvider(() => {
      // Never answers: the request hangs until the sender's own deadline.
    })
    const sender = createHttpSmsSender({ url: provider.url, token: 'tok-abc', timeoutMs: 150 })

    const error = await rejectionOf(sender.send(smsCode))

    expect(error.message).toMatch(/did not send the code to \+8613800000000: no answer within 150 ms$/)
    expect(provider.seen).toHaveLength(1)
  })

  it('reports an unreachable provider as a send failure', async () => {
    const sender = createHttpSmsSender({
      url: 'http://127.0.0.1:9/sms',
      token: 'tok-abc',
      fetch: async () => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
        })
      },
    })

    const error = await rejectionOf(sender.send(smsCode))

    expect(error.message).toMatch(/request failed \(fetch failed: ECONNREFUSED\)$/)
  })
})
