import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import type { Db } from '../../../src/db/index.ts'
import { encryptLegacyContacts } from '../../../src/members/contact-backfill.ts'
import { parseIdentity } from '../../../src/members/member-identity.ts'
import { memberPii } from '../../../src/members/member-pii.ts'
import { members, otpChallenges } from '../../../src/members/member-schema.ts'
import { findMemberByIdentity, startSignIn, verifySignIn } from '../../../src/members/member-store.ts'
import { createBrand } from '../../../src/staff/brand-setup.ts'
import { fileDatabases } from '../../support/file-database.ts'
import { START } from '../../support/test-app.ts'

const PHONE = '+8613800138000'
const fileDatabase = fileDatabases('onecode-backfill-')

/** A database file as an older release left it: brands, and members with plain-text contacts. */
function legacyDatabase(brandCount = 1) {
  const { db, file } = fileDatabase()
  const masterKey = new Uint8Array(randomBytes(32))
  const brandIds = Array.from({ length: brandCount }, (_, i) => {
    const outcome = createBrand(
      db,
      masterKey,
      {
        slug: `brand-${i}`,
        name: `Brand ${i}`,
        ownerEmail: `owner${i}@b.test`,
        ownerName: 'O',
        passwordHash: 'x',
      },
      START,
    )
    if (outcome.kind !== 'created') throw new Error(outcome.kind)
    return outcome.brandId
  })
  const legacy = (brandId: number, contact: { phone?: string; email?: string }) =>
    db
      .insert(members)
      .values({ brandId, phone: contact.phone ?? null, email: contact.email ?? null, createdAt: START })
      .returning()
      .get()
  return { db, file, pii: memberPii(masterKey), masterKey, brandIds, legacy }
}

const row = (db: Db, id: number) => db.select().from(members).where(eq(members.id, id)).get()!

