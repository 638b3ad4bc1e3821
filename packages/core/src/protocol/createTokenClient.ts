import { type Clock, systemClock } from '../clock.js'
import { type CryptoAdapter, type SigningKey, webCryptoAdapter } from '../cryptoAdapter.js'
import { ErrorCode, JikoAuthError, OAuthResponseError } from '../errors.js'
import { type HttpOptions, postForm, toTransportError } from '../http.js'
import { requireRedirectUri } from './buildAuthorizationUrl.js'
import type { JikoClientConfig } from './config.js'
import { CLIENT_ASSERTION_TYPE, createClientAssertion } from './createClientAssertion.js'
import type { MetadataCache } from './createMetadataCache.js'
import { createDpopProof, type DpopKey } from './dpop.js'
import { importSigningKey } from './importSigningKey.js'
import { parseTokenResponse, type TokenSet } from './parseTokenResponse.js'
import { readOAuthResponse } from './readOAuthResponse.js'

export interface TokenClientOptions {
  crypto?: CryptoAdapter
  clock?: Clock
  http?: Omit<HttpOptions, 'signal'>
  /**
   * A 429 whose Retry-After is at most this many seconds is retried once, after waiting (default 5; 0 never
   * retries). Nothing else is retried: after a 5xx or a timeout the server may have rotated the refresh token.
   */
  maxRetryAfterSeconds?: number
  /** Where the endpoints come from (discovery); by default the configuration's own. */
  metadata?: MetadataCache
}

/** Talks to Jiko's token and revocation endpoints, authenticating with private_key_jwt. */
export interface TokenClient {
  /** Step 5: trades the code for tokens (authorization_code with code_verifier and redirect_uri). */
  exchangeCode(params: {
    code: string
    codeVerifier: string
    signal?: AbortSignal
    /** Ask for a DPoP-bound token (RFC 9449), proving possession of this key. */
    dpop?: DpopKey
  }): Promise<TokenSet>
  /** Step 8: a refresh_token grant. A rotated refresh token replaces the old one in the result. */
  refresh(tokens: TokenSet, options?: { signal?: AbortSignal; dpop?: DpopKey }): Promise<TokenSet>
  /**
   * The client-credentials grant (RFC 6749 §4.4) for server-to-server work: a token for this client itself, no
   * refresh token. `scopes` default to the configured ones.
   */
  clientCredentials(options?: { scopes?: string[]; signal?: AbortSignal; dpop?: DpopKey }): Promise<TokenSet>
  /** RFC 7009 revocation at the revocation endpoint (the server's metadata, or Jiko's documented path). */
  revoke(
    token: string,
    options?: { hint?: 'refresh_token' | 'access_token'; signal?: AbortSignal },
  ): Promise<void>
}

/**
 * The token endpoint functions bound to one configuration. The signing key is imported once, on first use.
 *
 * @example
 * ```ts
 * const client = createTokenClient(resolveConfig({ ... }))
 * const tokens = await client.exchangeCode({ code, codeVerifier: transaction.codeVerifier })
 * const next = await client.refresh(tokens)
 * ```
 */
export function createTokenClient(config: JikoClientConfig, options: TokenClientOptions = {}): TokenClient {
  const crypto = options.crypto ?? webCryptoAdapter
  const clock = options.clock ?? systemClock
  let key: Promise<SigningKey> | undefined

  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 5

  /**
   * One POST, and at most one retry: only after a 429 (the server refused before doing anything, so replaying the
   * code or refresh token is safe) whose Retry-After is short. Each attempt signs a new assertion (new jti).
   */
  const resolve = () => options.metadata?.resolve() ?? Promise.resolve(config)
  /** The latest `DPoP-Nonce` each server gave (RFC 9449 §8): sent with the next proof. */
  const dpopNonces = new Map<string, string>()

  async function authenticatedPost(
    endpoint: 'tokenEndpoint' | 'revocationEndpoint',
    form: URLSearchParams,
    signal: AbortSignal | undefined,
    dpop?: DpopKey,
  ) {
    const current = await resolve()
    const url = current[endpoint]
    try {
      return await postOnce(current, url, form, signal, dpop)
    } catch (error) {
      // The server wants a nonce in the proof (RFC 9449 §8): one retry with the nonce it just gave.
      if (dpop && error instanceof OAuthResponseError && error.error === 'use_dpop_nonce') {
        return postOnce(current, url, form, signal, dpop)
      }
      const wait =
        error instanceof JikoAuthError && error.code === ErrorCode.RateLimited
          ? error.retryAfterSeconds
          : undefined
      if (wait === undefined || wait > maxRetryAfterSeconds) throw error
      await sleep(wait * 1000, signal)
      return postOnce(current, url, form, signal, dpop)
    }
  }

  async function postOnce(
    current: JikoClientConfig,
    url: string,
    form: URLSearchParams,
    signal: AbortSignal | undefined,
    dpop: DpopKey | undefined,
  ) {
    key ??= crypto.importSigningKey
      ? crypto.importSigningKey(config.privateKey, config.signingAlgorithm)
      : importSigningKey(config.privateKey, config.signingAlgorithm)
    key.catch(() => {
      key = undefined
    })
    // aud is the token endpoint the server publishes (Jiko's rule), whichever endpoint is called.
    const assertion = await createClientAssertion(current, { key: await key, now: clock.now(), crypto })
    form.set('client_id', config.clientId)
    form.set('client_assertion_type', CLIENT_ASSERTION_TYPE)
    form.set('client_assertion', assertion)
    const origin = new URL(url).origin
    const headers: Record<string, string> = {}
    if (dpop) {
      const nonce = dpopNonces.get(origin)
      headers.dpop = await createDpopProof(dpop, {
        htm: 'POST',
        htu: url,
        now: clock.now(),
        crypto,
        ...(nonce ? { nonce } : {}),
      })
    }
    const result = await postForm(url, form, signal ? { ...options.http, signal } : options.http, headers)
    const nonce = result.headers.get('dpop-nonce')
    if (nonce) dpopNonces.set(origin, nonce)
    return readOAuthResponse(result)
  }

  return {
    async exchangeCode({ code, codeVerifier, signal, dpop }) {
      const form = new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: requireRedirectUri(config),
        code_verifier: codeVerifier,
      })
      const body = await authenticatedPost('tokenEndpoint', form, signal, dpop)
      return parseTokenResponse(body, { now: clock.now(), dpop: dpop !== undefined })
    },

    async refresh(tokens, { signal, dpop } = {}) {
      if (!tokens.refreshToken) {
        throw new JikoAuthError(ErrorCode.SessionExpired, 'This session has no refresh token', {
          hint: 'Sign in again; ask for a refresh token if your client is allowed one',
        })
      }
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken })
      const body = await authenticatedPost('tokenEndpoint', form, signal, dpop)
      return parseTokenResponse(body, { now: clock.now(), previous: tokens, dpop: dpop !== undefined })
    },

    async clientCredentials({ scopes = config.scopes, signal, dpop } = {}) {
      const form = new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') })
      const body = await authenticatedPost('tokenEndpoint', form, signal, dpop)
      const tokens = parseTokenResponse(body, { now: clock.now(), dpop: dpop !== undefined })
      // A service token is never refreshed: a new one is asked for instead.
      delete tokens.refreshToken
      return tokens
    },

    async revoke(token, { hint, signal } = {}) {
      const form = new URLSearchParams({ token })
      if (hint) form.set('token_type_hint', hint)
      await authenticatedPost('revocationEndpoint', form, signal)
    },
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(toTransportError(signal.reason))
    })
  })
}
