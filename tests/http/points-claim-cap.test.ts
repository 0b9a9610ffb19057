import { randomBytes } from 'node:crypto'
import { desc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { codes } from '../../src/batches/batch-schema.ts'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { outbox } from '../../src/members/member-schema.ts'
import { checkLedger } from '../../src/points/ledger-store.ts'
import { DEFAULT_POINT_SETTINGS, savePointSettings } from '../../src/points/point-settings-store.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  postForm,
  request,
} from '../support/test-app.ts'

describe('claiming over the daily cap on the scan page', () => {
  it('answers 409 with the time the code becomes claimable, and claims it then', async () => {
    const t = buildTestApp()
    const brand = await insertBrand(t, { slug: 'tea' })
    const product = insertProduct(t, brand.brandId, { sku: 'TEA-1', points: 25 })
    const batch = insertBatch(t, brand.brandId, product.id, { quantity: 2 })
    activateCodes(
      brandDb(t.db, brand.brandId),
      { staffId: null, label: 'test' },
      batch.id,
      null,
      t.clock.now(),
    )
    savePointSettings(
      brandDb(t.db, brand.brandId),
      { staffId: null, label: 'owner' },
      { ...DEFAULT_POINT_SETTINGS, dailyCap: 30 },
      0,
    )
    const rows = t.db.select().from(codes).where(eq(codes.batchId, batch.id)).orderBy(codes.seq).all()
    const tokens = rows.map((r) => assembleToken(r.kid, r.serial, r.tag))
    t.clock.set(Date.UTC(2026, 10, 2, 15, 59)) // 23:59 in Shanghai

    const jar = new Map<string, string>()
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const keep = (res: Response) => {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';')
        jar.set(pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1))
      }
      return res
    }
    const scan = async (token: string) => {
      const path = new URL(shortCodeUrl('http://localhost', token)).pathname
      const html = await keep(await request(t.app, path, { headers: { cookie: cookie() } })).text()
      return {
        csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1]!,
        scanId: Number(/\/scans\/(\d+)\//.exec(html)![1]),
      }
    }
    const post = async (s: { csrf: string; scanId: number }, step: string, form: Record<string, string>) => {
      const res = keep(
        await postForm(
          t.app,
          `/scans/${s.scanId}/${step}?lang=zh-CN`,
          { _csrf: s.csrf, ...form },
          {
            cookie: cookie(),
            'hx-request': 'true',
          },
        ),
      )
      return { status: res.status, html: await res.text() }
    }

    const first = await scan(tokens[0]!)
    const key = randomBytes(16).toString('base64url')
    await post(first, 'sign-in', { key, identifier: '13800138000' })
    const code = /\d{6}/.exec(t.db.select().from(outbox).orderBy(desc(outbox.id)).get()!.text)![0]
    expect(
      (await post(first, 'verify', { key, identifier: '+8613800138000', code, acceptTerms: 'yes' })).status,
    ).toBe(200)

    const second = await scan(tokens[1]!)
    const over = await post(second, 'claim', { key: randomBytes(16).toString('base64url') })
    expect(over.status).toBe(409)
    expect(over.html).toContain('今日积分已达上限，此码仍可在 2026-11-03 00:00 之后领取')
    expect(t.db.select().from(codes).where(eq(codes.id, rows[1]!.id)).get()!.state).toBe('activated')

    t.clock.advance(60_000)
    const later = await post(second, 'claim', { key: randomBytes(16).toString('base64url') })
    expect(later.status).toBe(200)
    expect(later.html).toContain('已领取 25 积分')
    expect(checkLedger(t.db.$client)).toEqual([])
  })
})