describe('encrypting the contacts of an existing database at start', () => {
  it('turns a legacy row into hash + sealed value + hint, empties the plain text, and sign-in still finds it', () => {
    const { db, pii, brandIds, legacy } = legacyDatabase()
    const brandId = brandIds[0]!
    const byPhone = legacy(brandId, { phone: PHONE })
    const byEmail = legacy(brandId, { email: 'Li.Hua@Example.com' })

    expect(encryptLegacyContacts(db, pii)).toEqual({ members: 2, duplicates: [], challenges: 0 })

    const phoneRow = row(db, byPhone.id)
    expect(phoneRow).toMatchObject({ phone: null, email: null, phoneHint: '+86138****8000', emailHash: null })
    expect(phoneRow.phoneHash).toBe(pii.lookupHash(brandId, PHONE))
    expect(pii.open(phoneRow.phoneEnc!)).toBe(PHONE)
    const emailRow = row(db, byEmail.id)
    expect(emailRow).toMatchObject({ email: null, emailHint: 'l***@example.com' })
    expect(pii.open(emailRow.emailEnc!)).toBe('li.hua@example.com')

    expect(findMemberByIdentity(db, pii, brandId, parseIdentity('138-0013-8000')!)?.id).toBe(byPhone.id)
    expect(findMemberByIdentity(db, pii, brandId, parseIdentity('LI.HUA@example.com')!)?.id).toBe(byEmail.id)
    const keys = { otpKey: new Uint8Array(randomBytes(32)), pii }
    const identity = parseIdentity('13800138000')!
    const started = startSignIn(db, keys, brandId, identity, START)
    if (started.kind !== 'sent') throw new Error(started.kind)
    expect(started.isNewMember).toBe(false)
    const verified = verifySignIn(
      db,
      keys,
      brandId,
      identity,
      { code: started.code, acceptTerms: false },
      START,
    )
    expect(verified).toMatchObject({ kind: 'signed-in', created: false, member: { id: byPhone.id } })
  })

  it('is safe to run twice: the second run finds nothing and changes nothing', () => {
    const { db, pii, brandIds, legacy } = legacyDatabase()
    const m = legacy(brandIds[0]!, { phone: PHONE, email: 'li@example.com' })
    encryptLegacyContacts(db, pii)
    const after = row(db, m.id)
    expect(encryptLegacyContacts(db, pii)).toEqual({ members: 0, duplicates: [], challenges: 0 })
    expect(row(db, m.id)).toEqual(after)
  })

  it('works through any number of rows in chunks', () => {
    const { db, pii, brandIds, legacy } = legacyDatabase()
    for (let i = 0; i < 7; i++) legacy(brandIds[0]!, { phone: `+861380013800${i}` })
    expect(encryptLegacyContacts(db, pii, 3).members).toBe(7)
    expect(
      db
        .select()
        .from(members)
        .all()
        .every((m) => m.phone === null && m.phoneHash !== null),
    ).toBe(true)
  })

  it('gives the same phone a different hash in another brand', () => {
    const { db, pii, brandIds, legacy } = legacyDatabase(2)
    const a = legacy(brandIds[0]!, { phone: PHONE })
    const b = legacy(brandIds[1]!, { phone: PHONE })
    encryptLegacyContacts(db, pii)
    expect(row(db, a.id).phoneHash).not.toBe(row(db, b.id).phoneHash)
  })

  it('keeps a second row of the same person sealed but unhashed, and reports it for merging', () => {
    const { db, pii, brandIds, legacy } = legacyDatabase()
    const first = legacy(brandIds[0]!, { phone: PHONE })
    const second = legacy(brandIds[0]!, { phone: '138 0013 8000' })
    expect(encryptLegacyContacts(db, pii).duplicates).toEqual([second.id])
    expect(row(db, first.id).phoneHash).toBe(pii.lookupHash(brandIds[0]!, PHONE))
    expect(row(db, second.id)).toMatchObject({ phone: null, phoneHash: null, phoneHint: '+86138****8000' })
    expect(pii.open(row(db, second.id).phoneEnc!)).toBe(PHONE)
  })

  it('replaces the plain identifier of open sign-in challenges by the keyed hash', () => {
    const { db, pii, brandIds } = legacyDatabase()
    const brandId = brandIds[0]!
    db.insert(otpChallenges)
      .values([
        { brandId, channel: 'sms', identifier: PHONE, codeHash: 'x', expiresAt: START, createdAt: START },
        {
          brandId,
          channel: 'email',
          identifier: 'li@example.com',
          codeHash: 'y',
          expiresAt: START,
          createdAt: START,
        },
      ])
      .run()
    expect(encryptLegacyContacts(db, pii).challenges).toBe(2)
    expect(
      db
        .select({ identifier: otpChallenges.identifier })
        .from(otpChallenges)
        .all()
        .map((c) => c.identifier)
        .sort(),
    ).toEqual([pii.lookupHash(brandId, PHONE), pii.lookupHash(brandId, 'li@example.com')].sort())
  })

  it('leaves no trace of the plain phones or emails in the database file (free space included)', () => {
    const { db, file, pii, brandIds, legacy } = legacyDatabase()
    const phones = Array.from({ length: 60 }, (_, i) => `+86138001${String(i).padStart(5, '0')}`)
    for (const [i, phone] of phones.entries())
      legacy(brandIds[0]!, { phone, email: `person.${i}@example.com` })
    db.$client.pragma('wal_checkpoint(TRUNCATE)')
    expect(readFileSync(file).includes(phones[0]!.slice(3))).toBe(true)
    encryptLegacyContacts(db, pii, 7)
    db.$client.pragma('wal_checkpoint(TRUNCATE)')
    const bytes = readFileSync(file)
    expect(phones.filter((p) => bytes.includes(p.slice(3)))).toEqual([])
    expect(phones.filter((_, i) => bytes.includes(`person.${i}@`))).toEqual([])
    expect(db.$client.pragma('secure_delete', { simple: true })).toBe(0)
    db.$client.close()
  })
})
