import { type Clock, systemClock } from '../../clock.ts'
import { type CodeSender, type OutgoingCode, renderCodeMessage } from './code-sender.ts'

export type OutboxEntry = OutgoingCode & { text: string; at: number }

export type OutboxSinks = {
  /** Stores the message (the app writes it to the `outbox` table that the admin console lists). */
  record(entry: OutboxEntry): void
  /** One line per message, code included: the outbox is how a developer signs in. */
  log(line: string): void
  clock?: Clock
}

/**
 * The development sender: nothing leaves the machine; the code is recorded and printed.
 *
 * @example
 * const sender = createOutboxSender({ record: (e) => insertOutbox(db, e), log: (l) => logger.info(l) })
 * await sender.send(msg) // logs "[outbox] sms to +8613800000000: 【茶园】您的验证码是 123456，…"
 */
export function createOutboxSender({ record, log, clock = systemClock }: OutboxSinks): CodeSender {
  return {
    name: 'outbox',
    async send(msg) {
      const { text } = renderCodeMessage(msg)
      record({ ...msg, text, at: clock.now() })
      log(`[outbox] ${msg.channel} to ${oneLine(msg.to)}: ${text}`)
    },
  }
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ')
}
