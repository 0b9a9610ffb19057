import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../../src/clock.ts'
import type { OutgoingCode } from '../../../src/members/senders/code-sender.ts'
import { createOutboxSender, type OutboxEntry } from '../../../src/members/senders/outbox-sender.ts'

const smsCode: OutgoingCode = {
  channel: 'sms',
  to: '+8613800000000',
  brandName: '茶园',
  code: '123456',
  lang: 'zh-CN',
  ttlMinutes: 10,
}

describe('the development outbox', () => {
  it('records the message with its rendered text and time, and logs one line a developer can sign in with', async () => {
    const entries: OutboxEntry[] = []
    const lines: string[] = []
    const clock = fixedClock(Date.UTC(2026, 0, 1))
    const sender = createOutboxSender({ record: (e) => entries.push(e), log: (l) => lines.push(l), clock })

    await sender.send(smsCode)

    expect(sender.name).toBe('outbox')
    expect(entries).toEqual([
      {
        ...smsCode,
        text: '【茶园】您的验证码是 123456，10 分钟内有效。如非本人操作请忽略。',
        at: Date.UTC(2026, 0, 1),
      },
    ])
    expect(lines).toEqual([
      '[outbox] sms to +8613800000000: 【茶园】您的验证码是 123456，10 分钟内有效。如非本人操作请忽略。',
    ])
  })

  it('takes email codes too, in the member’s language', async () => {
    const entries: OutboxEntry[] = []
    const lines: string[] = []
    const sender = createOutboxSender({ record: (e) => entries.push(e), log: (l) => lines.push(l) })

    await sender.send({ ...smsCode, channel: 'email', to: 'ann@example.com', brandName: 'Tea', lang: 'en' })

    expect(entries[0]!.text).toContain('Your sign-in code is 123456')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\[outbox\] email to ann@example\.com: \[Tea\] Your sign-in code is 123456\./)
  })

  it('keeps a log entry on one line even when an address carries a line break', async () => {
    const lines: string[] = []
    const sender = createOutboxSender({ record: () => {}, log: (l) => lines.push(l) })

    await sender.send({ ...smsCode, channel: 'email', to: 'ann@example.com\n[outbox] sms to +1: forged' })

    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toContain('\n')
  })
})
