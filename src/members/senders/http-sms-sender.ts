import { CodeSendError, type CodeSender, renderCodeMessage } from './code-sender.ts'

export const SMS_HTTP_TIMEOUT_MS = 10_000
/** How much of a provider's error body goes into the error message. */
const MAX_ERROR_BODY_CHARS = 200

export type HttpSmsSenderOptions = {
  url: string
  token: string
  fetch?: typeof fetch
  timeoutMs?: number
}

/**
 * Sends SMS codes through an HTTP endpoint: the provider itself, or a tiny adapter a brand runs
 * in front of Aliyun SMS, Tencent Cloud SMS, Twilio, … so that onecode stays provider-neutral.
 *
 * The contract the endpoint implements:
 *
 * ```http
 * POST <SMS_HTTP_URL>
 * Authorization: Bearer <SMS_HTTP_TOKEN>
 * Content-Type: application/json
 *
 * { "to": "+8613800000000", "text": "【茶园】您的验证码是 123456，10 分钟内有效。如非本人操作请忽略。", "brand": "茶园" }
 * ```
 *
 * - `to` is E.164; `text` is the complete message in the member's language, already rendered;
 *   `brand` is the brand's display name, for providers that want a registered signature
 *   (签名) and a template (模板) instead of free text: the adapter maps `brand` to its
 *   SignName, and pulls the six-digit code out of `text` (`/\d{6}/`) for the TemplateParam.
 * - Any 2xx means the provider accepted the message; the body is ignored.
 * - Anything else is a failure, redirects included (they are not followed); the status and the start of the body go into the error (with the
 *   code masked), so answer a short reason such as `{"error":"invalid phone number"}`.
 * - Answer within the timeout (10 s by default); a slower answer counts as a failure. onecode
 *   does not retry (a retry could deliver two codes): the member asks for a new code instead.
 *
 * @example
 * const sender = createHttpSmsSender({ url: 'https://sms-adapter.example.com/send', token })
 * await sender.send({ channel: 'sms', to: '+8613800000000', brandName: '茶园', code: '123456', lang: 'zh-CN', ttlMinutes: 10 })
 */
export function createHttpSmsSender(options: HttpSmsSenderOptions): CodeSender {
  const doFetch = options.fetch ?? fetch
  const timeoutMs = options.timeoutMs ?? SMS_HTTP_TIMEOUT_MS
  const host = safeHost(options.url)
  return {
    name: 'http-sms',
    async send(msg) {
      if (msg.channel !== 'sms') throw new Error(`http-sms sender cannot send to channel ${msg.channel}`)
      const { text } = renderCodeMessage(msg)
      const fail = (reason: string, cause?: unknown) =>
        new CodeSendError('http-sms', `SMS provider ${host} did not send the code to ${msg.to}: ${reason}`, {
          cause,
        })
      let status: number
      let body: string
      try {
        // One signal for the whole exchange: a provider that sends headers and then stalls the
        // body must hit the same limit.
        const res = await doFetch(options.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: msg.to, text, brand: msg.brandName }),
          signal: AbortSignal.timeout(timeoutMs),
          // A redirect would re-send the code somewhere else; a moved endpoint is a config error.
          redirect: 'manual',
        })
        status = res.status
        body = await res.text()
      } catch (err) {
        if (err instanceof Error && err.name === 'TimeoutError') {
          throw fail(`no answer within ${timeoutMs} ms`, err)
        }
        throw fail(`request failed (${describe(err)})`, err)
      }
      if (status < 200 || status > 299) {
        // Providers like to echo the request back in their error; the code must not reach a log.
        const excerpt = body
          .replaceAll(msg.code, '******')
          .replace(/\s+/g, ' ')
          .trim()
          .slice(0, MAX_ERROR_BODY_CHARS)
        throw fail(`HTTP ${status}${excerpt ? ` ${excerpt}` : ''}`)
      }
    },
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause as { code?: unknown } | undefined
  return typeof cause?.code === 'string' ? `${err.message}: ${cause.code}` : err.message
}

/** The host names the provider in errors; the URL itself may carry a key in its query. */
function safeHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'endpoint'
  }
}
