import { fromPromise } from 'xstate'
import { type Clock, systemClock } from '../clock.js'
import { type CryptoAdapter, webCryptoAdapter } from '../cryptoAdapter.js'
import { ErrorCode, JikoAuthError, OAuthResponseError } from '../errors.js'
import type { HttpOptions } from '../http.js'
import { buildAuthorizationUrl } from '../protocol/buildAuthorizationUrl.js'
import type { JikoClientConfig } from '../protocol/config.js'
import {
  createIdTokenVerifier,
  type IdTokenClaims,
  type IdTokenVerifier,
  isIdTokenRejection,
} from '../protocol/createIdTokenVerifier.js'
import { createMetadataCache, type MetadataCache } from '../protocol/createMetadataCache.js'
import { createTokenClient, type TokenClient } from '../protocol/createTokenClient.js'
import { type DpopKey, generateDpopKey } from '../protocol/dpop.js'
import { parseCallback } from '../protocol/parseCallback.js'
import type { TokenSet } from '../protocol/parseTokenResponse.js'
import { createPkcePair, createState } from '../protocol/pkce.js'
import { authMachine } from './authMachine.js'
import { createRefreshDelay } from './refreshDelay.js'
import type {
  AuthSession,
  EndSessionInput,
  ExchangeCodeInput,
  RefreshTokensInput,
  SessionUser,
  StartAuthorizationInput,
  StartAuthorizationOutput,
} from './types.js'

export interface DirectMachineOptions {
  config: JikoClientConfig
  crypto?: CryptoAdapter
  clock?: Clock
  http?: Omit<HttpOptions, 'signal'>
  /**
   * Where the endpoints come from: discovery (`config.discovery`, the default) or the configuration. Share one per
   * process; by default one is made from the options above.
   */
  metadata?: MetadataCache
  /** A token client to share (and its imported key); by default one is made from the options above. */
  tokenClient?: TokenClient
  /** Validates id_tokens; by default one is made over `metadata`. */
  idTokens?: IdTokenVerifier
}

/** Claims that describe the token, not the user: left out of `session.user`. */
const PROTOCOL_CLAIMS = new Set([
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'azp',
  'at_hash',
  'c_hash',
  's_hash',
  'auth_time',
  'acr',
  'amr',
  'sid',
])

/** Who signed in, from a validated id_token's claims. */
export function userFromClaims(claims: IdTokenClaims): SessionUser {
  const user: SessionUser = { sub: claims.sub }
  for (const [name, value] of Object.entries(claims)) if (!PROTOCOL_CLAIMS.has(name)) user[name] = value
  return user
}

/**
 * Builds a session record from a token set: times, scope and who signed in — from a validated id_token's
 * `claims` only (never read unverified from a token), or kept from the `previous` session at a refresh without a
 * new id_token. Without `openid` there is no identity.
 */
export function sessionFromTokens(
  tokens: TokenSet,
  identity: { claims?: IdTokenClaims; previous?: AuthSession; dpopKey?: DpopKey } = {},
): AuthSession {
  const session: AuthSession = { issuedAt: tokens.issuedAt, expiresAt: tokens.expiresAt, tokens }
  if (tokens.scope !== undefined) session.scope = tokens.scope
  const { claims, previous } = identity
  const dpopKey = identity.dpopKey ?? previous?.dpopKey
  if (dpopKey) session.dpopKey = dpopKey
  // `user.sub` is the subject; it is not stored twice (a session is kept in ≤ 2 KB).
  if (claims) session.user = userFromClaims(claims)
  else if (previous?.user) session.user = previous.user
  return session
}

/**
 * Core's **direct** implementations of the machine's actors: they talk to Jiko with the injected HTTP, crypto and
 * clock. Every request is cancelled when the machine leaves the state that started it.
 *
 * @example
 * ```ts
 * const machine = authMachine.provide(createDirectImplementations({ config }))
 * ```
 */
