import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import { afterEach, describe, expect, it } from 'vitest'
import { CodeSendError, type OutgoingCode } from '../../../src/members/senders/code-sender.ts'
import { createSmtpSender } from '../../../src/members/senders/smtp-sender.ts'

type Received = { from: string; rcptTo: string[]; user: unknown; raw: Buffer }

const servers: SMTPServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

/** A real SMTP server on a free loopback port that keeps every message it accepts. */
async function startSmtpServer(options: SMTPServerOptions = {}) {
  const received: Received[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          user: session.user,
          raw: Buffer.concat(chunks),
        })
        callback()
      })
    },
    ...options,
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return { port, received }
}

const zhCode: OutgoingCode = {
  channel: 'email',
  to: 'ann@example.com',
  brandName: '茶园',
  code: '482913',
  lang: 'zh-CN',
  ttlMinutes: 10,
}

describe('sending a code by email over SMTP', () => {
  it('delivers a Chinese message with the code to the member over a real SMTP conversation', async () => {
    const { port, received } = await startSmtpServer()
    const sender = createSmtpSender({
      host: '127.0.0.1',
      port,
      secure: false,
      from: '茶园 <noreply@tea.example>',
    })

    await sender.send(zhCode)

    expect(received).toHaveLength(1)
    const [message] = received
    expect(message!.from).toBe('noreply@tea.example')
    expect(message!.rcptTo).toEqual(['ann@example.com'])
    const mail = await simpleParser(message!.raw)
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual([
      'ann@example.com',
    ])
    expect(mail.subject).toBe('【茶园】验证码')
    expect(mail.text).toContain('您的验证码是 482913，10 分钟内有效')
    expect(mail.text?.match(/\b\d{6}\b/g)).toEqual(['482913'])
  })

  it('writes the message in English for an English-speaking member', async () => {
    const { port, received } = await startSmtpServer()
    const sender = createSmtpSender({ host: '127.0.0.1', port, secure: false, from: 'noreply@tea.example' })

    await sender.send({ ...zhCode, brandName: 'Tea Garden', lang: 'en', code: '000731' })

    const mail = await simpleParser(received[0]!.raw)
    expect(mail.subject).toBe('Your Tea Garden sign-in code')
    expect(mail.text).toContain('Your sign-in code is 000731. It is valid for 10 minutes.')
  })

  it('signs in to the SMTP server with the configured user and password', async () => {
    const { port, received } = await startSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === 's3cret')
          return callback(null, { user: 'mailer' })
        callback(new Error('Invalid username or password'))
      },
    })
    const options = { host: '127.0.0.1', port, secure: false, from: 'noreply@tea.example' }

    await createSmtpSender({ ...options, user: 'mailer', pass: 's3cret' }).send(zhCode)
    expect(received[0]!.user).toBe('mailer')

    await expect(
      createSmtpSender({ ...options, user: 'mailer', pass: 'wrong' }).send(zhCode),
    ).rejects.toThrow(/did not accept the code email to ann@example\.com: .*Invalid username or password/)
  })

  it('rejects with a clear error, without the code, when the server refuses the recipient', async () => {
    const { port, received } = await startSmtpServer({
      onRcptTo(address, _session, callback) {
        const refusal = Object.assign(new Error(`Mailbox ${address.address} does not exist`), {
          responseCode: 550,
        })
        callback(refusal)
      },
    })
    const lines: string[] = []
    const sender = createSmtpSender({
      host: '127.0.0.1',
      port,
      secure: false,
      from: 'noreply@tea.example',
      log: (l) => lines.push(l),
    })

    const error = await sender.send(zhCode).then(
      () => undefined,
      (e: unknown) => e,
    )

    expect(error).toBeInstanceOf(CodeSendError)
    expect((error as Error).message).toMatch(
      new RegExp(
        `^SMTP server 127\\.0\\.0\\.1:${port} did not accept the code email to ann@example\\.com: .*550`,
      ),
    )
    expect((error as Error).message).toContain('Mailbox ann@example.com does not exist')
    expect((error as Error).message).not.toContain(zhCode.code)
    expect(received).toHaveLength(0)
    expect(lines).toEqual([])
  })

  it('never puts the code in its log line', async () => {
    const { port } = await startSmtpServer()
    const lines: string[] = []
    const sender = createSmtpSender({
      host: '127.0.0.1',
      port,
      secure: false,
      from: 'noreply@tea.example',
      log: (l) => lines.push(l),
    })

    await sender.send(zhCode)

    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('email to ann@example.com accepted by 127.0.0.1')
    expect(lines[0]).not.toContain(zhCode.code)
  })

  it('rejects when no SMTP server listens, instead of hanging the sign-in', async () => {
    const { port } = await startSmtpServer()
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()))
    const sender = createSmtpSender({ host: '127.0.0.1', port, secure: false, from: 'noreply@tea.example' })

    await expect(sender.send(zhCode)).rejects.toThrow(
      /did not accept the code email to ann@example\.com: .*ECONNREFUSED/,
    )
  })
})
