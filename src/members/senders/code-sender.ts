/**
 * What every one-time-code sender receives, and the wording of the message in each language.
 * A sender is `{ name, send }`: the sign-in flow depends on this type only, so the development
 * outbox, SMTP and an HTTP SMS provider are interchangeable (see `sender-config.ts`).
 */

export type OutgoingCode = {
  channel: 'sms' | 'email'
  /** An E.164 phone number (`+8613800000000`) for `sms`, an email address for `email`. */
  to: string
  brandName: string
  /** Six digits. */
  code: string
  lang: 'zh-CN' | 'en'
  ttlMinutes: number
}

export type CodeSender = {
  /** Shown in logs and in the admin console: `outbox`, `smtp`, `http-sms`, … */
  name: string
  /** Resolves once the transport accepted the message; rejects with a {@link CodeSendError}. */
  send(msg: OutgoingCode): Promise<void>
}

/**
 * A code could not be handed to the transport (refused recipient, provider error, timeout). The
 * message names the sender, the recipient and the reason, never the code: it ends up in logs.
 * The sign-in page answers "we could not send the code, try again" for it.
 */
export class CodeSendError extends Error {
  override readonly name = 'CodeSendError'
  constructor(
    readonly sender: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * The subject and body of a code message. SMS uses `text` only; email uses both. China's SMS rules
 * want the signature in 【】 at the start, so the brand name leads the Chinese text.
 *
 * @example
 * renderCodeMessage({ channel: 'sms', to: '+8613800000000', brandName: '茶园', code: '123456', lang: 'zh-CN', ttlMinutes: 10 })
 * // { subject: '【茶园】验证码', text: '【茶园】您的验证码是 123456，10 分钟内有效。如非本人操作请忽略。' }
 */
export function renderCodeMessage(msg: OutgoingCode): { subject: string; text: string } {
  // A brand name is free text typed in the admin console; a line break in it must not become a
  // second header line in an email or a second line in a log.
  const brand = msg.brandName.replace(/[\r\n\t]+/g, ' ').trim()
  if (msg.lang === 'zh-CN') {
    return {
      subject: `【${brand}】验证码`,
      text: `【${brand}】您的验证码是 ${msg.code}，${msg.ttlMinutes} 分钟内有效。如非本人操作请忽略。`,
    }
  }
  return {
    subject: `Your ${brand} sign-in code`,
    text: `[${brand}] Your sign-in code is ${msg.code}. It is valid for ${msg.ttlMinutes} minutes. If you did not ask for it, ignore this message.`,
  }
}
