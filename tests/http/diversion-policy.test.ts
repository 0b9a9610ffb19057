import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { codes } from '../../src/batches/batch-schema.ts'
import {
  channelSettings,
  type DivertedPolicy,
  diversionCases,
  diversionSignals,
  heldClaims,
} from '../../src/channels/channel-schema.ts'
import { settleHeldClaims } from '../../src/channels/held-claims.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { balanceOf, checkLedger } from '../../src/points/ledger-store.ts'
import { claims } from '../../src/points/points-schema.ts'
import { insertDistributor, insertShippedBatch } from '../support/diversion-fixture.ts'
import { insertMember } from '../support/member-session.ts'
import { type ScanPhone, scanPhone } from '../support/scan-phone.ts'
import { buildTestApp, insertBrand } from '../support/test-app.ts'

const GUANGZHOU = { lat: 23.13, lon: 113.26 }
const SHANGHAI = { lat: 31.23, lon: 121.47 }

const HELD_EN = 'We will credit the points if the brand confirms the item was sold in its region.'
const REFUSED_EN = 'the brand does not award points for such items'

async function setup(policy?: DivertedPolicy) {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'tea' })
  if (policy)
    t.db
      .insert(channelSettings)
      .values({ brandId: brand.brandId, divertedPolicy: policy, updatedAt: 0 })
      .run()
  const distributor = insertDistributor(t, brand.brandId, { code: 'GD-001', regions: ['CN-GD'] })
  const shipped = insertShippedBatch(t, brand.brandId, distributor.id, {
    sku: 'TEA-1',
    quantity: 6,
    points: 25,
  })
  const tokens = shipped.codes.map((c) => assembleToken(c.kid, c.serial, c.tag))
  const member = insertMember(t, brand.brandId, { phone: '+8613800138000' })
  return { t, brand, distributor, ...shipped, tokens, member }
}

type Setup = Awaited<ReturnType<typeof setup>>

/** A member's phone scans code `index` in a place and is signed in, ready to claim. */
async function scanIn(
  s: Setup,
  index: number,
  at: { lat: number; lon: number; accuracyM?: number },
  memberId = s.member.id,
) {
  const phone = scanPhone(s.t)
  await phone.signInAs(s.brand.brandId, memberId)
  await phone.scan(s.tokens[index]!)
  await phone.locate(at)
  return phone
}

function codeState(s: Setup, index: number) {
  return s.t.db.select().from(codes).where(eq(codes.id, s.codes[index]!.id)).get()!.state
}

function heldOf(s: Setup, index: number) {
  return s.t.db.select().from(heldClaims).where(eq(heldClaims.codeId, s.codes[index]!.id)).all()
}

function caseOfScan(s: Setup, phone: ScanPhone) {
  return s.t.db
    .select()
    .from(diversionSignals)
    .where(and(eq(diversionSignals.scanId, phone.scanId), eq(diversionSignals.kind, 'off-region')))
    .get()!.caseId
}

describe('policy award (the default)', () => {
  it('a diverted scan still earns its points', async () => {
    const s = await setup()
    const phone = await scanIn(s, 0, SHANGHAI)
    const claimed = await phone.claim()
    expect(claimed.res.status).toBe(200)
    expect(claimed.html).toContain('You claimed 25 points')
    expect(balanceOf(s.t.db, s.brand.brandId, s.member.id)).toBe(25)
    expect(checkLedger(s.t.db.$client)).toEqual([])
  })
})

