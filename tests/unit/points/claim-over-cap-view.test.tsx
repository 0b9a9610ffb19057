import { describe, expect, it } from 'vitest'
import { ClaimResult } from '../../../views/member/claim-fragments.tsx'

describe('the over-cap answer on the scan page', () => {
  it('tells the member in Chinese and English when the code can be claimed, in China time', () => {
    const claimableFrom = Date.UTC(2026, 10, 2, 16) // 2026-11-03 00:00 in Shanghai
    const zh = String(
      <ClaimResult lang="zh-CN" kind="over-daily-cap" claimableFrom={claimableFrom} brandSlug="tea" />,
    )
    expect(zh).toContain('今日积分已达上限，此码仍可在 2026-11-03 00:00 之后领取')
    expect(zh).toContain('data-claim="over-daily-cap"')
    const en = String(
      <ClaimResult lang="en" kind="over-weekly-cap" claimableFrom={claimableFrom} brandSlug="tea" />,
    )
    expect(en).toContain('this week’s points limit')
    expect(en).toContain('2026-11-03 00:00 (China time)')
  })
})
