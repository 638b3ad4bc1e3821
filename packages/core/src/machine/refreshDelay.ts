import type { AuthSession } from './types.js'

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
export function isSessionFresh(session: Pick<AuthSession, 'issuedAt' | 'expiresAt'>, leewayMs: number, now: number) {
  return refreshDelayMs(session, leewayMs, now) > 0
}
