import { parsePhoneNumberFromString } from 'libphonenumber-js'

export type Identity = { channel: 'sms'; phone: string } | { channel: 'email'; email: string }

const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,190}\.[^\s@<>".]{2,}$/

/**
 * Reads what a consumer typed into one identity, normalised so that one person is one member:
 * phones to E.164 (a bare 11-digit number is read as mainland China), emails to lower case.
 *
 * @example
 * parseIdentity('138 0013 8000') // { channel: 'sms', phone: '+8613800138000' }
 */
export function parseIdentity(input: string): Identity | undefined {
  const s = input.trim()
  if (s.includes('@')) {
    const email = s.toLowerCase()
    return EMAIL.test(email) ? { channel: 'email', email } : undefined
  }
  const phone = parsePhoneNumberFromString(s, 'CN')
  return phone?.isValid() ? { channel: 'sms', phone: phone.number } : undefined
}

export function identifierOf(identity: Identity): string {
  return identity.channel === 'sms' ? identity.phone : identity.email
}

/** `+86 138****8000`, `j***@example.com`: enough for the person to recognise, not to read off a screen. */
export function maskIdentifier(identifier: string): string {
  if (identifier.includes('@')) {
    const [user = '', domain = ''] = identifier.split('@')
    return `${user.slice(0, 1)}***@${domain}`
  }
  return identifier.length > 7 ? `${identifier.slice(0, -8)}****${identifier.slice(-4)}` : '****'
}
