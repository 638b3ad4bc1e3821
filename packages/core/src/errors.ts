/**
 * Stable error codes. Match on `error.code`, never on the message: codes are part of the public contract.
 *
 * @example
 * ```ts
 * import { JikoAuthError, ErrorCode } from '@jiko-auth/core'
 * if (error instanceof JikoAuthError && error.code === ErrorCode.StateMismatch) showLoginAgain()
 * ```
 */
export const ErrorCode = {
  /** The configuration is invalid; `field` names the setting. */
  ConfigInvalid: 'JIKO_CONFIG_INVALID',
  /** The signing key could not be imported or does not fit the algorithm. */
  KeyInvalid: 'JIKO_KEY_INVALID',
  /** The callback's `state` is not the one this login sent. */
  StateMismatch: 'JIKO_STATE_MISMATCH',
  /** The callback's `iss` (RFC 9207) is not the configured issuer. */
  IssuerMismatch: 'JIKO_ISSUER_MISMATCH',
  /** The callback is malformed: no code, duplicated parameters, no pending login. */
  CallbackInvalid: 'JIKO_CALLBACK_INVALID',
  /** The authorization server answered the authorization request with `error=…` (e.g. access_denied). */
  AuthorizationError: 'JIKO_AUTHORIZATION_ERROR',
  /** The session is over (its refresh token was refused, or there is none): sign in again. */
  SessionExpired: 'JIKO_SESSION_EXPIRED',
  /** The token or revocation endpoint answered with an OAuth error body (e.g. invalid_grant). */
  OAuthError: 'JIKO_OAUTH_ERROR',
  /** The response is not the JSON the protocol requires (HTML, truncated, wrong types, wrong token_type). */
  InvalidResponse: 'JIKO_INVALID_RESPONSE',
  /** The response body is larger than the configured cap. */
  ResponseTooLarge: 'JIKO_RESPONSE_TOO_LARGE',
  /** The server answered with an unexpected HTTP status (5xx, …) and no OAuth error body. */
  HttpError: 'JIKO_HTTP_ERROR',
  /** The server answered 429 Too Many Requests; `retryAfterSeconds` tells when to try again. */
  RateLimited: 'JIKO_RATE_LIMITED',
  /** No answer within the timeout. */
  Timeout: 'JIKO_TIMEOUT',
  /** The caller aborted the request (its AbortSignal fired). */
  Aborted: 'JIKO_ABORTED',
  /** The connection failed (refused, reset, DNS). */
  NetworkError: 'JIKO_NETWORK_ERROR',
  /**
   * The server's metadata (`{issuer}/.well-known/openid-configuration`) could not be fetched, is not valid, or
   * names another issuer; the message names the URL and what differed.
   */
  DiscoveryFailed: 'JIKO_DISCOVERY_FAILED',
  /** `openid` was asked but the token response carries no id_token. */
  IdTokenMissing: 'JIKO_ID_TOKEN_MISSING',
  /** The id_token is not a well-formed JWT with the claims OIDC requires (sub, iat, …), or was issued in the future. */
  IdTokenInvalid: 'JIKO_ID_TOKEN_INVALID',
  /** The id_token's signature does not verify against the issuer's JWKS, or its algorithm is not allowed. */
  IdTokenSignature: 'JIKO_ID_TOKEN_SIGNATURE',
  /** The id_token's `iss` is not the configured issuer exactly. */
  IdTokenIssuer: 'JIKO_ID_TOKEN_ISSUER',
  /** The id_token's `aud` does not contain the client id (or `azp` is missing or another client's). */
  IdTokenAudience: 'JIKO_ID_TOKEN_AUDIENCE',
  /** The id_token has expired (beyond the clock tolerance). */
  IdTokenExpired: 'JIKO_ID_TOKEN_EXPIRED',
  /** The id_token's `nonce` is not the one this login sent. */
  NonceMismatch: 'JIKO_NONCE_MISMATCH',
  /** An id_token from a refresh names another `iss` or `sub` than the one at sign-in (OIDC Core §12.2). */
  IdTokenSubjectChanged: 'JIKO_ID_TOKEN_SUBJECT_CHANGED',
  /** A request could not be signed (RFC 9421): a covered header is missing, or the key does not fit `alg`. */
  SigningFailed: 'JIKO_SIGNING_FAILED',
  /** The request body is larger than an auth route accepts (16 KB): answered 413. */
  RequestTooLarge: 'JIKO_REQUEST_TOO_LARGE',
  /** The login transaction for this callback has expired or was already used. */
  TransactionExpired: 'JIKO_TRANSACTION_EXPIRED',
  /** The session was not granted a scope the route needs: answered 403. */
  InsufficientScope: 'JIKO_INSUFFICIENT_SCOPE',
  /** The request carries no valid session. */
  Unauthenticated: 'JIKO_UNAUTHENTICATED',
  /** A state-changing request came from another origin (CSRF defence). */
  ForbiddenOrigin: 'JIKO_FORBIDDEN_ORIGIN',
  /** The session store failed or did not answer in time; nothing was changed. */
  StorageError: 'JIKO_STORAGE_ERROR',
  /** A machine actor was used without an implementation; supply one with `machine.provide()`. */
  NotImplemented: 'JIKO_NOT_IMPLEMENTED',
  /** A failure that is not one of ours; see `cause`. */
  Unknown: 'JIKO_UNKNOWN',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export interface JikoAuthErrorOptions {
  /** What to do about it, in one sentence. */
  hint?: string
  cause?: unknown
  /** The configuration field at fault, for `JIKO_CONFIG_INVALID`. */
  field?: string
  /** HTTP status of the response that caused the error, when there was one. */
  status?: number
  /** Seconds to wait before a retry, from a 429's `Retry-After`. */
  retryAfterSeconds?: number
}

/**
 * The one base class of every error this library throws. Messages never contain a token, code, verifier or
 * assertion.
 *
 * @example
 * ```ts
 * try { await exchange() } catch (e) { const err = toJikoAuthError(e); log(err.code, err.hint) }
 * ```
 */
export class JikoAuthError extends Error {
  override name = 'JikoAuthError'
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly field: string | undefined
  readonly status: number | undefined
  readonly retryAfterSeconds: number | undefined

  constructor(code: ErrorCode, message: string, options: JikoAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.hint = options.hint
    this.field = options.field
    this.status = options.status
    this.retryAfterSeconds = options.retryAfterSeconds
  }

  /** A plain, serialisable copy (for machine context, logs and JSON responses): every field that is set. */
  toJSON(): SerializedAuthError {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message }
    for (const [key, value] of Object.entries(this)) if (value !== undefined) out[key] = value
    return out as unknown as SerializedAuthError
  }
}

