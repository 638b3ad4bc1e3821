import { ErrorCode, JikoAuthError } from '../errors.js'
import type { JikoClientConfig } from './config.js'

export interface AuthorizationUrlParams {
  state: string
  codeChallenge: string
  /** The OpenID Connect nonce, sent when the scopes hold `openid` (the id_token must carry it back). */
  nonce?: string
  /** Overrides the configured scopes for this request. */
  scopes?: string[]
  /** Extra parameters (e.g. `prompt`, `login_hint`); they cannot replace the protocol's own. */
  extraParams?: Record<string, string>
}

const PROTECTED = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
])

/**
 * The URL to send the browser to (step 2 of Jiko's flow): code flow, PKCE S256, exact redirect_uri.
 *
 * @example
 * ```ts
 * const url = buildAuthorizationUrl(config, { state, codeChallenge: pkce.challenge })
 * return Response.redirect(url, 303)
 * ```
 */
/** The configured redirectUri; signing a user in without one is a configuration error. */
export function requireRedirectUri(config: JikoClientConfig): string {
  if (config.redirectUri) return config.redirectUri
  throw new JikoAuthError(
    ErrorCode.ConfigInvalid,
    'Invalid Jiko client configuration: redirectUri is required',
    {
      field: 'redirectUri',
      hint: 'Set redirectUri to your callback URL, e.g. https://app.example/auth/callback, to sign users in',
    },
  )
}

export function buildAuthorizationUrl(config: JikoClientConfig, params: AuthorizationUrlParams): URL {
  const url = new URL(config.authorizationEndpoint)
  for (const [name, value] of Object.entries(params.extraParams ?? {})) {
    if (!PROTECTED.has(name)) url.searchParams.set(name, value)
  }
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('client_id', config.clientId)
  url.searchParams.set('redirect_uri', requireRedirectUri(config))
  url.searchParams.set('scope', (params.scopes ?? config.scopes).join(' '))
  url.searchParams.set('state', params.state)
  url.searchParams.set('code_challenge', params.codeChallenge)
  url.searchParams.set('code_challenge_method', 'S256')
  if (params.nonce !== undefined) url.searchParams.set('nonce', params.nonce)
  return url
}
