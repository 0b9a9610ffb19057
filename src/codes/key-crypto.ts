import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** AES-256 key size. */
export const MASTER_KEY_BYTES = 32
/** As long as an HMAC-SHA-256 output: a longer secret adds no strength. */
const SIGNING_SECRET_BYTES = 32
/** 96-bit IV: GCM's native size; random per seal, safe for far more seals than we will make. */
const IV_BYTES = 12
const AUTH_TAG_BYTES = 16
const SEALED_VERSION = 'v1'

const HEX_KEY = /^[0-9a-fA-F]+$/
const BASE64_KEY = /^[A-Za-z0-9+/_-]+={0,2}$/

function decodeMasterKey(value: string, source: string): Buffer {
  const text = value.trim()
  const bytes =
    text.length === MASTER_KEY_BYTES * 2 && HEX_KEY.test(text)
      ? Buffer.from(text, 'hex')
      : BASE64_KEY.test(text)
        ? Buffer.from(text, 'base64')
        : undefined
  if (!bytes || bytes.length !== MASTER_KEY_BYTES) {
    throw new Error(
      `${source} must be ${MASTER_KEY_BYTES} bytes as base64 (44 chars) or hex (64 chars); ` +
        (bytes ? `it decodes to ${bytes.length} bytes` : 'it is neither base64 nor hex') +
        ". Make one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"",
    )
  }
  return bytes
}

/**
 * The master key that seals signing keys at rest. From `envValue` (base64 or hex of 32 bytes)
 * when given, so production can keep it outside the data folder; otherwise from `keyFile`,
 * which is created (mode 0600, folder made as needed) on first start.
 *
 * @example
 * const master = loadOrCreateMasterKey({ envValue: config.masterKeyEnv, keyFile: config.masterKeyFile })
 */
export function loadOrCreateMasterKey(opts: { envValue?: string; keyFile: string }): Buffer {
  if (opts.envValue !== undefined && opts.envValue.trim() !== '') {
    return decodeMasterKey(opts.envValue, 'ONECODE_MASTER_KEY')
  }
  mkdirSync(dirname(opts.keyFile), { recursive: true })
  try {
    // 'wx' fails if the file exists, so two processes starting at once cannot overwrite each
    // other's key (which would make every sealed signing key unreadable).
    writeFileSync(opts.keyFile, `${randomBytes(MASTER_KEY_BYTES).toString('base64')}\n`, {
      flag: 'wx',
      mode: 0o600,
    })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  return decodeMasterKey(readFileSync(opts.keyFile, 'utf8'), `the master key file ${opts.keyFile}`)
}

/**
 * A fresh random signing secret for a brand key.
 *
 * @example
 * const sealed = sealSecret(master, newSigningSecret())
 */
export function newSigningSecret(): Buffer {
  return randomBytes(SIGNING_SECRET_BYTES)
}

/**
 * Encrypts a signing secret under the master key with AES-256-GCM, as
 * `v1.<iv>.<ciphertext>.<authTag>` in base64url, fit for a text column.
 *
 * @example
 * const sealed = sealSecret(master, secret)
 * openSecret(master, sealed).equals(secret) // true
 */
export function sealSecret(master: Uint8Array, secret: Uint8Array): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', master, iv)
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()])
  return [SEALED_VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.')
}

/**
 * Decrypts what {@link sealSecret} produced. Throws when the text was altered or the master key
 * is not the one it was sealed with: GCM's tag authenticates every byte.
 *
 * @example
 * const secret = openSecret(master, row.sealedSecret)
 */
export function openSecret(master: Uint8Array, sealed: string): Buffer {
  const parts = sealed.split('.')
  if (parts.length !== 4 || parts[0] !== SEALED_VERSION) throw new Error('not a sealed secret (v1)')
  const [iv, ciphertext, authTag] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'))
  if (iv?.length !== IV_BYTES || authTag?.length !== AUTH_TAG_BYTES || !ciphertext) {
    throw new Error('sealed secret has a bad IV or tag length')
  }
  const decipher = createDecipheriv('aes-256-gcm', master, iv, { authTagLength: AUTH_TAG_BYTES })
  decipher.setAuthTag(authTag)
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()])
  } catch {
    throw new Error('sealed secret could not be opened: altered, or sealed under another master key')
  }
}