describe('policy refuse', () => {
  it('refuses a diverted item with an honest message in English and Chinese, and awards nothing', async () => {
    const s = await setup('refuse')
    const phone = await scanIn(s, 0, SHANGHAI)
    const refused = await phone.claim()
    expect(refused.res.status).toBe(422)
    expect(refused.html).toContain('data-claim="refused-diverted"')
    expect(refused.html).toContain(REFUSED_EN)
    const zh = await phone.claim(undefined, 'zh-CN')
    expect(zh.html).toContain('此商品的扫码地点不在其销售区域内，按品牌规定不能领取积分。')
    expect(balanceOf(s.t.db, s.brand.brandId, s.member.id)).toBe(0)
    expect(codeState(s, 0)).toBe('activated')
    expect(s.t.db.select().from(claims).all()).toEqual([])
    expect(checkLedger(s.t.db.$client)).toEqual([])
  })

  it('judges the item, not the scan: a rescan that declines the location is still refused', async () => {
    const s = await setup('refuse')
    await scanIn(s, 0, SHANGHAI)
    const again = scanPhone(s.t)
    await again.signInAs(s.brand.brandId, s.member.id)
    await again.scan(s.tokens[0]!)
    await again.decline()
    expect((await again.claim()).html).toContain(REFUSED_EN)
  })

  it('awards items scanned in their region, and does not refuse on weak evidence', async () => {
    const s = await setup('refuse')
    const home = await scanIn(s, 0, GUANGZHOU)
    expect((await home.claim()).html).toContain('You claimed 25 points')
    // A 1,000 km accuracy circle reaches far into Guangdong: a signal, but too weak to cost points.
    const vague = await scanIn(s, 1, { ...SHANGHAI, accuracyM: 1_000_000 })
    const signal = s.t.db
      .select()
      .from(diversionSignals)
      .where(eq(diversionSignals.scanId, vague.scanId))
      .get()!
    expect(signal.confidence).toBeLessThan(0.5)
    expect((await vague.claim()).html).toContain('You claimed 25 points')
    expect(balanceOf(s.t.db, s.brand.brandId, s.member.id)).toBe(50)
    expect(checkLedger(s.t.db.$client)).toEqual([])
  })

  it('awards again once a manager dismissed the case', async () => {
    const s = await setup('refuse')
    const phone = await scanIn(s, 0, SHANGHAI)
    expect((await phone.claim()).res.status).toBe(422)
    s.t.db
      .update(diversionCases)
      .set({ status: 'dismissed' })
      .where(eq(diversionCases.id, caseOfScan(s, phone)))
      .run()
    expect((await phone.claim()).html).toContain('You claimed 25 points')
  })
})

