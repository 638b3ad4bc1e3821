import { createRemoteJWKSet, customFetch, type JWTPayload, jwtVerify, type RemoteJWKSet } from 'jose'
import { type Clock, systemClock } from '../clock.js'
import { ErrorCode, JikoAuthError } from '../errors.js'
import { type HttpOptions, toTransportError } from '../http.js'
import type { MetadataCache } from './createMetadataCache.js'

/**
 * The JWKS is fetched again for an unknown `kid` at most this often (on the injected clock): a storm of unknown kids
 * makes one request per cooldown, and concurrent ones share it.
 */
export const JWKS_COOLDOWN_MS = 30_000
/** jose's own refetch of an unknown kid is left to us (above): its cooldown, on the real clock, is never reached. */
const NEVER_MS = 2 ** 31 - 1
const JWKS_CACHE_MAX_AGE_MS = 10 * 60 * 1000
const JWKS_TIMEOUT_MS = 5000

/** The claims of a validated id_token. */
export interface IdTokenClaims extends JWTPayload {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
}

export interface IdTokenExpectations {
  /** The nonce the login sent: the id_token must carry it (sign-in). */
  nonce?: string
  /** The id_token of the sign-in, at a refresh: `iss` and `sub` must not change (OIDC Core §12.2). */
  previous?: { iss: string; sub: string }
}

/** Validates id_tokens: see `createIdTokenVerifier`. */
export interface IdTokenVerifier {
  verify(idToken: string, expectations?: IdTokenExpectations): Promise<IdTokenClaims>
}

export interface IdTokenVerifierOptions {
  clock?: Clock
  http?: Omit<HttpOptions, 'signal'>
}

/**
 * ID Token validation (OpenID Connect Core §3.1.3.7) with jose: the signature against the issuer's JWKS (cached,
 * fetched again for an unknown `kid` at most every 30 s), an algorithm allow-list (never `none`, never HS*), `iss`
 * exactly the issuer, `aud` holding the client id (and `azp` the client id when there are several audiences),
 * `exp` and `iat` within the clock tolerance, the login's `nonce`, and on refresh the same `iss` and `sub`. Each
 * failure has its own code (`JIKO_ID_TOKEN_SIGNATURE`, `…_ISSUER`, `…_AUDIENCE`, `…_EXPIRED`, `JIKO_NONCE_MISMATCH`,
 * `JIKO_ID_TOKEN_SUBJECT_CHANGED`, `JIKO_ID_TOKEN_INVALID`); messages never hold the token.
 *
 * @example
 * ```ts
 * const idTokens = createIdTokenVerifier(createMetadataCache(config))
 * const claims = await idTokens.verify(tokens.idToken, { nonce: transaction.nonce })
 * ```
 */
export function createIdTokenVerifier(
  metadata: MetadataCache,
  options: IdTokenVerifierOptions = {},
): IdTokenVerifier {
  const clock = options.clock ?? systemClock
  let jwks: { uri: string; keys: RemoteJWKSet; fetchedAt: number; reloading?: Promise<void> } | undefined

  function keysAt(uri: string): NonNullable<typeof jwks> {
    if (jwks?.uri !== uri) {
      const http = options.http?.http
      jwks = {
        uri,
        fetchedAt: clock.now(),
        keys: createRemoteJWKSet(new URL(uri), {
          cooldownDuration: NEVER_MS,
          cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
          timeoutDuration: options.http?.timeoutMs ?? JWKS_TIMEOUT_MS,
          ...(http
            ? {
                [customFetch]: (url: string, init: { headers: Headers; signal: AbortSignal }) =>
                  http(url, { method: 'GET', headers: headersOf(init.headers), signal: init.signal }),
              }
            : {}),
        }),
      }
    }
    return jwks
  }

  /** Fetches the key set again for an unknown kid, once per cooldown; whether it did (or joined one in flight). */
  async function reloaded(set: NonNullable<typeof jwks>): Promise<boolean> {
    if (!set.reloading) {
      if (clock.now() - set.fetchedAt < JWKS_COOLDOWN_MS) return false
      set.fetchedAt = clock.now()
      set.reloading = set.keys.reload().finally(() => {
        set.reloading = undefined
      })
    }
    await set.reloading
    return true
  }

  return {
    async verify(idToken, expectations = {}) {
      const config = await metadata.resolve()
      const now = clock.now()
      const set = keysAt(config.jwksUri)
      const check = () =>
        jwtVerify(idToken, set.keys, {
          algorithms: config.idTokenAlgorithms,
          issuer: config.issuer,
          audience: config.clientId,
          requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
          clockTolerance: config.clockToleranceSeconds,
          currentDate: new Date(now),
        })
      let claims: JWTPayload
      try {
        try {
          ;({ payload: claims } = await check())
        } catch (error) {
          // A kid the cached set does not know: the server may have rotated its keys.
          const unknownKid = (error as { code?: string })?.code === 'ERR_JWKS_NO_MATCHING_KEY'
          if (!unknownKid || !(await reloaded(set))) throw error
          ;({ payload: claims } = await check())
        }
      } catch (error) {
        throw fromJoseError(error, config.issuer, config.clientId)
      }
      if (typeof claims.sub !== 'string' || claims.sub === '') {
        throw invalid(ErrorCode.IdTokenInvalid, 'The id_token has no subject (sub)')
      }
      if ((claims.iat as number) > now / 1000 + config.clockToleranceSeconds) {
        throw invalid(ErrorCode.IdTokenInvalid, 'The id_token was issued in the future (iat)', {
          hint: 'Check the clocks of this server and of the authorization server, or raise clockToleranceSeconds',
        })
      }
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if ((audiences.length > 1 || claims.azp !== undefined) && claims.azp !== config.clientId) {
        throw invalid(
          ErrorCode.IdTokenAudience,
          `The id_token has several audiences and its azp is not this client (${config.clientId})`,
        )
      }
      if (expectations.nonce !== undefined && claims.nonce !== expectations.nonce) {
        throw invalid(ErrorCode.NonceMismatch, 'The id_token does not carry the nonce this login sent', {
          hint: 'The login was replayed or mixed up with another one; start it again',
        })
      }
      const previous = expectations.previous
      if (previous && (claims.iss !== previous.iss || claims.sub !== previous.sub)) {
        throw invalid(
          ErrorCode.IdTokenSubjectChanged,
          'The id_token of this refresh names another user or issuer than the sign-in',
          { hint: 'The session is ended and the new refresh token revoked; sign in again' },
        )
      }
      return claims as IdTokenClaims
    },
  }
}

