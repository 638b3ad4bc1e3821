import { ErrorCode, type JikoAuthError } from '@jiko-auth/core'

/** What `GET {basePath}/session` answers. Never a token. */
export interface SessionInfo {
  state: 'authenticated' | 'idle'
  authenticated: boolean
  scopes: string[]
  /** Milliseconds since the epoch when the access token expires; null without a session. */
  expiresAt: number | null
  subject?: string
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
      return 403
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
      return 502
    default:
      return 400
  }
}

/** The error as the browser may see it: code, message, hint (and the OAuth error name). Never a secret. */
export function errorBody(error: JikoAuthError) {
  const { code, message, hint } = error
  const oauth = 'error' in error && typeof error.error === 'string' ? { error: error.error } : {}
  return { error: { code, message, ...(hint ? { hint } : {}), ...oauth } }
}

export function jsonError(error: JikoAuthError, setCookies: string[] = []): Response {
  return json(errorBody(error), statusOf(error), setCookies)
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** A small page for a failed sign-in, with the typed code and a way back. */
export function errorPage(error: JikoAuthError, loginPath: string, setCookies: string[] = []): Response {
  const title = error.code === ErrorCode.AuthorizationError ? 'Sign-in was cancelled' : 'Sign-in failed'
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#f1f1f1;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><main><h1>${title}</h1><p role="alert">${escapeHtml(error.message)}</p>${error.hint ? `<p>${escapeHtml(error.hint)}.</p>` : ''}
<p>Error code: <code>${error.code}</code></p><p><a href="${escapeHtml(loginPath)}">Sign in again</a> · <a href="/">Home</a></p></main></body></html>`
  const headers = new Headers({ 'content-type': 'text/html; charset=utf-8', ...NO_STORE })
  for (const cookie of setCookies) headers.append('set-cookie', cookie)
  return new Response(html, { status: statusOf(error), headers })
}
