import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type OutgoingCode, renderCodeMessage } from '../../../src/members/senders/code-sender.ts'

const base: OutgoingCode = {
  channel: 'sms',
  to: '+8613800000000',
  brandName: '茶园',
  code: '123456',
  lang: 'zh-CN',
  ttlMinutes: 10,
}

describe('the wording of a code message', () => {
  it('reads as a Chinese SMS with the brand signature first', () => {
    expect(renderCodeMessage(base)).toEqual({
      subject: '【茶园】验证码',
      text: '【茶园】您的验证码是 123456，10 分钟内有效。如非本人操作请忽略。',
    })
  })

  it('reads in English for an English-speaking member', () => {
    expect(renderCodeMessage({ ...base, brandName: 'Tea Garden', lang: 'en', ttlMinutes: 5 })).toEqual({
      subject: 'Your Tea Garden sign-in code',
      text: '[Tea Garden] Your sign-in code is 123456. It is valid for 5 minutes. If you did not ask for it, ignore this message.',
    })
  })

  it('always carries the code and the validity, and never a line break from the brand name', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{6}$/),
        fc.string(),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom<OutgoingCode['lang']>('zh-CN', 'en'),
        (code, brandName, ttlMinutes, lang) => {
          const { subject, text } = renderCodeMessage({ ...base, code, brandName, ttlMinutes, lang })
          expect(text).toContain(code)
          expect(text).toContain(String(ttlMinutes))
          expect(subject).not.toMatch(/[\r\n]/)
          expect(text).not.toMatch(/[\r\n]/)
        },
      ),
    )
  })
})
