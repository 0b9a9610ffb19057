import { describe, expect, it } from 'vitest'
import { MESSAGES } from '../../../views/scan/messages.ts'

describe('the consumer messages', () => {
  it('say how long to wait in seconds under a minute and in minutes above, in the right number', () => {
    const en = MESSAGES.en.tooManyHint
    expect(en(1)).toBe('Please try again in 1 second.')
    expect(en(30)).toBe('Please try again in 30 seconds.')
    expect(en(60)).toBe('Please try again in 1 minute.')
    expect(en(61)).toBe('Please try again in 2 minutes.')
    const zh = MESSAGES['zh-CN'].tooManyHint
    expect(zh(30)).toBe('请在 30 秒后再试。')
    expect(zh(600)).toBe('请在 10 分钟后再试。')
  })
})
