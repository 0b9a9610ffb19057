import { createTransport } from 'nodemailer'
import { CodeSendError, type CodeSender, renderCodeMessage } from './code-sender.ts'

/** Connect, greeting and idle limits: a sign-in request must not hang on a dead mail server. */
export const SMTP_TIMEOUT_MS = 15_000

export type SmtpSenderOptions = {
  host: string
  port: number
  /** `true` for implicit TLS (port 465); `false` upgrades with STARTTLS when the server offers it. */
  secure: boolean
  user?: string
  pass?: string
  /** `noreply@example.com` or `Brand <noreply@example.com>`. */
  from: string
  timeoutMs?: number
  /** One line per accepted message, without the code (it is a credential until it expires). */
  log?: (line: string) => void
}

/**
 * Sends email codes through an SMTP server with nodemailer. One connection per message: codes are
 * rare and a pooled connection would just time out between them.
 *
 * @example
 * const sender = createSmtpSender({ host: 'smtp.example.com', port: 465, secure: true, user, pass, from: 'Tea <noreply@example.com>' })
 * await sender.send({ channel: 'email', to: 'ann@example.com', brandName: 'Tea', code: '123456', lang: 'en', ttlMinutes: 10 })
 */
export function createSmtpSender(options: SmtpSenderOptions): CodeSender {
  const timeoutMs = options.timeoutMs ?? SMTP_TIMEOUT_MS
  const transport = createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    auth: options.user ? { user: options.user, pass: options.pass ?? '' } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // nodemailer's own logger would print the whole conversation, code included.
    logger: false,
    debug: false,
  })
  return {
    name: 'smtp',
    async send(msg) {
      if (msg.channel !== 'email') throw new Error(`smtp sender cannot send to channel ${msg.channel}`)
      const { subject, text } = renderCodeMessage(msg)
      try {
        const info = await transport.sendMail({ from: options.from, to: msg.to, subject, text })
        options.log?.(`[smtp] email to ${msg.to} accepted by ${options.host} (${info.messageId})`)
      } catch (err) {
        throw new CodeSendError(
          'smtp',
          `SMTP server ${options.host}:${options.port} did not accept the code email to ${msg.to}: ${reasonOf(err)}`,
          {
            cause: err,
          },
        )
      }
    },
  }
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
