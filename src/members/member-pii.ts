import { createHmac, hkdfSync } from 'node:crypto'
import { openSecret, sealSecret } from '../codes/key-crypto.ts'
import { type Identity, maskIdentifier } from './member-identity.ts'

/**
 * Members' phone numbers and emails at rest (issue 7): sealed with AES-256-GCM, and found by a
 * keyed hash (HMAC-SHA-256 of brand + normalised value), so the database alone reveals neither the
 * numbers nor whether two brands share a customer. Both keys are derived from the master key with
 * HKDF under their own labels; the master key never touches a member row.
 *
 * @example
 * const pii = memberPii(deps.masterKey)
 * const hash = pii.lookupHash(brandId, '+8613800138000')
 * const sealed = pii.seal('+8613800138000'); pii.open(sealed) // '+8613800138000'
 */
export type MemberPii = {
  /** The searchable keyed hash of a normalised phone (E.164) or email (lower case). */
  lookupHash(brandId: number, normalised: string): string
  seal(value: string): string
  open(sealed: string): string
}

const cache = new WeakMap<Uint8Array, MemberPii>()

export function memberPii(masterKey: Uint8Array): MemberPii {
  let pii = cache.get(masterKey)
  if (pii) return pii
  const lookupKey = Buffer.from(
    hkdfSync('sha256', masterKey, Buffer.alloc(0), 'onecode/member-lookup/v1', 32),
  )
  const sealKey = new Uint8Array(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'onecode/member-pii/v1', 32))
  pii = {
    lookupHash: (brandId, normalised) =>
      createHmac('sha256', lookupKey).update(`${brandId}\u0000${normalised}`).digest('base64url'),
    seal: (value) => sealSecret(sealKey, Buffer.from(value, 'utf8')),
    open: (sealed) => openSecret(sealKey, sealed).toString('utf8'),
  }
  cache.set(masterKey, pii)
  return pii
}

/** The columns a member row stores for one identity (the other channel's columns stay as they are). */
export function identityColumns(
  pii: MemberPii,
  brandId: number,
  identity: Identity,
):
  | { phoneHash: string; phoneEnc: string; phoneHint: string }
  | { emailHash: string; emailEnc: string; emailHint: string } {
  if (identity.channel === 'sms') {
    return {
      phoneHash: pii.lookupHash(brandId, identity.phone),
      phoneEnc: pii.seal(identity.phone),
      phoneHint: maskIdentifier(identity.phone),
    }
  }
  return {
    emailHash: pii.lookupHash(brandId, identity.email),
    emailEnc: pii.seal(identity.email),
    emailHint: maskIdentifier(identity.email),
  }
}

type ContactColumns = {
  phone: string | null
  email: string | null
  phoneEnc: string | null
  emailEnc: string | null
  phoneHint: string | null
  emailHint: string | null
}

/**
 * A member's phone and email as a staff member may see them: in full only with the
 * 'members.contact' permission (owners), masked hints otherwise. Rows not yet moved to the
 * encrypted columns fall back to the legacy plain-text ones.
 *
 * @example
 * contactOf(pii, row, can(staff.role, 'members.contact')) // { phone: '+86 138****8000', email: null }
 */
export function contactOf(
  pii: MemberPii,
  row: ContactColumns,
  unmasked: boolean,
): { phone: string | null; email: string | null } {
  const one = (enc: string | null, hint: string | null, legacy: string | null) => {
    if (unmasked) return enc ? pii.open(enc) : legacy
    return hint ?? (legacy ? maskIdentifier(legacy) : null)
  }
  return {
    phone: one(row.phoneEnc, row.phoneHint, row.phone),
    email: one(row.emailEnc, row.emailHint, row.email),
  }
}
