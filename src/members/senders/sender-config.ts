import { z } from 'zod'
import { CodeSendError, type CodeSender } from './code-sender.ts'
import { createHttpSmsSender } from './http-sms-sender.ts'
import { createOutboxSender, type OutboxSinks } from './outbox-sender.ts'
import { createSmtpSender } from './smtp-sender.ts'

/**
 * One sender that hands each code to the sender of its channel.
 *
 * @example
 * const sender = createRoutingSender({ sms: createHttpSmsSender(…), email: createSmtpSender(…) })
 */
export function createRoutingSender(senders: { sms: CodeSender; email: CodeSender }): CodeSender {
  return {
    name: `sms:${senders.sms.name},email:${senders.email.name}`,
    send: (msg) => senders[msg.channel].send(msg),
  }
}

export type SenderFromEnv =
  | {
      kind: 'ok'
      sender: CodeSender
      /** For the startup log, without secrets: `codes: sms → http sms.example.com, email → outbox`. */
      summary: string
    }
  | { kind: 'invalid'; error: string }

// Compose files and CI secrets often set a variable to the empty string to mean "not set".
const blankAsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema)
const FROM_ADDRESS = /^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/

const ModeSchema = blankAsUnset(z.enum(['outbox', 'smtp', 'http']).default('outbox'))

function smtpSchema(required: boolean) {
  const why = required ? 'required for CODE_SENDER=smtp' : 'required once any SMTP_ variable is set'
  const port = 'must be a port number (1-65535)'
  return z.object({
    SMTP_HOST: blankAsUnset(z.string(why)),
    SMTP_PORT: blankAsUnset(z.coerce.number(port).int(port).min(1, port).max(65535, port).optional()),
    SMTP_SECURE: blankAsUnset(
      z.enum(['0', '1'], 'must be 0 (STARTTLS) or 1 (implicit TLS, port 465)').optional(),
    ),
    SMTP_USER: blankAsUnset(z.string().optional()),
    SMTP_PASS: blankAsUnset(z.string().optional()),
    SMTP_FROM: blankAsUnset(
      z
        .string(why)
        .regex(
          FROM_ADDRESS,
          'must be an address such as noreply@example.com or "Brand <noreply@example.com>"',
        ),
    ),
  })
}

/** Outside zod: an object refinement would not run while another SMTP_ variable is invalid. */
function smtpCredentialProblems(env: Record<string, string | undefined>): string[] {
  if (env.SMTP_USER && !env.SMTP_PASS) return ['  SMTP_PASS: required with SMTP_USER']
  if (env.SMTP_PASS && !env.SMTP_USER) return ['  SMTP_USER: required with SMTP_PASS']
  return []
}

function smsSchema(required: boolean) {
  const why = required ? 'required for CODE_SENDER=http' : 'required once any SMS_HTTP_ variable is set'
  return z.object({
    SMS_HTTP_URL: blankAsUnset(
      z.url({
        protocol: /^https?$/,
        error: (iss) => (iss.input === undefined ? why : 'must be an http(s) URL'),
      }),
    ),
    SMS_HTTP_TOKEN: blankAsUnset(z.string(why)),
  })
}

const SMTP_VARS = ['SMTP_HOST', 'SMTP_PORT', 'SMTP_SECURE', 'SMTP_USER', 'SMTP_PASS', 'SMTP_FROM']
const SMS_VARS = ['SMS_HTTP_URL', 'SMS_HTTP_TOKEN']
const anySet = (env: Record<string, string | undefined>, names: string[]) =>
  names.some((name) => env[name] !== undefined && env[name] !== '')

/**
 * Picks the code sender from the environment. `CODE_SENDER=outbox` (the default) sends every
 * code to the outbox. `smtp` sends email codes through SMTP_*; `http` sends SMS codes through
 * SMS_HTTP_*; in either mode the other channel uses its transport too when its variables are set,
 * and otherwise refuses with a CodeSendError: in production an SMS code silently parked in the
 * outbox would be a sign-in that never arrives.
 *
 * Returns every bad variable in one message, in the style of `loadConfig`.
 *
 * @example
 * const picked = senderFromEnv(process.env, { record: (e) => insertOutbox(db, e), log: (l) => logger.info(l) })
 * if (picked.kind === 'invalid') throw new ConfigError(picked.error)
 */
export function senderFromEnv(
  env: Record<string, string | undefined>,
  outboxSinks: OutboxSinks,
): SenderFromEnv {
  const problems: string[] = []
  const collect = (error: z.ZodError) => {
    for (const issue of error.issues) problems.push(`  ${issue.path.join('.')}: ${issue.message}`)
  }

  const mode = ModeSchema.safeParse(env.CODE_SENDER)
  if (!mode.success) problems.push(`  CODE_SENDER: must be one of outbox, smtp, http`)
  if (mode.success && mode.data === 'outbox') {
    return {
      kind: 'ok',
      sender: createOutboxSender(outboxSinks),
      summary: 'codes: sms → outbox, email → outbox',
    }
  }
  const wantSmtp = mode.data === 'smtp' || anySet(env, SMTP_VARS)
  const wantSms = mode.data === 'http' || anySet(env, SMS_VARS)
  const smtp = wantSmtp ? smtpSchema(mode.data === 'smtp').safeParse(env) : undefined
  const sms = wantSms ? smsSchema(mode.data === 'http').safeParse(env) : undefined
  if (smtp && !smtp.success) collect(smtp.error)
  if (wantSmtp) problems.push(...smtpCredentialProblems(env))
  if (sms && !sms.success) collect(sms.error)
  if (problems.length > 0 || !mode.success) {
    return { kind: 'invalid', error: `Invalid code sender configuration:\n${problems.join('\n')}` }
  }

  let email: CodeSender = createUnconfiguredSender('email', 'set SMTP_HOST and SMTP_FROM')
  let emailSummary = 'not configured'
  if (smtp?.success) {
    const e = smtp.data
    const secure = e.SMTP_SECURE ? e.SMTP_SECURE === '1' : e.SMTP_PORT === 465
    const port = e.SMTP_PORT ?? (secure ? 465 : 587)
    email = createSmtpSender({
      host: e.SMTP_HOST,
      port,
      secure,
      user: e.SMTP_USER,
      pass: e.SMTP_PASS,
      from: e.SMTP_FROM,
      log: outboxSinks.log,
    })
    emailSummary = `smtp ${e.SMTP_HOST}:${port}${secure ? ' (TLS)' : ''}`
  }
  let smsSender: CodeSender = createUnconfiguredSender('sms', 'set SMS_HTTP_URL and SMS_HTTP_TOKEN')
  let smsSummary = 'not configured'
  if (sms?.success) {
    smsSender = createHttpSmsSender({ url: sms.data.SMS_HTTP_URL, token: sms.data.SMS_HTTP_TOKEN })
    smsSummary = `http ${new URL(sms.data.SMS_HTTP_URL).host}`
  }
  return {
    kind: 'ok',
    sender: createRoutingSender({ sms: smsSender, email }),
    summary: `codes: sms → ${smsSummary}, email → ${emailSummary}`,
  }
}

function createUnconfiguredSender(channel: 'sms' | 'email', hint: string): CodeSender {
  return {
    name: 'unconfigured',
    send: async () => {
      throw new CodeSendError('unconfigured', `no ${channel} sender is configured (${hint})`)
    },
  }
}
