import { eq } from 'drizzle-orm'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { codes } from '../../../src/batches/batch-schema.ts'
import { activateCodes, voidRange } from '../../../src/batches/code-actions-store.ts'
import { brandDb } from '../../../src/db/brand-scope.ts'
import { members } from '../../../src/members/member-schema.ts'
import { claimCode } from '../../../src/points/claim-store.ts'
import { balanceOf, checkLedger } from '../../../src/points/ledger-store.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  type TestApp,
} from '../../support/test-app.ts'

const actor = { staffId: null, label: 'test' }
let current: TestApp | undefined

afterEach(() => {
  // Every ledger test ends with the invariants checked over the whole database.
  if (current) expect(checkLedger(current.db.$client)).toEqual([])
  current = undefined
})

async function setup(quantity = 5, points = 10) {
  const t = buildTestApp()
  current = t
  const brand = await insertBrand(t, { slug: 'tea' })
  const product = insertProduct(t, brand.brandId, { sku: 'TEA-1', points })
  const batch = insertBatch(t, brand.brandId, product.id, { quantity })
  activateCodes(brandDb(t.db, brand.brandId), actor, batch.id, null, t.clock.now())
  const codeIds = t.db
    .select({ id: codes.id })
    .from(codes)
    .where(eq(codes.batchId, batch.id))
    .orderBy(codes.seq)
    .all()
    .map((r) => r.id)
  const member = (phone: string) =>
    t.db.insert(members).values({ brandId: brand.brandId, phone, createdAt: t.clock.now() }).returning().get()
      .id
  return { t, brand, batch, codeIds, member }
}

describe('claiming a code', () => {
  it('awards the product points once and moves the code to claimed', async () => {
    const { t, brand, codeIds, member } = await setup()
    const alice = member('+8613800000001')
    const outcome = claimCode(t.db, {
      brandId: brand.brandId,
      codeId: codeIds[0]!,
      memberId: alice,
      idempotencyKey: 'k-alice-1',
      now: t.clock.now(),
    })
    expect(outcome).toEqual({ kind: 'claimed', points: 10, balance: 10, replay: false })
    expect(t.db.select().from(codes).where(eq(codes.id, codeIds[0]!)).get()!.state).toBe('claimed')
  })

  it('answers a retry with the same key with the first outcome, never a second award', async () => {
    const { t, brand, codeIds, member } = await setup()
    const alice = member('+8613800000001')
    const input = {
      brandId: brand.brandId,
      codeId: codeIds[0]!,
      memberId: alice,
      idempotencyKey: 'k-retry',
      now: t.clock.now(),
    }
    claimCode(t.db, input)
    expect(claimCode(t.db, input)).toMatchObject({ kind: 'claimed', points: 10, replay: true })
    expect(balanceOf(t.db, brand.brandId, alice)).toBe(10)
  })

  it('tells a second member that the points were already claimed, and the first member that they were theirs', async () => {
    const { t, brand, codeIds, member } = await setup()
    const alice = member('+8613800000001')
    const bob = member('+8613800000002')
    claimCode(t.db, {
      brandId: brand.brandId,
      codeId: codeIds[0]!,
      memberId: alice,
      idempotencyKey: 'a1',
      now: t.clock.now(),
    })
    expect(
      claimCode(t.db, {
        brandId: brand.brandId,
        codeId: codeIds[0]!,
        memberId: bob,
        idempotencyKey: 'b1',
        now: t.clock.now(),
      }),
    ).toMatchObject({
      kind: 'already-claimed',
      byYou: false,
    })
    expect(
      claimCode(t.db, {
        brandId: brand.brandId,
        codeId: codeIds[0]!,
        memberId: alice,
        idempotencyKey: 'a2',
        now: t.clock.now(),
      }),
    ).toMatchObject({
      kind: 'already-claimed',
      byYou: true,
    })
    expect(balanceOf(t.db, brand.brandId, bob)).toBe(0)
  })

  it('awards nothing for a voided code or one not yet activated', async () => {
    const t = buildTestApp()
    current = t
    const brand = await insertBrand(t, { slug: 'tea' })
    const product = insertProduct(t, brand.brandId, { sku: 'TEA-1' })
    const batch = insertBatch(t, brand.brandId, product.id, { quantity: 2 })
    const [first, second] = t.db
      .select({ id: codes.id })
      .from(codes)
      .where(eq(codes.batchId, batch.id))
      .orderBy(codes.seq)
      .all()
    const alice = t.db
      .insert(members)
      .values({ brandId: brand.brandId, phone: '+8613800000001', createdAt: 0 })
      .returning()
      .get().id
    expect(
      claimCode(t.db, {
        brandId: brand.brandId,
        codeId: first!.id,
        memberId: alice,
        idempotencyKey: 'x1',
        now: 1,
      }),
    ).toEqual({ kind: 'not-activated' })
    activateCodes(brandDb(t.db, brand.brandId), actor, batch.id, null, 1)
    voidRange(
      brandDb(t.db, brand.brandId),
      actor,
      batch.id,
      { from: 2, to: 2 },
      { reason: 'stolen', note: null },
      1,
    )
    expect(
      claimCode(t.db, {
        brandId: brand.brandId,
        codeId: second!.id,
        memberId: alice,
        idempotencyKey: 'x2',
        now: 1,
      }),
    ).toEqual({ kind: 'voided' })
    expect(balanceOf(t.db, brand.brandId, alice)).toBe(0)
  })

  it('refuses to change or delete ledger rows (append-only)', async () => {
    const { t, brand, codeIds, member } = await setup()
    claimCode(t.db, {
      brandId: brand.brandId,
      codeId: codeIds[0]!,
      memberId: member('+8613800000001'),
      idempotencyKey: 'k',
      now: 1,
    })
    expect(() => t.db.$client.prepare('UPDATE ledger_entries SET amount = 1000').run()).toThrow(/append-only/)
    expect(() => t.db.$client.prepare('DELETE FROM ledger_entries').run()).toThrow(/append-only/)
    expect(() => t.db.$client.prepare('DELETE FROM ledger_transactions').run()).toThrow(/append-only/)
  })

  it('keeps balance = points of the codes each member claimed, whatever the order of claims and retries', async () => {
    const { t, brand, codeIds, member } = await setup(6, 7)
    const people = [member('+8613800000001'), member('+8613800000002'), member('+8613800000003')]
    const claimsArb = fc.array(fc.record({ code: fc.nat(5), person: fc.nat(2), retry: fc.boolean() }), {
      maxLength: 30,
    })
    let run = 0
    fc.assert(
      fc.property(claimsArb, (attempts) => {
        run++
        const winners = new Map<number, number>()
        for (const [i, a] of attempts.entries()) {
          const key = a.retry && i > 0 ? `run${run}-${i - 1}` : `run${run}-${i}`
          const outcome = claimCode(t.db, {
            brandId: brand.brandId,
            codeId: codeIds[a.code]!,
            memberId: people[a.person]!,
            idempotencyKey: key,
            now: t.clock.now(),
          })
          if (outcome.kind === 'claimed' && !outcome.replay) winners.set(a.code, a.person)
        }
        expect(checkLedger(t.db.$client)).toEqual([])
        const claimedCount = t.db.select().from(codes).where(eq(codes.state, 'claimed')).all().length
        const total = people.reduce((s, p) => s + balanceOf(t.db, brand.brandId, p), 0)
        expect(total).toBe(claimedCount * 7)
      }),
      { numRuns: 40 },
    )
  })
})
