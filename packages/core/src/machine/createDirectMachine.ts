import { decodeJwt } from 'jose'
import { fromPromise } from 'xstate'
import { type Clock, systemClock } from '../clock.js'
import { type CryptoAdapter, webCryptoAdapter } from '../cryptoAdapter.js'
import { ErrorCode, JikoAuthError } from '../errors.js'
import type { HttpOptions } from '../http.js'
import { buildAuthorizationUrl } from '../protocol/buildAuthorizationUrl.js'
import type { JikoClientConfig } from '../protocol/config.js'
import { createTokenClient, type TokenClient } from '../protocol/createTokenClient.js'
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
  StartAuthorizationInput,
  StartAuthorizationOutput,
} from './types.js'

export interface DirectMachineOptions {
  config: JikoClientConfig
  crypto?: CryptoAdapter
  clock?: Clock
  http?: Omit<HttpOptions, 'signal'>
  /** A token client to share (and its imported key); by default one is made from the options above. */
  tokenClient?: TokenClient
}

/**
 * Builds a session record from a token set: times, scope and (for display only, unverified) the subject.
 */
export function sessionFromTokens(tokens: TokenSet): AuthSession {
  const session: AuthSession = { issuedAt: tokens.issuedAt, expiresAt: tokens.expiresAt, tokens }
  if (tokens.scope !== undefined) session.scope = tokens.scope
  const subject = readSubject(tokens.idToken) ?? readSubject(tokens.accessToken)
  if (subject !== undefined) session.subject = subject
  return session
}

function readSubject(jwt: string | undefined): string | undefined {
  if (!jwt) return undefined
  try {
    const { sub } = decodeJwt(jwt)
    return typeof sub === 'string' ? sub : undefined
  } catch {
    return undefined
  }
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
  const client =
    options.tokenClient ??
    createTokenClient(config, { crypto, clock, ...(options.http ? { http: options.http } : {}) })

  return {
    actors: {
      // returnTo stays in the machine's context: the transaction does not carry a second copy.
      startAuthorization: fromPromise<StartAuthorizationOutput, StartAuthorizationInput>(async () => {
        const pkce = await createPkcePair(crypto)
        const state = createState(crypto)
        const authorizationUrl = buildAuthorizationUrl(config, {
          state,
          codeChallenge: pkce.challenge,
        }).href
        const transaction = {
          state,
          codeVerifier: pkce.verifier,
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
        const { code } = parseCallback(input.callbackUrl, {
          state: input.transaction.state,
          issuer: config.issuer,
          requireIssuer: config.authorizationResponseIssParameterSupported,
        })
        const tokens = await client.exchangeCode({
          code,
          codeVerifier: input.transaction.codeVerifier,
          signal,
        })
        return sessionFromTokens(tokens)
      }),
      refreshTokens: fromPromise<AuthSession, RefreshTokensInput>(async ({ input, signal }) => {
        if (!input.session.tokens) {
          throw new JikoAuthError(ErrorCode.SessionExpired, 'This session holds no tokens to refresh', {
            hint: 'Sign in again',
          })
        }
        return sessionFromTokens(await client.refresh(input.session.tokens, { signal }))
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
