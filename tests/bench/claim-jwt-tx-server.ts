/**
 * Baseline of the claim bench, run in its own process by bench-claim.ts: a bare route that checks
 * an HS256 JWT from a cookie with jose (algorithm, issuer, audience and type pinned, as the member
 * session is), then runs the bare HTTP bench's transaction — a SELECT by primary key, an INSERT, an
 * UPDATE — over a WAL file database (synchronous NORMAL). The least a claim must do.
 * Arguments: the database file and the number of items; the key (hex) in CLAIM_BENCH_KEY.
 * Prints `listening <port>` on stdout once it serves.
 */
import { serve } from '@hono/node-server'
import Database from 'better-sqlite3'
import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { jwtVerify } from 'jose'

const BASELINE_COOKIE = 'oc_m1'
const BASELINE_JWT = { alg: 'HS256', issuer: 'onecode', audience: 'onecode-member', typ: 'oc-member+jwt' }

const [file, itemsArg] = process.argv.slice(2)
const key = Buffer.from(process.env.CLAIM_BENCH_KEY ?? '', 'hex')
const items = Number(itemsArg)
if (!file || !Number.isSafeInteger(items) || items < 1 || key.length < 32)
  throw new Error('usage: CLAIM_BENCH_KEY=<64 hex> claim-jwt-tx-server.ts <db file> <items>')

const sqlite = new Database(file)
sqlite.pragma('journal_mode = WAL')
sqlite.pragma('synchronous = NORMAL')
sqlite.exec(`
  CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE events (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, member_id INTEGER NOT NULL, at INTEGER NOT NULL);
`)
const insertItem = sqlite.prepare('INSERT INTO items (id, name) VALUES (?, ?)')
sqlite.transaction(() => {
  for (let id = 1; id <= items; id++) insertItem.run(id, `item ${id}`)
})()

const selectItem = sqlite.prepare<[number], { id: number; name: string }>(
  'SELECT id, name FROM items WHERE id = ?',
)
const insertEvent = sqlite.prepare('INSERT INTO events (item_id, member_id, at) VALUES (?, ?, ?)')
const bumpHits = sqlite.prepare('UPDATE items SET hits = hits + 1 WHERE id = ?')
const visit = sqlite.transaction((id: number, memberId: number) => {
  const item = selectItem.get(id)
  if (!item) return undefined
  insertEvent.run(item.id, memberId, Date.now())
  bumpHits.run(item.id)
  return item
})

async function memberOf(jwt: string | undefined): Promise<number | undefined> {
  if (!jwt) return undefined
  try {
    const { payload } = await jwtVerify(jwt, key, {
      algorithms: [BASELINE_JWT.alg],
      issuer: BASELINE_JWT.issuer,
      audience: BASELINE_JWT.audience,
      typ: BASELINE_JWT.typ,
    })
    const id = Number(payload.sub)
    return Number.isSafeInteger(id) ? id : undefined
  } catch {
    return undefined
  }
}

const app = new Hono().post('/t/:id', async (c) => {
  const memberId = await memberOf(getCookie(c, BASELINE_COOKIE))
  if (memberId === undefined) return c.text('sign in first', 401)
  const item = visit(Number(c.req.param('id')), memberId)
  return item ? c.text(`claimed ${item.name}`) : c.text('no such item', 404)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening ${info.port}\n`)
})
process.on('SIGTERM', () =>
  server.close(() => {
    sqlite.close()
    process.exit(0)
  }),
)
