import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { identifierOf, maskIdentifier, parseIdentity } from '../../../src/members/member-identity.ts'
import { contactOf, identityColumns, memberPii } from '../../../src/members/member-pii.ts'

const key = () => new Uint8Array(randomBytes(32))

describe('normalising what a consumer types, so one person is one member', () => {
  it('reads the same mainland mobile number in every usual format as one E.164 number', () => {
    for (const typed of [
      '+86 138 0013 8000',
      '13800138000',
      '138-0013-8000',
      '+8613800138000',
      ' 138 0013 8000 ',
    ]) {
      expect(parseIdentity(typed)).toEqual({ channel: 'sms', phone: '+8613800138000' })
    }
  })

  it('reads an email whatever its case and surrounding spaces as one lower-case address', () => {
    expect(parseIdentity('Foo@Example.COM ')).toEqual({ channel: 'email', email: 'foo@example.com' })
    expect(parseIdentity('foo@example.com')).toEqual({ channel: 'email', email: 'foo@example.com' })
  })

  it('refuses what is neither a valid phone nor an email', () => {
    for (const typed of ['hello', '12345', '138 0013 80', 'foo@', '@example.com', '']) {
      expect(parseIdentity(typed)).toBeUndefined()
    }
  })
})

describe('phone numbers and emails at rest', () => {
  it('finds the same value by the same keyed hash, and a different hash in another brand', () => {
    const pii = memberPii(key())
    expect(pii.lookupHash(1, '+8613800138000')).toBe(pii.lookupHash(1, '+8613800138000'))
    expect(pii.lookupHash(1, '+8613800138000')).not.toBe(pii.lookupHash(2, '+8613800138000'))
    expect(pii.lookupHash(1, '+8613800138000')).not.toBe(pii.lookupHash(1, '+8613800138001'))
    // Another deployment (another master key) cannot tell which numbers this one holds.
    expect(memberPii(key()).lookupHash(1, '+8613800138000')).not.toBe(pii.lookupHash(1, '+8613800138000'))
  })

  it('never stores the number or its digits in the hash or the sealed value', () => {
    const pii = memberPii(key())
    const cols = identityColumns(pii, 1, { channel: 'sms', phone: '+8613800138000' })
    expect('phoneHash' in cols && cols.phoneHash).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(JSON.stringify(cols)).not.toContain('13800138000')
    expect('phoneHint' in cols && cols.phoneHint).toBe('+86138****8000')
  })

  it('opens what it sealed, seals the same value differently each time, and refuses a tampered value', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 80 }), (value) => {
        const pii = memberPii(key())
        const a = pii.seal(value)
        expect(pii.open(a)).toBe(value)
        expect(pii.seal(value)).not.toBe(a)
      }),
      { numRuns: 50 },
    )
    const pii = memberPii(key())
    const sealed = pii.seal('foo@example.com')
    const [version, iv, ciphertext, tag] = sealed.split('.') as [string, string, string, string]
    const flipped = (ciphertext[0] === 'A' ? 'B' : 'A') + ciphertext.slice(1)
    expect(() => pii.open([version, iv, flipped, tag].join('.'))).toThrow()
    expect(() => memberPii(key()).open(sealed)).toThrow()
  })

  it('shows the full contact to a role allowed to, and only the hint otherwise', () => {
    const pii = memberPii(key())
    const row = {
      phone: null,
      email: null,
      ...identityColumns(pii, 1, { channel: 'sms', phone: '+8613800138000' }),
      ...identityColumns(pii, 1, { channel: 'email', email: 'li.hua@example.com' }),
    } as Parameters<typeof contactOf>[1]
    expect(contactOf(pii, row, true)).toEqual({ phone: '+8613800138000', email: 'li.hua@example.com' })
    expect(contactOf(pii, row, false)).toEqual({ phone: '+86138****8000', email: 'l***@example.com' })
  })

  it('masks a hint the same as the value, so a list that masks what it gets shows the same thing', () => {
    fc.assert(
      fc.property(fc.constantFrom('+8613800138000', '+447911123456', 'li.hua@example.com', 'a@b.cn'), (v) => {
        expect(identifierOf(parseIdentity(v)!)).toBe(v)
        expect(maskIdentifier(maskIdentifier(v))).toBe(maskIdentifier(v))
      }),
    )
  })
})
