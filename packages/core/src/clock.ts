/**
 * Time, injected. Shaped like xstate's clock plus `now()`, so one object (e.g. xstate's `SimulatedClock`)
 * drives both the machine's timers and the protocol's timestamps.
 *
 * @example
 * ```ts
 * import { SimulatedClock } from 'xstate'
 * const clock: Clock = new SimulatedClock()
 * ```
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown
  clearTimeout(id: unknown): void
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, timeout) => setTimeout(fn, timeout),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
}
