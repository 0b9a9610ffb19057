import { describe, expect, it } from 'vitest'
import type { CodeSender, OutgoingCode } from '../../../src/members/senders/code-sender.ts'
import type { OutboxEntry } from '../../../src/members/senders/outbox-sender.ts'
import { createRoutingSender, senderFromEnv } from '../../../src/members/senders/sender-config.ts'

const smsCode: OutgoingCode = {
  channel: 'sms',
  to: '+8613800000000',
  brandName: '茶园',
  code: '123456',
  lang: 'zh-CN',
  ttlMinutes: 10,
}
const emailCode: OutgoingCode = { ...smsCode, channel: 'email', to: 'ann@example.com' }

function sinks() {
  const entries: OutboxEntry[] = []
  return { entries, record: (e: OutboxEntry) => entries.push(e), log: () => {} }
}

function errorOf(result: ReturnType<typeof senderFromEnv>): string {
  if (result.kind !== 'invalid') throw new Error(`expected an invalid configuration, got ${result.summary}`)
  return result.error
}

function senderOf(result: ReturnType<typeof senderFromEnv>): CodeSender {
  if (result.kind !== 'ok') throw new Error(result.error)
  return result.sender
}

const smtpEnv = { SMTP_HOST: 'smtp.example.com', SMTP_FROM: 'Tea <noreply@example.com>' }
const smsEnv = { SMS_HTTP_URL: 'https://sms.example.com/send', SMS_HTTP_TOKEN: 'tok' }

describe('choosing the code sender from the environment', () => {
  it('sends every code to the outbox by default', async () => {
    const outbox = sinks()
    const result = senderFromEnv({}, outbox)
    const sender = senderOf(result)

    await sender.send(smsCode)
    await sender.send(emailCode)

    expect(sender.name).toBe('outbox')
    expect(outbox.entries.map((e) => e.channel)).toEqual(['sms', 'email'])
    expect(result.kind === 'ok' && result.summary).toBe('codes: sms → outbox, email → outbox')
  })

  it('keeps the outbox when CODE_SENDER=outbox, whatever SMTP and SMS variables say', () => {
    const result = senderFromEnv({ CODE_SENDER: 'outbox', SMTP_PORT: 'x', SMS_HTTP_URL: 'nope' }, sinks())
    expect(senderOf(result).name).toBe('outbox')
  })

  it('sends email through SMTP and SMS through HTTP when both are configured', () => {
    const result = senderFromEnv({ CODE_SENDER: 'smtp', ...smtpEnv, ...smsEnv }, sinks())
    expect(senderOf(result).name).toBe('sms:http-sms,email:smtp')
    expect(result.kind === 'ok' && result.summary).toBe(
      'codes: sms → http sms.example.com, email → smtp smtp.example.com:587',
    )
  })

  it('uses implicit TLS on port 465 unless told otherwise', () => {
    const result = senderFromEnv({ CODE_SENDER: 'smtp', ...smtpEnv, SMTP_PORT: '465' }, sinks())
    expect(result.kind === 'ok' && result.summary).toContain('email → smtp smtp.example.com:465 (TLS)')
  })

  it('refuses, rather than parks in the outbox, a channel that has no transport configured', async () => {
    const outbox = sinks()
    const sender = senderOf(senderFromEnv({ CODE_SENDER: 'http', ...smsEnv }, outbox))

    await expect(sender.send(emailCode)).rejects.toThrow(
      'no email sender is configured (set SMTP_HOST and SMTP_FROM)',
    )
    expect(outbox.entries).toEqual([])
  })

  it('lists every bad variable in one message', () => {
    const error = errorOf(
      senderFromEnv(
        {
          CODE_SENDER: 'smtp',
          SMTP_PORT: 'twenty-five',
          SMTP_SECURE: 'yes',
          SMTP_USER: 'mailer',
          SMTP_FROM: 'not an address',
          SMS_HTTP_URL: 'ftp://sms.example.com',
        },
        sinks(),
      ),
    )

    expect(error.split('\n')[0]).toBe('Invalid code sender configuration:')
    for (const name of [
      'SMTP_HOST',
      'SMTP_PORT',
      'SMTP_SECURE',
      'SMTP_PASS',
      'SMTP_FROM',
      'SMS_HTTP_URL',
      'SMS_HTTP_TOKEN',
    ]) {
      expect(error).toMatch(new RegExp(`^  ${name}: `, 'm'))
    }
    expect(error).toContain('SMTP_HOST: required for CODE_SENDER=smtp')
    expect(error).toContain('SMS_HTTP_TOKEN: required once any SMS_HTTP_ variable is set')
  })

  it('names an unknown CODE_SENDER together with the other bad variables', () => {
    const error = errorOf(
      senderFromEnv({ CODE_SENDER: 'pigeon', SMS_HTTP_URL: 'https://sms.example.com' }, sinks()),
    )
    expect(error).toContain('CODE_SENDER: must be one of outbox, smtp, http')
    expect(error).toContain('SMS_HTTP_TOKEN: ')
  })

  it('requires the SMS variables for CODE_SENDER=http and treats empty strings as unset', () => {
    const error = errorOf(
      senderFromEnv({ CODE_SENDER: 'http', SMS_HTTP_URL: '', SMS_HTTP_TOKEN: '' }, sinks()),
    )
    expect(error).toContain('SMS_HTTP_URL: required for CODE_SENDER=http')
    expect(error).toContain('SMS_HTTP_TOKEN: required for CODE_SENDER=http')
  })

  it('never echoes a secret in its error', () => {
    const error = errorOf(senderFromEnv({ CODE_SENDER: 'smtp', SMTP_PASS: 'hunter2-secret' }, sinks()))
    expect(error).toContain('SMTP_USER: required with SMTP_PASS')
    expect(error).not.toContain('hunter2-secret')
  })
})

describe('routing codes by channel', () => {
  it('hands SMS codes to the SMS sender and email codes to the email sender', async () => {
    const sent: string[] = []
    const recorder = (name: string): CodeSender => ({
      name,
      send: async (msg) => {
        sent.push(`${name}:${msg.to}`)
      },
    })
    const sender = createRoutingSender({ sms: recorder('sms'), email: recorder('email') })

    await sender.send(smsCode)
    await sender.send(emailCode)

    expect(sent).toEqual(['sms:+8613800000000', 'email:ann@example.com'])
  })
})