export function createDirectImplementations(options: DirectMachineOptions) {
  const { config } = options
  const crypto = options.crypto ?? webCryptoAdapter
  const clock = options.clock ?? systemClock
  const http = options.http ? { http: options.http } : {}
  const metadata = options.metadata ?? createMetadataCache(config, { clock, ...http })
  const client = options.tokenClient ?? createTokenClient(config, { crypto, clock, metadata, ...http })
  const idTokens = options.idTokens ?? createIdTokenVerifier(metadata, { clock, ...http })
  const asksOpenId = config.scopes.includes('openid')

  /**
   * A refused authorization (access_denied, invalid_scope) names what this client asked for: an unknown or disabled
   * scope is the usual cause, and the server's answer does not say which.
   */
  function explainRefusal<T>(parse: () => T): T {
    try {
      return parse()
    } catch (error) {
      if (
        error instanceof OAuthResponseError &&
        error.code === ErrorCode.AuthorizationError &&
        (error.error === 'access_denied' || error.error === 'invalid_scope')
      ) {
        throw new OAuthResponseError(
          ErrorCode.AuthorizationError,
          { error: error.error, error_description: error.error_description, error_uri: error.error_uri },
          {
            hint: `The user declined, or a scope is not enabled for this client at Jiko: it asked for ${config.scopes.join(', ')}`,
          },
        )
      }
      throw error
    }
  }

  /** The validated id_token of a sign-in: required with `openid` (OIDC Core §3.1.3.3), none without. */
  async function identify(tokens: TokenSet, nonce: string | undefined): Promise<IdTokenClaims | undefined> {
    if (!asksOpenId) return undefined
    if (!tokens.idToken) {
      throw new JikoAuthError(ErrorCode.IdTokenMissing, 'The token response has no id_token', {
        hint: 'The openid scope was asked, so the server must return an id_token; check the client’s settings at Jiko',
      })
    }
    return idTokens.verify(tokens.idToken, nonce === undefined ? {} : { nonce })
  }

  return {
    actors: {
      // returnTo stays in the machine's context: the transaction does not carry a second copy.
      startAuthorization: fromPromise<StartAuthorizationOutput, StartAuthorizationInput>(async () => {
        const current = await metadata.resolve()
        const pkce = await createPkcePair(crypto)
        const state = createState(crypto)
        // A nonce of its own, generated with the state, whenever an id_token is asked for.
        const nonce = asksOpenId ? createState(crypto) : undefined
        const authorizationUrl = buildAuthorizationUrl(current, {
          state,
          codeChallenge: pkce.challenge,
          ...(nonce ? { nonce } : {}),
        }).href
        const transaction = {
          state,
          codeVerifier: pkce.verifier,
          ...(nonce ? { nonce } : {}),
          // One DPoP key per session, made with the login: the code exchange already proves it.
          ...(config.dpop ? { dpopKey: await generateDpopKey() } : {}),
          createdAt: clock.now(),
        }
        return { authorizationUrl, transaction }
      }),
      exchangeCode: fromPromise<AuthSession, ExchangeCodeInput>(async ({ input, signal }) => {
        if (!input.transaction) {
          throw new JikoAuthError(
            ErrorCode.CallbackInvalid,
            'There is no login in progress for this callback',
            {
              hint: 'Start the login again',
            },
          )
        }
        const current = await metadata.resolve()
        const { transaction } = input
        const { code } = explainRefusal(() =>
          parseCallback(input.callbackUrl, {
            state: transaction.state,
            issuer: current.issuer,
            requireIssuer: current.authorizationResponseIssParameterSupported,
          }),
        )
        const { dpopKey } = input.transaction
        const tokens = await client.exchangeCode({
          code,
          codeVerifier: input.transaction.codeVerifier,
          signal,
          ...(dpopKey ? { dpop: dpopKey } : {}),
        })
        const claims = await identify(tokens, input.transaction.nonce)
        return sessionFromTokens(tokens, { ...(claims ? { claims } : {}), ...(dpopKey ? { dpopKey } : {}) })
      }),
      refreshTokens: fromPromise<AuthSession, RefreshTokensInput>(async ({ input, signal }) => {
        const previous = input.session
        if (!previous.tokens) {
          throw new JikoAuthError(ErrorCode.SessionExpired, 'This session holds no tokens to refresh', {
            hint: 'Sign in again',
          })
        }
        const before = previous.tokens
        const tokens = await client.refresh(before, {
          signal,
          ...(previous.dpopKey ? { dpop: previous.dpopKey } : {}),
        })
        // A new id_token must name the same issuer and user as the sign-in (OIDC Core §12.2), or nothing changes.
        const fresh = asksOpenId && tokens.idToken !== undefined && tokens.idToken !== before.idToken
        // The sign-in's id_token was issued by the configured issuer exactly (it was checked), so that is its iss.
        const sub = previous.user?.sub
        let claims: IdTokenClaims | undefined
        if (fresh && tokens.idToken) {
          try {
            claims = await idTokens.verify(
              tokens.idToken,
              sub === undefined ? {} : { previous: { iss: config.issuer, sub } },
            )
          } catch (error) {
            // The check could not run (keys or metadata unreachable): Jiko has rotated the refresh token already,
            // so the new tokens are kept, with the user of the sign-in.
            if (!isIdTokenRejection(error)) return sessionFromTokens(tokens, { previous })
            // Refused (another user, a forged token): these tokens belong to no session of ours. The old refresh
            // token is spent, so the session ends; the new one is revoked rather than left live.
            if (tokens.refreshToken && tokens.refreshToken !== before.refreshToken) {
              await client.revoke(tokens.refreshToken, { hint: 'refresh_token' }).catch(() => undefined)
            }
            throw error
          }
        }
        return sessionFromTokens(tokens, { previous, ...(claims ? { claims } : {}) })
      }),
      endSession: fromPromise<void, EndSessionInput>(async ({ input, signal }) => {
        const token = input.session?.tokens?.refreshToken
        if (token) await client.revoke(token, { hint: 'refresh_token', signal })
      }),
    },
    delays: { refreshDelay: createRefreshDelay(clock) },
  }
}

/**
 * The machine wired to Jiko directly (what `@jiko-auth/node` runs). Pass the same clock to `createActor`.
 *
 * @example
 * ```ts
 * const actor = createActor(createDirectMachine({ config }), { input: {} }).start()
 * actor.send({ type: 'LOGIN', returnTo: '/' })
 * ```
 */
export function createDirectMachine(options: DirectMachineOptions) {
  return authMachine.provide(createDirectImplementations(options))
}
