import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { shortCodeUrl } from '../../src/codes/code-url.ts'
import { assembleToken, computeTag, formatHuman, mintSerial } from '../../src/codes/token.ts'
import { codes } from '../../src/db/schema.ts'
import {
  buildTestApp,
  insertBatch,
  insertBrand,
  insertProduct,
  PUBLIC_BASE_URL,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

async function twoBrands() {
  const t = buildTestApp()
  const tea = await insertBrand(t, { slug: 'tea' })
  const teaProduct = insertProduct(t, tea.brandId, { sku: 'TEA-1', name: 'Oolong Tea' })
  const teaBatch = insertBatch(t, tea.brandId, teaProduct.id, { quantity: 3, lot: 'L7' })
  const coffee = await insertBrand(t, { slug: 'coffee' })
  const coffeeProduct = insertProduct(t, coffee.brandId, {
    sku: 'SECRET-BLEND',
    name: 'Secret Espresso Blend',
  })
  const coffeeBatch = insertBatch(t, coffee.brandId, coffeeProduct.id, { quantity: 2, lot: 'HIDDEN9' })
  const owner = await signInAs(t, tea.ownerId)
  return { t, tea, teaBatch, coffee, coffeeBatch, owner }
}

function tokenOf(t: TestApp, batchId: number, seq: number) {
  const c = t.db
    .select()
    .from(codes)
    .where(eq(codes.batchId, batchId))
    .all()
    .find((x) => x.seq === seq)!
  return assembleToken(c.kid, c.serial, c.tag)
}

const lookUp = (q: string) => `/admin/codes?q=${encodeURIComponent(q)}`

describe('looking up a code in the console', () => {
  it('finds one of the brand’s codes from its scanned URL and shows its state and batch', async () => {
    const { t, teaBatch, owner } = await twoBrands()
    const token = tokenOf(t, teaBatch.id, 2)
    const res = await owner.get(lookUp(shortCodeUrl(PUBLIC_BASE_URL, token)))
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain(formatHuman(token))
    expect(html).toContain('<span class="pill generated">generated</span>')
    expect(html).toContain(`href="/admin/batches/${teaBatch.id}"`)
    expect(html).toContain('Oolong Tea')
  })

  it('finds a code typed in its printed form, in lower case', async () => {
    const { t, teaBatch, owner } = await twoBrands()
    const token = tokenOf(t, teaBatch.id, 1)
    const res = await owner.get(lookUp(formatHuman(token).toLowerCase()))
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('#1 of')
  })

  it('calls a code with a forged signature not genuine', async () => {
    const { t, tea, owner } = await twoBrands()
    const serial = mintSerial()
    const forged = assembleToken(tea.key.kid, serial, computeTag(randomBytes(32), tea.key.kid, serial))
    expect(t.keyring.verify(forged).kind).toBe('bad-tag')
    const res = await owner.get(lookUp(forged))
    expect(res.status).toBe(404)
    const html = await res.text()
    expect(html).toContain('Not a genuine code')
    expect(html).toContain('its signature does not match')
  })

  it('calls a mistyped code not genuine because of its check character', async () => {
    const { t, teaBatch, owner } = await twoBrands()
    const token = tokenOf(t, teaBatch.id, 1)
    const i = [...token].findIndex((ch, k) => k > 2 && ch !== token[k + 1])
    const swapped = token.slice(0, i) + token[i + 1] + token[i] + token.slice(i + 2)
    expect(swapped).not.toBe(token)
    const res = await owner.get(lookUp(swapped))
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('check character')
  })

  it('answers 404 for another brand’s code and reveals nothing about it', async () => {
    const { t, coffeeBatch, owner } = await twoBrands()
    const token = tokenOf(t, coffeeBatch.id, 1)
    const res = await owner.get(lookUp(shortCodeUrl(PUBLIC_BASE_URL, token)))
    expect(res.status).toBe(404)
    const html = await res.text()
    expect(html).toContain('No code of your brand matches')
    for (const secret of ['SECRET-BLEND', 'Secret Espresso Blend', 'HIDDEN9', formatHuman(token)]) {
      expect(html).not.toContain(secret)
    }
    expect(html).not.toContain(`href="/admin/batches/${coffeeBatch.id}"`)
    expect(html).not.toContain('class="pill generated"')
  })
})
