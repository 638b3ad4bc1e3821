import { ErrorCode, type JikoAuthError, type SessionUser, toJikoAuthError } from '@jiko-auth/core'

/** What `GET {basePath}/session` answers. Never a token. */
export interface SessionInfo {
  state: 'authenticated' | 'idle'
  authenticated: boolean
  scopes: string[]
  /** Milliseconds since the epoch when the access token expires; null without a session. */
  expiresAt: number | null
  /** Who signed in: the validated id_token's claims (`sub`, and `name`, `email`, … as granted). Needs `openid`. */
  user?: SessionUser
  /** `user.sub`, kept as an alias. */
  subject?: string
  /** After `POST /logout` with `idpLogout`: where to send the browser to end the session at Jiko too. */
  endSessionUrl?: string
}

export const NO_SESSION: SessionInfo = { state: 'idle', authenticated: false, scopes: [], expiresAt: null }

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

export function json(body: unknown, status = 200, setCookies: string[] = []): Response {
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8', ...NO_STORE })
  for (const cookie of setCookies) headers.append('set-cookie', cookie)
  return new Response(JSON.stringify(body), { status, headers })
}

export function redirect(location: string, setCookies: string[] = []): Response {
  const headers = new Headers({ location, ...NO_STORE })
  for (const cookie of setCookies) headers.append('set-cookie', cookie)
  return new Response(null, { status: 303, headers })
}

/** The HTTP status for an error: the client's fault is 4xx; only an upstream or storage failure is 5xx. */
export function statusOf(error: JikoAuthError): number {
  switch (error.code) {
    case ErrorCode.Unauthenticated:
    case ErrorCode.SessionExpired:
      return 401
    case ErrorCode.ForbiddenOrigin:
    case ErrorCode.InsufficientScope:
      return 403
    case ErrorCode.RequestTooLarge:
      return 413
    case ErrorCode.RateLimited:
      return 429
    case ErrorCode.StorageError:
      return 503
    case ErrorCode.HttpError:
    case ErrorCode.InvalidResponse:
    case ErrorCode.ResponseTooLarge:
    case ErrorCode.Timeout:
    case ErrorCode.NetworkError:
    case ErrorCode.Unknown:
    case ErrorCode.NotImplemented:
    case ErrorCode.KeyInvalid:
    case ErrorCode.ConfigInvalid:
    case ErrorCode.DiscoveryFailed:
    // The token endpoint refused us (invalid_client, server_error, …): Jiko's words stay in the logs.
    case ErrorCode.OAuthError:
    case ErrorCode.IdTokenMissing:
    case ErrorCode.IdTokenInvalid:
    case ErrorCode.IdTokenSignature:
    case ErrorCode.IdTokenIssuer:
    case ErrorCode.IdTokenAudience:
    case ErrorCode.IdTokenExpired:
    case ErrorCode.NonceMismatch:
    case ErrorCode.IdTokenSubjectChanged:
      return 502
    default:
      return 400
  }
}

/**
 * What the browser is told of a failure on the server's side (5xx): the code and a plain sentence. The message and
 * hint may name files, hosts or settings; they go to the logger only.
 */
const UNVERIFIED = 'The sign-in service’s answer could not be verified, so nothing changed; try again'
const SERVER_FAULT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.IdTokenMissing]: UNVERIFIED,
  [ErrorCode.IdTokenInvalid]: UNVERIFIED,
  [ErrorCode.IdTokenSignature]: UNVERIFIED,
  [ErrorCode.IdTokenIssuer]: UNVERIFIED,
  [ErrorCode.IdTokenAudience]: UNVERIFIED,
  [ErrorCode.IdTokenExpired]: UNVERIFIED,
  [ErrorCode.NonceMismatch]: UNVERIFIED,
  [ErrorCode.IdTokenSubjectChanged]: UNVERIFIED,
  [ErrorCode.DiscoveryFailed]: 'The sign-in service is not reachable as configured; try again later',
  [ErrorCode.StorageError]: 'The session store is unavailable; try again in a moment',
  [ErrorCode.Timeout]: 'The sign-in service did not answer in time; try again in a moment',
  [ErrorCode.NetworkError]: 'The sign-in service could not be reached; try again in a moment',
  [ErrorCode.RateLimited]: 'Too many requests to the sign-in service; try again in a moment',
}
const SERVER_FAULT_MESSAGE = 'The sign-in service failed; try again in a moment'

/** The message and hint the browser may see: ours for client errors (4xx), a plain sentence for server faults. */
export function publicMessageOf(error: JikoAuthError): { message: string; hint?: string } {
  const status = statusOf(error)
  if (status >= 500 || status === 429) {
    return { message: SERVER_FAULT_MESSAGES[error.code] ?? SERVER_FAULT_MESSAGE }
  }
  return error.hint ? { message: error.message, hint: error.hint } : { message: error.message }
}

/**
 * What the logger gets of a failure: code, message and hint (which may name files, hosts or settings, and never a
 * secret). The browser gets `errorBody`.
 */
export function failureFields(error: unknown): { code: string; message: string; hint?: string } {
  const { code, message, hint } = toJikoAuthError(error)
  return hint ? { code, message, hint } : { code, message }
}

/**
 * The error as the browser may see it: code, a message (and hint) fit for a browser, the OAuth error name. Never a
 * secret, never a server internal (see `publicMessageOf`).
 */
export function errorBody(error: JikoAuthError) {
  const oauth = 'error' in error && typeof error.error === 'string' ? { error: error.error } : {}
  return { error: { code: error.code, ...publicMessageOf(error), ...oauth } }
}

export function jsonError(error: JikoAuthError, setCookies: string[] = []): Response {
  return json(errorBody(error), statusOf(error), setCookies)
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * Headers of every HTML answer: not sniffed as anything else, not framed (clickjacking), no referrer (the callback
 * URL carries a code), no script, and nothing loaded but its own inline style.
 */
export const HTML_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
}

/** A small page for a failed sign-in, with the typed code and a way back. */
export function errorPage(error: JikoAuthError, loginPath: string, setCookies: string[] = []): Response {
  const title = error.code === ErrorCode.AuthorizationError ? 'Sign-in was cancelled' : 'Sign-in failed'
  const { message, hint } = publicMessageOf(error)
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#f1f1f1;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><main><h1>${title}</h1><p role="alert">${escapeHtml(message)}</p>${hint ? `<p>${escapeHtml(hint)}.</p>` : ''}
<p>Error code: <code>${error.code}</code></p><p><a href="${escapeHtml(loginPath)}">Sign in again</a> · <a href="/">Home</a></p></main></body></html>`
  const headers = new Headers({
    'content-type': 'text/html; charset=utf-8',
    ...NO_STORE,
    ...HTML_SECURITY_HEADERS,
  })
  for (const cookie of setCookies) headers.append('set-cookie', cookie)
  return new Response(html, { status: statusOf(error), headers })
}