/** The codes of an id_token that was checked and refused (not of a check that could not run). */
const REJECTIONS = new Set<string>([
  ErrorCode.IdTokenInvalid,
  ErrorCode.IdTokenSignature,
  ErrorCode.IdTokenIssuer,
  ErrorCode.IdTokenAudience,
  ErrorCode.IdTokenExpired,
  ErrorCode.NonceMismatch,
  ErrorCode.IdTokenSubjectChanged,
])

/**
 * Whether an error says an id_token was checked and refused, as opposed to a check that could not run (the JWKS
 * or the metadata unreachable, a timeout).
 */
export function isIdTokenRejection(error: unknown): boolean {
  return error instanceof JikoAuthError && REJECTIONS.has(error.code)
}

function headersOf(headers: Headers): Record<string, string> {
  const plain: Record<string, string> = {}
  headers.forEach((value, name) => {
    plain[name] = value
  })
  return plain
}

function invalid(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
  return new JikoAuthError(code, message, {
    hint:
      options.hint ?? 'The user was not signed in with this token; check the issuer and clientId settings',
    ...(options.cause ? { cause: options.cause } : {}),
  })
}

/** jose's failure, as one of our codes; the message names the check, never the token. */
function fromJoseError(error: unknown, issuer: string, clientId: string): JikoAuthError {
  if (error instanceof JikoAuthError) return error
  const code = (error as { code?: string })?.code
  // Not jose's own: the JWKS request failed on the way (network, abort).
  if (!code?.startsWith('ERR_')) return toTransportError(error)
  const claim = (error as { claim?: string })?.claim
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return invalid(ErrorCode.IdTokenExpired, 'The id_token has expired', {
        hint: 'Check the clocks of this server and of the authorization server, or raise clockToleranceSeconds',
        cause: error,
      })
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'iss') {
        return invalid(ErrorCode.IdTokenIssuer, `The id_token was not issued by ${issuer}`, { cause: error })
      }
      if (claim === 'aud') {
        return invalid(ErrorCode.IdTokenAudience, `The id_token is not meant for this client (${clientId})`, {
          cause: error,
        })
      }
      return invalid(ErrorCode.IdTokenInvalid, `The id_token's ${claim ?? 'claims'} claim is invalid`, {
        cause: error,
      })
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return invalid(
        ErrorCode.IdTokenSignature,
        'The id_token signature does not verify against the issuer’s keys, or its algorithm is not allowed',
        { cause: error },
      )
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
    case 'ERR_JOSE_GENERIC':
      return new JikoAuthError(ErrorCode.HttpError, 'The issuer’s signing keys (JWKS) could not be fetched', {
        hint: 'Check that the jwks_uri of the issuer is reachable',
        cause: error,
      })
    default:
      return invalid(ErrorCode.IdTokenInvalid, 'The id_token is not a valid signed JWT', { cause: error })
  }
}
