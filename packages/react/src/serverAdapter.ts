import {
  type AuthSession,
  type EndSessionInput,
  ErrorCode,
  type ExchangeCodeInput,
  JikoAuthError,
  type RefreshTokensInput,
  type SessionUser,
  type StartAuthorizationInput,
  type StartAuthorizationOutput,
} from '@jiko-auth/core/machine'
import { fromPromise } from 'xstate'

/** What `GET {baseUrl}/session` answers (see @jiko-auth/node). */
interface SessionInfo {
  authenticated: boolean
  scopes: string[]
  expiresAt: number | null
  user?: SessionUser
  subject?: string
}

export interface ServerAdapterOptions {
  /** Where the app's @jiko-auth/node handler is served (default `/auth`). */
  baseUrl?: string
  /** The fetch to use (default the global one, with same-origin credentials). */
  fetch?: typeof fetch
  /** How to send the browser to the login URL (default `window.location.assign`). */
  navigate?: (url: string) => void
}

/**
 * The machine's actors implemented against your own `@jiko-auth/node` endpoints. No token, no signing, no key in
 * the browser: it only ever sees what `GET /session` answers.
 */
export interface AuthAdapter {
  readonly baseUrl: string
  readonly actors: ReturnType<typeof createActors>['actors']
  /** The current session, or undefined when signed out. */
  fetchSession(signal?: AbortSignal): Promise<AuthSession | undefined>
}

// One exchange per callback URL for the page's lifetime: StrictMode's second mount reuses the first's result
// instead of posting the same (single-use) code again.
const exchanges = new Map<string, Promise<AuthSession>>()

function createActors(options: Required<ServerAdapterOptions>) {
  const { baseUrl } = options

  async function call(path: string, init: RequestInit = {}): Promise<unknown> {
    let response: Response
    try {
      response = await options.fetch(`${baseUrl}${path}`, {
        credentials: 'same-origin',
        ...init,
        headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
      })
    } catch (cause) {
      throw new JikoAuthError(ErrorCode.NetworkError, 'Could not reach the server', {
        hint: 'Check your connection',
        cause,
      })
    }
    const body = (await response.json().catch(() => undefined)) as
      | { error?: { code: ErrorCode; message: string; hint?: string } }
      | undefined
    if (response.ok) return body
    // The server's typed error, as it sent it (code, message, hint); a bare HTTP failure otherwise.
    const { code = ErrorCode.HttpError, message = `HTTP ${response.status}`, hint } = body?.error ?? {}
    throw new JikoAuthError(code, message, { status: response.status, ...(hint ? { hint } : {}) })
  }

  const toSession = (info: SessionInfo): AuthSession | undefined => {
    if (!info.authenticated || info.expiresAt === null) return undefined
    return {
      issuedAt: Math.min(Date.now(), info.expiresAt),
      expiresAt: info.expiresAt,
      scope: info.scopes.join(' '),
      ...(info.user
        ? { user: info.user, subject: info.user.sub }
        : info.subject
          ? { subject: info.subject }
          : {}),
    }
  }

  const signedIn = (info: unknown): AuthSession => {
    const session = toSession(info as SessionInfo)
    if (!session)
      throw new JikoAuthError(ErrorCode.SessionExpired, 'The server has no session', {
        hint: 'Sign in again',
      })
    return session
  }

  const actors = {
    startAuthorization: fromPromise<StartAuthorizationOutput, StartAuthorizationInput>(async ({ input }) => {
      const returnTo =
        input.returnTo ?? `${window.location.pathname}${window.location.search}${window.location.hash}`
      const authorizationUrl = `${baseUrl}/login?returnTo=${encodeURIComponent(returnTo)}`
      options.navigate(authorizationUrl)
      // The page is leaving; the server keeps the transaction.
      return new Promise<StartAuthorizationOutput>(() => {})
    }),
    exchangeCode: fromPromise<AuthSession, ExchangeCodeInput>(({ input }) => {
      let exchange = exchanges.get(input.callbackUrl)
      if (!exchange) {
        const params = new URL(input.callbackUrl, 'http://callback.invalid').searchParams
        exchange = call('/callback', {
          method: 'POST',
          body: JSON.stringify(Object.fromEntries(params)),
        }).then((body) => signedIn((body as { session: unknown }).session))
        exchanges.set(input.callbackUrl, exchange)
      }
      return exchange
    }),
    refreshTokens: fromPromise<AuthSession, RefreshTokensInput>(async () =>
      signedIn(await call('/refresh', { method: 'POST' })),
    ),
    endSession: fromPromise<void, EndSessionInput>(async () => {
      const answer = (await call('/logout', { method: 'POST' })) as { endSessionUrl?: string } | undefined
      // The server asks to end the session at Jiko too (idpLogout): the browser goes there.
      if (answer?.endSessionUrl) options.navigate(answer.endSessionUrl)
    }),
  }
  return { actors, call, toSession }
}

/**
 * The browser's side of `@jiko-auth/node`: pass it to `<JikoAuthProvider adapter={…}>`.
 *
 * @example
 * ```tsx
 * const adapter = serverAdapter({ baseUrl: '/auth' })
 * root.render(<JikoAuthProvider adapter={adapter}><App /></JikoAuthProvider>)
 * ```
 */
export function serverAdapter(options: ServerAdapterOptions = {}): AuthAdapter {
  const resolved: Required<ServerAdapterOptions> = {
    baseUrl: (options.baseUrl ?? '/auth').replace(/\/+$/, ''),
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    navigate: options.navigate ?? ((url) => window.location.assign(url)),
  }
  const { actors, call, toSession } = createActors(resolved)
  return {
    baseUrl: resolved.baseUrl,
    actors,
    async fetchSession(signal) {
      return toSession((await call('/session', signal ? { signal } : {})) as SessionInfo)
    },
  }
}
