/**
 * Baseline B of the HTTP bench, run in its own process by bench-http.ts: one better-sqlite3
 * transaction per request over a WAL file database (synchronous NORMAL) with two small tables —
 * a SELECT by primary key, an INSERT, an UPDATE of a counter — the least a scan must do.
 * Arguments: the database file and the number of items (as many rows as the scan bench's batch,
 * so the baseline's B-tree is as deep). Prints `listening <port>` on stdout once it serves.
 */
import { serve } from '@hono/node-server'
import Database from 'better-sqlite3'
import { Hono } from 'hono'

const [file, itemsArg] = process.argv.slice(2)
const ITEMS = Number(itemsArg)
if (!file || !Number.isSafeInteger(ITEMS) || ITEMS < 1)
  throw new Error('usage: http-tx-server.ts <db file> <items>')
const sqlite = new Database(file)
sqlite.pragma('journal_mode = WAL')
sqlite.pragma('synchronous = NORMAL')
sqlite.exec(`
  CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE events (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, device TEXT NOT NULL, at INTEGER NOT NULL);
`)
const insertItem = sqlite.prepare('INSERT INTO items (id, name) VALUES (?, ?)')
sqlite.transaction(() => {
  for (let id = 1; id <= ITEMS; id++) insertItem.run(id, `item ${id}`)
})()

const selectItem = sqlite.prepare<[number], { id: number; name: string }>(
  'SELECT id, name FROM items WHERE id = ?',
)
const insertEvent = sqlite.prepare('INSERT INTO events (item_id, device, at) VALUES (?, ?, ?)')
const bumpHits = sqlite.prepare('UPDATE items SET hits = hits + 1 WHERE id = ?')
const visit = sqlite.transaction((id: number) => {
  const item = selectItem.get(id)
  if (!item) return undefined
  insertEvent.run(item.id, 'bench-device', Date.now())
  bumpHits.run(item.id)
  return item
})

const app = new Hono().get('/t/:id', (c) => {
  const item = visit(Number(c.req.param('id')))
  return item ? c.text(`seen ${item.name}`) : c.text('no such item', 404)
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