/** The fields of an OAuth 2.0 error response (RFC 6749 §4.1.2.1 and §5.2). */
export interface OAuthErrorBody {
  error: string
  error_description?: string | undefined
  error_uri?: string | undefined
}

/**
 * An OAuth error answered by the authorization server: from the callback (`code` is `JIKO_AUTHORIZATION_ERROR`)
 * or from the token/revocation endpoint (`code` is `JIKO_OAUTH_ERROR`).
 *
 * @example
 * ```ts
 * if (e instanceof OAuthResponseError && e.error === 'invalid_grant') signInAgain()
 * ```
 */
export class OAuthResponseError extends JikoAuthError {
  override name = 'OAuthResponseError'
  readonly error: string
  readonly error_description: string | undefined
  readonly error_uri: string | undefined

  constructor(
    code: typeof ErrorCode.OAuthError | typeof ErrorCode.AuthorizationError,
    body: OAuthErrorBody,
    options: JikoAuthErrorOptions = {},
  ) {
    const where = code === ErrorCode.AuthorizationError ? 'authorization request' : 'token request'
    const detail = body.error_description ? `: ${body.error_description}` : ''
    super(code, `The ${where} failed with ${body.error}${detail}`, options)
    this.error = body.error
    this.error_description = body.error_description
    this.error_uri = body.error_uri
  }
}

/** A JikoAuthError as plain data: what the machine keeps in its context and what a server may send. */
export interface SerializedAuthError {
  name: string
  code: ErrorCode
  message: string
  hint?: string
  field?: string
  status?: number
  retryAfterSeconds?: number
  error?: string
  error_description?: string
  error_uri?: string
}

/**
 * The one converter: whatever was thrown, get a JikoAuthError back. Ours pass through; anything else becomes
 * `JIKO_UNKNOWN` with the original as `cause` (its message is not copied, as it might hold a secret). Transport
 * failures are classified where they happen (timeouts, aborts, network errors: see `postForm`).
 *
 * @example
 * ```ts
 * catch (e) { throw toJikoAuthError(e) }
 * ```
 */
export function toJikoAuthError(error: unknown): JikoAuthError {
  if (error instanceof JikoAuthError) return error
  return new JikoAuthError(ErrorCode.Unknown, 'An unexpected error occurred', { cause: error })
}

/** Rebuilds an error instance from its serialised form (e.g. a machine snapshot restored from storage). */
export function fromSerializedError(data: SerializedAuthError): JikoAuthError {
  const options: JikoAuthErrorOptions = {}
  if (data.hint !== undefined) options.hint = data.hint
  if (data.field !== undefined) options.field = data.field
  if (data.status !== undefined) options.status = data.status
  if (data.retryAfterSeconds !== undefined) options.retryAfterSeconds = data.retryAfterSeconds
  if (data.error !== undefined) {
    const code = data.code === ErrorCode.AuthorizationError ? data.code : ErrorCode.OAuthError
    return new OAuthResponseError(
      code,
      { error: data.error, error_description: data.error_description, error_uri: data.error_uri },
      options,
    )
  }
  return new JikoAuthError(data.code, data.message, options)
}
