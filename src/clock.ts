/** Time is injected so that tests never sleep. Times are UTC milliseconds everywhere. */
export type Clock = { now(): number }

export const systemClock: Clock = { now: () => Date.now() }

/** A clock for tests: `const clock = fixedClock(Date.UTC(2026, 0, 1)); clock.advance(60_000)`. */
export function fixedClock(start: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = start
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
    set: (ms) => {
      t = ms
    },
  }
}
