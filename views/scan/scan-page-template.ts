import { escapeToBuffer, type StringBuffer } from 'hono/utils/html'
import { type ScanPageModel, ScanPageView } from './scan-page.tsx'

/**
 * The scan landing page is the hottest page we serve (DESIGN.md "Performance budgets": ≥ 0.7× a
 * bare transaction route). Rendering its JSX tree costs ~120 µs a request; its shape, though,
 * depends only on a few choices (language, verdict tone, image or not, the claim offer), and
 * everything else is a string. So the page is rendered once per shape with a marker in place of
 * each string, split at the markers, and each request joins the static parts with its own
 * strings, escaped exactly as JSX escapes them (hono's escapeToBuffer, for text and attributes
 * alike). The output is byte-for-byte what ScanPageView renders (a property test holds it to that).
 *
 * @example
 * c.html(renderScanPage(scanPageModel(props)))
 */
export function renderScanPage(model: ScanPageModel): string {
  // The CSRF token also sits inside a JSON attribute, where JSX would add JSON escaping, and an
  // empty one drops that attribute: our tokens are non-empty base64url; anything else takes the
  // slow, always-right road.
  if (!TOKEN_SAFE.test(model.csrf)) return String(ScanPageView(model))
  const template = templateFor(model)
  const buffer: StringBuffer = [template.parts[0]!]
  for (let i = 0; i < template.slots.length; i++) {
    escapeToBuffer(slotValue(model, template.slots[i]!), buffer)
    buffer[0] += template.parts[i + 1]!
  }
  return buffer[0] as string
}

type Slot = (typeof SLOTS)[number]
type Template = { parts: string[]; slots: Slot[] }

/** The model's strings, each replaced by a marker when a template is made. */
const SLOTS = [
  'switchHref',
  'title',
  'verdictTitle',
  'verdictText',
  'brandName',
  'productName',
  'imageUrl',
  'lot',
  'producedOn',
  'expiresOn',
  'points',
  'brandSlug',
  'scanId',
  'csrf',
  'claimKey',
  'back',
] as const

const TOKEN_SAFE = /^[A-Za-z0-9_-]+$/
// Private-use code points: JSX escaping and JSON.stringify both leave them as they are.
const marker = (i: number) => `\uE000${i}\uE001`
const MARKER = /\uE000(\d+)\uE001/

const templates = new Map<string, Template>()

function slotValue(m: ScanPageModel, slot: Slot): string {
  switch (slot) {
    case 'verdictTitle':
      return m.verdict.title
    case 'verdictText':
      return m.verdict.text
    case 'imageUrl':
      return m.imageUrl ?? ''
    default:
      return m[slot]
  }
}

function templateFor(m: ScanPageModel): Template {
  const key = `${m.lang}|${m.verdict.tone}|${m.imageUrl === null ? 0 : 1}|${m.claim}`
  let template = templates.get(key)
  if (!template) {
    template = makeTemplate(m)
    templates.set(key, template)
  }
  return template
}

function makeTemplate(m: ScanPageModel): Template {
  const at = (slot: Slot) => marker(SLOTS.indexOf(slot))
  const marked: ScanPageModel = {
    ...m,
    switchHref: at('switchHref'),
    title: at('title'),
    verdict: { tone: m.verdict.tone, title: at('verdictTitle'), text: at('verdictText') },
    brandName: at('brandName'),
    productName: at('productName'),
    imageUrl: m.imageUrl === null ? null : at('imageUrl'),
    lot: at('lot'),
    producedOn: at('producedOn'),
    expiresOn: at('expiresOn'),
    points: at('points'),
    brandSlug: at('brandSlug'),
    scanId: at('scanId'),
    csrf: at('csrf'),
    claimKey: at('claimKey'),
    back: at('back'),
  }
  const pieces = String(ScanPageView(marked)).split(MARKER)
  const parts: string[] = []
  const slots: Slot[] = []
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) parts.push(piece)
    else slots.push(SLOTS[Number(piece)]!)
  })
  return { parts, slots }
}
