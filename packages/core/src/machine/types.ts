import type { SerializedAuthError } from '../errors.js'
import type { DpopKey } from '../protocol/dpop.js'
import type { TokenSet } from '../protocol/parseTokenResponse.js'

/** One login in flight: what the callback needs to finish it. Server-side only; never sent to the browser. */
export interface AuthTransaction {
  state: string
  codeVerifier: string
  /** The OpenID Connect nonce sent with the request (when `openid` is asked); the id_token must carry it. */
  nonce?: string
  /** The session's DPoP key (RFC 9449), made at login when `dpop` is on: the code exchange proves it. */
  dpopKey?: DpopKey
  /** Where to send the user after login (a same-origin relative path). */
  returnTo?: string
  /** Milliseconds since the epoch. */
  createdAt: number
}

/**
 * A signed-in session. On the server it carries the tokens; in the browser (server adapter) only what may be shown.
 */
export interface AuthSession {
  /** Milliseconds since the epoch when the access token was issued. */
  issuedAt: number
  /** Milliseconds since the epoch when the access token expires. */
  expiresAt: number
  /** Granted scopes, space-separated. */
  scope?: string
  /**
   * The user's subject identifier: set by the server adapter in the browser, from `user.sub`. On the server, read
   * `user.sub` (the direct implementations store it once).
   */
  subject?: string
  /**
   * Who signed in: the validated id_token's claims (`sub` always; `name`, `email`, … as granted), without the
   * protocol's own (`iss`, `aud`, `exp`, `nonce`, …). Only with the `openid` scope.
   */
  user?: SessionUser
  /** The DPoP key the tokens are bound to (server side only, encrypted at rest). */
  dpopKey?: DpopKey
  tokens?: TokenSet
}

/** The signed-in user, as the validated id_token describes them. Serialisable. */
export interface SessionUser {
  sub: string
  name?: string
  email?: string
  email_verified?: boolean
  phone_number?: string
  [claim: string]: unknown
}

export interface StartAuthorizationInput {
  returnTo: string | undefined
}

export interface StartAuthorizationOutput {
  /** Where the browser must go next. */
  authorizationUrl: string
  /** Kept in the machine's context until the callback (the server adapter keeps it on the server instead). */
  transaction: AuthTransaction | undefined
}

export interface ExchangeCodeInput {
  /** The callback URL or its query string, as received. */
  callbackUrl: string
  transaction: AuthTransaction | undefined
}

export interface RefreshTokensInput {
  session: AuthSession
}

export interface EndSessionInput {
  /** The session to revoke; undefined when there was none (logging out of an error without a session). */
  session: AuthSession | undefined
}

export interface AuthMachineContext {
  /** Refresh this long before expiry (capped at half the token's lifetime). */
  leewayMs: number
  returnTo: string | undefined
  authorizationUrl: string | undefined
  transaction: AuthTransaction | undefined
  /** Only while `exchanging`: the callback holds the code, which is never kept after the exchange. */
  callbackUrl: string | undefined
  session: AuthSession | undefined
  error: SerializedAuthError | undefined
  /** Why the machine went back to `idle`, when it was not a plain start. */
  endReason: 'logout' | 'session_expired' | undefined
}

export type AuthMachineEvent =
  | { type: 'LOGIN'; returnTo?: string }
  | { type: 'CALLBACK'; url: string }
  | { type: 'SESSION'; session: AuthSession }
  | { type: 'REFRESH' }
  | { type: 'LOGOUT' }
  | { type: 'RETRY' }
  | { type: 'RESET' }

export interface AuthMachineInput {
  /** Seconds before expiry to refresh (default 60). Never more than half the token's lifetime. */
  leewaySeconds?: number
}

/** The machine's top-level states (contract). */
export type AuthStateName =
  | 'idle'
  | 'redirecting'
  | 'awaitingCallback'
  | 'exchanging'
  | 'authenticated'
  | 'refreshing'
  | 'error'
