import { ErrorCode, JikoAuthError, OAuthResponseError } from '../errors.js'

export interface CallbackExpectations {
  /** The state this login sent. */
  state: string
  /** The configured issuer: `iss` must equal it exactly, character for character (RFC 9207 §2.4). */
  issuer: string
  /**
   * Refuse a callback without `iss`: set when the server advertises
   * `authorization_response_iss_parameter_supported` (RFC 9207 §2.4). Jiko's documented callback carries none, so
   * the default is false: `iss` is checked when present.
   */
  requireIssuer?: boolean
}

/** A validated successful authorization response. */
export interface AuthorizationResponse {
  code: string
  state: string
  iss: string | undefined
}

const SINGLE_VALUED = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri'] as const

/**
 * Validates the redirect back from Jiko (step 4): exactly one of each parameter, the state we sent, the issuer we
 * trust, and either a code or an OAuth error (thrown as `OAuthResponseError` with `JIKO_AUTHORIZATION_ERROR`).
 * Accepts the callback URL, its query string, or its parameters.
 *
 * @example
 * ```ts
 * const { code } = parseCallback(request.url, { state: transaction.state, issuer: config.issuer })
 * ```
 */
export function parseCallback(
  input: string | URL | URLSearchParams,
  expected: CallbackExpectations,
): AuthorizationResponse {
  const params = toParams(input)
  for (const name of SINGLE_VALUED) {
    if (params.getAll(name).length > 1) {
      throw new JikoAuthError(ErrorCode.CallbackInvalid, `The callback repeats the "${name}" parameter`, {
        hint: 'A callback with duplicated parameters is refused; start the login again',
      })
    }
  }
  const state = params.get('state')
  if (!state || !timingSafeEqual(state, expected.state)) {
    throw new JikoAuthError(ErrorCode.StateMismatch, 'The callback state does not match this login', {
      hint: 'The login was started in another browser or has expired; start it again',
    })
  }
  const iss = params.get('iss') ?? undefined
  if (iss === undefined && expected.requireIssuer) {
    throw new JikoAuthError(ErrorCode.IssuerMismatch, 'The callback has no iss parameter (RFC 9207)', {
      hint: 'This server advertises authorization_response_iss_parameter_supported, so every callback must name its issuer; start the login again',
    })
  }
  if (iss !== undefined && !timingSafeEqual(iss, expected.issuer)) {
    throw new JikoAuthError(
      ErrorCode.IssuerMismatch,
      'The callback comes from another issuer (RFC 9207 iss)',
      {
        hint: `Expected iss to be exactly ${expected.issuer}; check the issuer setting`,
      },
    )
  }
  const error = params.get('error')
  if (error !== null) {
    throw new OAuthResponseError(ErrorCode.AuthorizationError, {
      error,
      error_description: params.get('error_description') ?? undefined,
      error_uri: params.get('error_uri') ?? undefined,
    })
  }
  const code = params.get('code')
  if (!code) {
    throw new JikoAuthError(ErrorCode.CallbackInvalid, 'The callback has neither a code nor an error', {
      hint: 'Point redirectUri at this callback route and start the login again',
    })
  }
  return { code, state, iss }
}

function toParams(input: string | URL | URLSearchParams): URLSearchParams {
  if (input instanceof URLSearchParams) return input
  if (input instanceof URL) return input.searchParams
  const queryStart = input.indexOf('?')
  if (queryStart >= 0) return new URLSearchParams(input.slice(queryStart + 1).split('#')[0])
  return new URLSearchParams(input)
}

/** Compares without an early exit, so the time taken tells nothing about the expected value. */
function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0)
  }
  return diff === 0
}
