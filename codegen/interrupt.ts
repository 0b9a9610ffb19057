/** The shell's exit status for a process ended by each signal (128 + its number). */
export const INTERRUPT_STATUS = { SIGINT: 130, SIGTERM: 143 } as const

export type InterruptSignal = keyof typeof INTERRUPT_STATUS

/** The part of `process` the interrupt handling needs, so a test can stand in for it. */
export type SignalTarget = {
  once(signal: InterruptSignal, handler: () => void): unknown
  off(signal: InterruptSignal, handler: () => void): unknown
  exit(status: number): void
}

/**
 * Runs `onSignal` on the first SIGINT or SIGTERM instead of Node's immediate exit, until the
 * returned function is called. Long CLI work uses it to stop at a safe point.
 *
 * @example
 * const release = onInterrupt(process, (signal) => { stopAfterThisChunk = signal })
 * try { … } finally { release() }
 */
export function onInterrupt(signals: SignalTarget, onSignal: (signal: InterruptSignal) => void): () => void {
  const handlers = (Object.keys(INTERRUPT_STATUS) as InterruptSignal[]).map((signal) => {
    const handler = () => onSignal(signal)
    signals.once(signal, handler)
    return [signal, handler] as const
  })
  return () => {
    for (const [signal, handler] of handlers) signals.off(signal, handler)
  }
}
