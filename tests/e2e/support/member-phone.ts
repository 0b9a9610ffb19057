import http from 'node:http'
import path from 'node:path'
import Database from 'better-sqlite3'

export type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string }

type RequestOptions = {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  /** The loopback source address (127.0.0.x): many phones behind many addresses, as in the field. */
  localAddress?: string
}

/**
 * Opens a connection of its own (no agent, no keep-alive pool) and holds the request until `fire()`:
 * node sends nothing, not even the headers, before `end()`, so many opened requests fired in one
 * synchronous loop reach the server together over separate connections.
 *
 * @example
 * const opened = await Promise.all(phones.map((p) => p.open(...)))
 * const replies = await Promise.all(opened.map((o) => o.fire()))
 */
export async function openRequest(
  url: string,
  opts: RequestOptions = {},
): Promise<{ fire(): Promise<Reply> }> {
  const body = opts.body ?? ''
  const req = http.request(url, {
    method: opts.method ?? 'GET',
    headers: {
      ...opts.headers,
      ...(opts.body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
    },
    agent: false,
    localAddress: opts.localAddress,
  })
  const reply = new Promise<Reply>((resolve, reject) => {
    req.once('error', reject)
    req.once('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.once('error', reject)
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
  })
  // The caller awaits the reply only after fire(); until then a failure surfaces through `connected`.
  reply.catch(() => {})
  await new Promise<void>((resolve, reject) => {
    req.once('error', reject)
    req.once('socket', (socket) => {
      if (!socket.connecting) resolve()
      else socket.once('connect', () => resolve())
    })
  })
  return {
    fire() {
      req.end(body)
      return reply
    },
  }
}

export async function send(url: string, opts: RequestOptions = {}): Promise<Reply> {
  return (await openRequest(url, opts)).fire()
}

/** What a scan page hands the claim form: the scan, the device's page token and the button's key. */
export type ScannedPage = { scanId: number; csrf: string; key: string; html: string; status: number }

export type Phone = ReturnType<typeof createPhone>

/**
 * A consumer's phone talking to a real server: its own cookie jar (device cookie, member session),
 * its own source address, a new connection for every request.
 */
export function createPhone(baseUrl: string, opts: { localAddress?: string; lang?: string } = {}) {
  const jar = new Map<string, string>()
  const lang = opts.lang ?? 'zh-CN'
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const keep = (reply: Reply) => {
    for (const line of reply.headers['set-cookie'] ?? []) {
      const [pair = ''] = line.split(';')
      const at = pair.indexOf('=')
      jar.set(pair.slice(0, at), pair.slice(at + 1))
    }
    return reply
  }
  const formRequest = (
    scanId: number,
    step: string,
    form: Record<string, string>,
  ): [string, RequestOptions] => [
    `${baseUrl}/scans/${scanId}/${step}?lang=${lang}`,
    {
      method: 'POST',
      headers: {
        cookie: cookie(),
        // What a browser adds to a same-origin form post (the app refuses cross-site posts).
        origin: baseUrl,
        'content-type': 'application/x-www-form-urlencoded',
        'hx-request': 'true',
      },
      body: new URLSearchParams(form).toString(),
      localAddress: opts.localAddress,
    },
  ]
  return {
    jar,
    localAddress: opts.localAddress,
    cookieHeader: cookie,
    async scan(codePath: string): Promise<ScannedPage> {
      const reply = keep(
        await send(`${baseUrl}${codePath}`, {
          headers: { cookie: cookie(), 'accept-language': lang },
          localAddress: opts.localAddress,
        }),
      )
      const claimForm = /<form[^>]*action="\/scans\/(\d+)\/claim[^"]*"[^>]*>([\s\S]*?)<\/form>/.exec(
        reply.body,
      )
      return {
        status: reply.status,
        html: reply.body,
        scanId: Number(claimForm?.[1] ?? Number.NaN),
        csrf: /name="_csrf" value="([^"]+)"/.exec(claimForm?.[2] ?? '')?.[1] ?? '',
        key: /name="key" value="([^"]+)"/.exec(claimForm?.[2] ?? '')?.[1] ?? '',
      }
    },
    async post(scanId: number, step: 'claim' | 'sign-in' | 'verify', form: Record<string, string>) {
      return keep(await send(...formRequest(scanId, step, form)))
    },
    /** A claim held on its own open connection until fired (see openRequest). */
    async openClaim(page: ScannedPage): Promise<{ fire(): Promise<Reply> }> {
      const opened = await openRequest(
        ...formRequest(page.scanId, 'claim', { _csrf: page.csrf, key: page.key }),
      )
      return { fire: async () => keep(await opened.fire()) }
    },
    async get(urlPath: string) {
      return keep(
        await send(`${baseUrl}${urlPath}`, {
          headers: { cookie: cookie() },
          localAddress: opts.localAddress,
        }),
      )
    },
  }
}

/** The newest one-time code the development outbox holds for a recipient (E.164 or email). */
export function codeFromOutbox(dataDir: string, recipient: string): string {
  const db = new Database(path.join(dataDir, 'onecode.db'), { readonly: true, fileMustExist: true })
  try {
    const row = db
      .prepare('SELECT text FROM outbox WHERE recipient = ? ORDER BY id DESC LIMIT 1')
      .get(recipient) as { text: string } | undefined
    const code = row ? /\b\d{6}\b/.exec(row.text)?.[0] : undefined
    if (!code) throw new Error(`no one-time code in the outbox for ${recipient}`)
    return code
  } finally {
    db.close()
  }
}

/**
 * Signs a phone in on one of its scan pages through the HTTP flow (identifier → code from the
 * outbox → verify with the terms accepted). The verify step also claims that page's code, so the
 * caller picks a page whose claim does not matter; returns the verify reply.
 */
export async function signInOnPage(phone: Phone, dataDir: string, page: ScannedPage, identifier: string) {
  const hidden = { _csrf: page.csrf, key: page.key }
  const started = await phone.post(page.scanId, 'sign-in', { ...hidden, identifier })
  if (started.status !== 200 || !started.body.includes('data-step="code"'))
    throw new Error(`sign-in for ${identifier} answered ${started.status}: ${started.body.slice(0, 300)}`)
  // The code form carries the normalised identifier (E.164 for a phone), which is the outbox recipient.
  const normalised = /name="identifier" value="([^"]+)"/.exec(started.body)?.[1] ?? identifier
  const code = codeFromOutbox(dataDir, normalised)
  return phone.post(page.scanId, 'verify', { ...hidden, identifier: normalised, code, acceptTerms: 'yes' })
}

/** The `/C/<token>` paths of a CSV print file's rows (3rd column, the code URL). */
export function pathsFromCsv(csv: string): string[] {
  const [header, ...lines] = csv.trim().split(/\r?\n/)
  if (header?.split(',')[2] !== 'url') throw new Error(`unexpected CSV header "${header}"`)
  return lines.map((line) => (line.split(',')[2] ?? '').replace(/^https?:\/\/[^/]+/i, ''))
}
