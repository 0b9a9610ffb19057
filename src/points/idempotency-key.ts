import { randomBytes } from 'node:crypto'

/** A fresh idempotency key for one claim button (one page render): 128 random bits, base64url. */
export function newIdempotencyKey(): string {
  return randomBytes(16).toString('base64url')
}
