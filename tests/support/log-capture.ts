import pino, { type Level, type Logger } from 'pino'

/**
 * A logger whose lines a test reads: each JSON line as pino wrote it, at `level` and above.
 *
 * @example
 * const { logger, lines } = capturingLogger('warn'); …; expect(lines.join('')).not.toContain(token)
 */
export function capturingLogger(level: Level): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  const logger = pino({ level }, { write: (line: string) => lines.push(line) })
  return { logger, lines }
}
