import { ErrorCode, JikoAuthError, toJikoAuthError } from '@jiko-auth/core'
import { errorPage, jsonError, redirect, type SessionInfo } from './responses.js'

/** How a route is guarded: see `auth.protect`. */
export interface ProtectOptions {
  /** Scopes the session must have been granted (all of them); `403 JIKO_INSUFFICIENT_SCOPE` otherwise. */
  scopes?: string[]
  /**
   * `api` (default): `401` JSON without a session. `page`: a `303` to the login route with `returnTo` set to the
   * page asked for, so the user comes back to it.
   */
  mode?: 'api' | 'page'
}

/** A signed-in session that passed the guard. */
export type ProtectedSession = SessionInfo & { authenticated: true }

/**
 * The guard of a route, over the session (`getSession`): the session when it is signed in with the scopes asked
 * for, or the `Response` to answer instead — never a token in either.
 */
export async function protect(
  request: Request,
  options: ProtectOptions,
  session: (request: Request) => Promise<SessionInfo>,
  login: { path: string; appOrigin: string },
): Promise<ProtectedSession | Response> {
  const loginPath = login.path
  const page = options.mode === 'page'
  let info: SessionInfo
  try {
    info = await session(request)
  } catch (error) {
    const failure = toJikoAuthError(error)
    return page ? errorPage(failure, loginPath) : jsonError(failure)
  }
  if (!info.authenticated) {
    if (page) {
      const { pathname, search } = new URL(request.url)
      // Absolute (Next.js's proxy reads Location without a base URL), on the app's own origin: never the Host the
      // request claims.
      return redirect(`${login.appOrigin}${loginPath}?returnTo=${encodeURIComponent(`${pathname}${search}`)}`)
    }
    return jsonError(
      new JikoAuthError(ErrorCode.Unauthenticated, 'There is no signed-in session', {
        hint: 'Sign in first',
      }),
    )
  }
  const missing = (options.scopes ?? []).filter((scope) => !info.scopes.includes(scope))
  if (missing.length > 0) {
    const failure = new JikoAuthError(
      ErrorCode.InsufficientScope,
      `This needs the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
      { hint: 'Sign in again and grant it' },
    )
    return page ? errorPage(failure, loginPath) : jsonError(failure)
  }
  return info as ProtectedSession
}