describe('policy hold', () => {
  it('holds the claim for review, blocks the code for everyone else, and replays on a retry', async () => {
    const s = await setup('hold')
    const phone = await scanIn(s, 0, SHANGHAI)
    const held = await phone.claim()
    expect(held.res.status).toBe(200)
    expect(held.html).toContain('data-claim="held"')
    expect(held.html).toContain(HELD_EN)
    const [row] = heldOf(s, 0)
    expect(row).toMatchObject({
      brandId: s.brand.brandId,
      memberId: s.member.id,
      scanId: phone.scanId,
      caseId: caseOfScan(s, phone),
      idempotencyKey: held.key,
      status: 'held',
      claimId: null,
    })
    // A double tap, and the Chinese page.
    expect((await phone.claim(held.key)).html).toContain(HELD_EN)
    expect((await phone.claim(held.key, 'zh-CN')).html).toContain('如品牌确认商品是在其销售区域内售出的')
    expect(heldOf(s, 0)).toHaveLength(1)

    // Someone else with the same code (even scanned in Guangdong) cannot claim it while it is held.
    const other = insertMember(s.t, s.brand.brandId, { email: 'wang@example.com' })
    const otherPhone = await scanIn(s, 0, GUANGZHOU, other.id)
    const blocked = await otherPhone.claim()
    expect(blocked.res.status).toBe(409)
    expect(blocked.html).toContain('claimed and are under review')

    expect(balanceOf(s.t.db, s.brand.brandId, s.member.id)).toBe(0)
    expect(codeState(s, 0)).toBe('activated')
    expect(checkLedger(s.t.db.$client)).toEqual([])

    // The member's account shows the held claim.
    const account = await phone.get('/me/tea?lang=en')
    expect(await account.text()).toContain('Points held for review')
  })

  it('dismissing the case releases the held claims through the normal claim path', async () => {
    const s = await setup('hold')
    const first = await scanIn(s, 0, SHANGHAI)
    const held = await first.claim()
    const second = await scanIn(s, 1, SHANGHAI)
    await second.claim()
    const caseId = caseOfScan(s, first)
    expect(caseOfScan(s, second)).toBe(caseId)

    const settled = s.t.db.transaction(() =>
      settleHeldClaims(s.t.db, s.brand.brandId, caseId, 'dismissed', s.t.clock.now()),
    )
    expect(settled).toEqual({ released: 2, refused: 0 })
    expect(balanceOf(s.t.db, s.brand.brandId, s.member.id)).toBe(50)
    const [row] = heldOf(s, 0)
    const claim = s.t.db.select().from(claims).where(eq(claims.idempotencyKey, held.key)).get()!
    expect(row).toMatchObject({ status: 'released', claimId: claim.id, decidedAt: s.t.clock.now() })
    expect(codeState(s, 0)).toBe('claimed')
    expect(checkLedger(s.t.db.$client)).toEqual([])
    // The member's retry is now the award's replay; settling twice changes nothing.
    expect((await first.claim(held.key)).html).toContain('You claimed 25 points')
    expect(settleHeldClaims(s.t.db, s.brand.brandId, caseId, 'dismissed', s.t.clock.now())).toEqual({
      released: 0,
      refused: 0,
    })
    expect(checkLedger(s.t.db.$client)).toEqual([])
  })

  it('confirming the case refuses the held claims; the code stays unclaimed', async () => {
    const s = await setup('hold')
    const phone = await scanIn(s, 0, SHANGHAI)
    await phone.claim()
    const caseId = caseOfScan(s, phone)
    s.t.db.transaction(() => {
      s.t.db.update(diversionCases).set({ status: 'confirmed' }).where(eq(diversionCases.id, caseId)).run()
      expect(settleHeldClaims(s.t.db, s.brand.brandId, caseId, 'confirmed', s.t.clock.now())).toEqual({
        released: 0,
        refused: 1,
      })
    })
    expect(heldOf(s, 0)[0]).toMatchObject({ status: 'refused', claimId: null })
    expect(codeState(s, 0)).toBe('activated')
    expect(balanceOf(s.t.db, s.brand.brandId, s.member.id)).toBe(0)
    // Confirmed diverted: nothing is left to review, so a new claim is refused outright.
    const again = await phone.claim()
    expect(again.res.status).toBe(422)
    expect(again.html).toContain(REFUSED_EN)
    expect(checkLedger(s.t.db.$client)).toEqual([])
  })

  it('a held claim whose code was voided meanwhile is refused on release', async () => {
    const s = await setup('hold')
    const phone = await scanIn(s, 0, SHANGHAI)
    await phone.claim()
    s.t.db
      .update(codes)
      .set({ state: 'voided', voidReason: 'stolen', voidedAt: s.t.clock.now() })
      .where(eq(codes.id, s.codes[0]!.id))
      .run()
    const settled = settleHeldClaims(
      s.t.db,
      s.brand.brandId,
      caseOfScan(s, phone),
      'dismissed',
      s.t.clock.now(),
    )
    expect(settled).toEqual({ released: 0, refused: 1 })
    expect(heldOf(s, 0)[0]!.status).toBe('refused')
    expect(balanceOf(s.t.db, s.brand.brandId, s.member.id)).toBe(0)
    expect(checkLedger(s.t.db.$client)).toEqual([])
  })

  it('runs inside the caller’s transaction: a rollback there undoes the release', async () => {
    const s = await setup('hold')
    const phone = await scanIn(s, 0, SHANGHAI)
    await phone.claim()
    const caseId = caseOfScan(s, phone)
    expect(() =>
      s.t.db.transaction(() => {
        settleHeldClaims(s.t.db, s.brand.brandId, caseId, 'dismissed', s.t.clock.now())
        throw new Error('the decision could not be recorded')
      }),
    ).toThrow('the decision could not be recorded')
    expect(heldOf(s, 0)[0]!.status).toBe('held')
    expect(s.t.db.select().from(claims).all()).toEqual([])
    expect(balanceOf(s.t.db, s.brand.brandId, s.member.id)).toBe(0)
  })

  it('another brand’s case settles nothing', async () => {
    const s = await setup('hold')
    const phone = await scanIn(s, 0, SHANGHAI)
    await phone.claim()
    const settled = settleHeldClaims(s.t.db, s.brand.brandId + 1, caseOfScan(s, phone), 'dismissed', 0)
    expect(settled).toEqual({ released: 0, refused: 0 })
    expect(heldOf(s, 0)[0]!.status).toBe('held')
  })
})
