import type { Clock } from '../clock.js'
import type { AuthMachineContext, AuthSession } from './types.js'

/** The default refresh-ahead leeway: 60 seconds. */
export const DEFAULT_LEEWAY_MS = 60_000

/**
 * How long before expiry to refresh: the leeway, but never more than half the token's lifetime — so a token just
 * issued with a short lifetime is used, not refreshed again at once.
 */
export function effectiveLeewayMs(session: Pick<AuthSession, 'issuedAt' | 'expiresAt'>, leewayMs: number) {
  return Math.min(leewayMs, Math.max(0, (session.expiresAt - session.issuedAt) / 2))
}

/**
 * Milliseconds from `now` until the session should be refreshed (0 when already due).
 *
 * @example
 * ```ts
 * refreshDelayMs({ issuedAt: 0, expiresAt: 900_000 }, 60_000, 0) // 840_000
 * ```
 */
export function refreshDelayMs(
  session: Pick<AuthSession, 'issuedAt' | 'expiresAt'>,
  leewayMs: number,
  now: number,
): number {
  return Math.max(0, session.expiresAt - effectiveLeewayMs(session, leewayMs) - now)
}

/** Whether the session's access token is still good for at least the leeway at `now`. */
export function isSessionFresh(
  session: Pick<AuthSession, 'issuedAt' | 'expiresAt'>,
  leewayMs: number,
  now: number,
) {
  return refreshDelayMs(session, leewayMs, now) > 0
}

/**
 * The machine's `refreshDelay` from an injected clock: pass it to `machine.provide({ delays })` (the direct
 * implementations do) so that simulated time drives proactive refresh.
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock()
 * const machine = authMachine.provide({ actors, delays: { refreshDelay: createRefreshDelay(clock) } })
 * createActor(machine, { clock })
 * ```
 */
export function createRefreshDelay(clock: Pick<Clock, 'now'>) {
  return ({ context }: { context: AuthMachineContext }) =>
    context.session ? refreshDelayMs(context.session, context.leewayMs, clock.now()) : 0
}
