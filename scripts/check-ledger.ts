// `npm run check:ledger [-- FILE]`: checks the points ledger's invariants in a database file
// (default: $DATA_DIR/onecode.db). Exit 0 when they hold, 1 with one line per problem otherwise.
import path from 'node:path'
import Database from 'better-sqlite3'
import { checkLedger } from '../src/points/ledger-store.ts'

const file = process.argv[2] ?? path.join(process.env.DATA_DIR ?? './data', 'onecode.db')
const sqlite = new Database(file, { readonly: true, fileMustExist: true })
const problems = checkLedger(sqlite)
sqlite.close()
for (const p of problems) process.stdout.write(`${p.rule}: ${p.detail}\n`)
process.stdout.write(
  problems.length === 0 ? `ledger ok: ${file}\n` : `${problems.length} problem(s) in ${file}\n`,
)
process.exit(problems.length === 0 ? 0 : 1)
