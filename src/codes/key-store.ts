import { randomInt } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import type { Db, DbLike } from '../db/index.ts'
import { CROCKFORD_ALPHABET } from './crockford.ts'
import { newSigningSecret, openSecret, sealSecret } from './key-crypto.ts'
import { signingKeys } from './key-schema.ts'
import { Keyring, type SigningKey } from './keyring.ts'
import { KID_LENGTH } from './token.ts'

const KID_ATTEMPTS = 64

/**
 * Makes a new active signing key for a brand; the brand's older keys stay valid for verifying codes
 * already printed (rotation), but new batches are signed with this one.
 *
 * @example
 * const key = createSigningKey(tx, master, brandId, now); keyring.add(key)
 */
export function createSigningKey(tx: DbLike, master: Uint8Array, brandId: number, now: number): SigningKey {
  const taken = new Set(
    tx
      .select({ kid: signingKeys.kid })
      .from(signingKeys)
      .all()
      .map((r) => r.kid),
  )
  let kid = ''
  for (let i = 0; i < KID_ATTEMPTS && (kid === '' || taken.has(kid)); i++) kid = randomKid()
  if (taken.has(kid)) throw new Error('no free signing key id left; widen KID_LENGTH')
  const secret = newSigningSecret()
  tx.update(signingKeys)
    .set({ active: false, retiredAt: now })
    .where(and(eq(signingKeys.brandId, brandId), eq(signingKeys.active, true)))
    .run()
  tx.insert(signingKeys)
    .values({ brandId, kid, sealedSecret: sealSecret(master, secret), active: true, createdAt: now })
    .run()
  return { kid, brandId, secret, active: true }
}

function randomKid(): string {
  let kid = ''
  for (let i = 0; i < KID_LENGTH; i++) kid += CROCKFORD_ALPHABET[randomInt(CROCKFORD_ALPHABET.length)]
  return kid
}

/** Every brand's keys, unsealed into memory once, so that verifying a code needs no database read. */
export function loadKeyring(db: Db, master: Uint8Array): Keyring {
  const rows = db.select().from(signingKeys).all()
  return new Keyring(
    rows.map((r) => ({
      kid: r.kid,
      brandId: r.brandId,
      secret: openSecret(master, r.sealedSecret),
      active: r.active,
    })),
  )
}

/** Adds keys made by another process (the CLI) since the keyring was loaded. */
export function refreshKeyring(db: Db, master: Uint8Array, keyring: Keyring): void {
  for (const r of db.select().from(signingKeys).orderBy(signingKeys.id).all()) {
    const activeChanged = r.active && keyring.activeKeyFor(r.brandId)?.kid !== r.kid
    if (!keyring.has(r.kid) || activeChanged) {
      keyring.add({
        kid: r.kid,
        brandId: r.brandId,
        secret: openSecret(master, r.sealedSecret),
        active: r.active,
      })
    }
  }
}

/** Re-reading keys is a database read: at most once per this interval, whatever asks for it. */
export const KEYRING_REFRESH_INTERVAL_MS = 5_000

/**
 * A throttled `refreshKeyring`: for a code whose key id the server does not know yet (a brand or a
 * key made by the CLI while the server runs). Returns whether it looked again, so the caller
 * re-verifies only then; forged key ids cost at most one read per interval.
 */
export function createKeyringRefresher(db: Db, master: Uint8Array, keyring: Keyring, now: () => number) {
  let last = Number.NEGATIVE_INFINITY
  return (): boolean => {
    const t = now()
    if (t - last < KEYRING_REFRESH_INTERVAL_MS) return false
    last = t
    refreshKeyring(db, master, keyring)
    return true
  }
}
