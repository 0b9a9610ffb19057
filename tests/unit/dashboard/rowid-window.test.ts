import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CLOCK_SKEW_MS, rowidWindow } from '../../../src/dashboard/rowid-window.ts'
import { openDatabase } from '../../../src/db/index.ts'

const T0 = Date.UTC(2026, 9, 1)
const MINUTE = 60_000

/** otp_challenges rows with these ids and creation times (no foreign keys to satisfy). */
function challenges(rows: { id: number; at: number }[]) {
  const db = openDatabase(':memory:')
  const insert = db.$client.prepare(
    `INSERT INTO otp_challenges (id, brand_id, channel, identifier, code_hash, expires_at, created_at)
     VALUES (?, 1, 'sms', 'x', 'h', 0, ?)`,
  )
  for (const r of rows) insert.run(r.id, r.at)
  return db
}

function idsIn(
  db: ReturnType<typeof openDatabase>,
  from: number,
  to: number,
  window?: { lo: number; hi: number },
) {
  const sql = window
    ? 'SELECT id FROM otp_challenges WHERE id >= ? AND id < ? AND created_at >= ? AND created_at < ? ORDER BY id'
    : 'SELECT id FROM otp_challenges WHERE created_at >= ? AND created_at < ? ORDER BY id'
  const params = window ? [window.lo, window.hi, from, to] : [from, to]
  return db.$client
    .prepare(sql)
    .pluck()
    .all(...params)
}

describe('finding a time window by rowid', () => {
  it('finds exactly the rows a full scan finds, with gaps in the ids and a clock set back a little', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ gap: fc.integer({ min: 1, max: 5 }), step: fc.integer({ min: -30, max: 120 }) }),
          {
            minLength: 1,
            maxLength: 200,
          },
        ),
        fc.integer({ min: -100, max: 20_000 }),
        fc.integer({ min: 0, max: 3_000 }),
        (steps, start, length) => {
          // Each row up to two hours after the latest so far, or up to 30 minutes before it: a clock
          // set back by less than CLOCK_SKEW_MS.
          let id = 0
          let latest = T0
          const rows = steps.map((s) => {
            id += s.gap
            const at = latest + s.step * MINUTE
            latest = Math.max(latest, at)
            return { id, at }
          })
          const db = challenges(rows)
          const from = T0 + start * MINUTE
          const to = from + length * MINUTE
          expect(idsIn(db, from, to, rowidWindow(db, 'otp_challenges', from, to))).toEqual(
            idsIn(db, from, to),
          )
        },
      ),
      { numRuns: 200 },
    )
  })

  it('reads only the rows near the window, not the whole table', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i + 1, at: T0 + i * MINUTE }))
    const db = challenges(rows)
    const from = T0 + 5_000 * MINUTE
    const w = rowidWindow(db, 'otp_challenges', from, from + 60 * MINUTE)
    const margin = CLOCK_SKEW_MS / MINUTE
    expect(w).toEqual({ lo: 5_001 - margin, hi: 5_061 + margin })
  })

  it('gives an empty window on an empty table', () => {
    const db = challenges([])
    const w = rowidWindow(db, 'claims', T0, T0 + MINUTE)
    expect(w.hi - w.lo).toBeLessThanOrEqual(0)
  })
})
