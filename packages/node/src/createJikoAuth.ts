import {
  createMetadataCache,
  createTokenClient,
  ErrorCode,
  isIdTokenRejection,
  JikoAuthError,
  toJikoAuthError,
} from '@jiko-auth/core'
import { BoundedMap } from './boundedMap.js'
import {
  type CookieJar,
  clearCookie,
  readCookie,
  readSigned,
  readSignedCookie,
  sessionCookieName,
  setSigned,
  transactionCookieName,
} from './cookies.js'
import { type Access, createApiFetch } from './createApiFetch.js'
import { createFlowRunner } from './createFlowRunner.js'
import { createSessionManager } from './createSessionManager.js'
import { type JikoAuthOptions, resolveOptions } from './options.js'
import { type ProtectedSession, type ProtectOptions, protect } from './protect.js'
import { readLimitedBody } from './readLimitedBody.js'
import {
  errorPage,
  failureFields,
  json,
  jsonError,
  NO_SESSION,
  redirect,
  type SessionInfo,
} from './responses.js'
import { safeReturnTo } from './safeReturnTo.js'
import { deriveKey } from './sealRecord.js'
import { runSessionHook } from './sessionHook.js'
import {
  newSessionId,
  type SessionRecord,
  SessionStore,
  sessionOf,
  TRANSACTION_TTL_SECONDS,
} from './sessionStore.js'

const VERIFIED_COOKIE_CACHE_SIZE = 1000

export interface JikoAuth {
  /** Where the routes are served, e.g. `/auth`. */
  readonly basePath: string
  /** Serves `{basePath}/login`, `/callback` (GET and POST), `/session`, `/refresh`, `/logout`; 404 elsewhere. */
  handler(request: Request): Promise<Response>
  /**
   * The user's access token, valid for at least the leeway: refreshed first when due, once across every caller and
   * process. Throws `JIKO_UNAUTHENTICATED` without a session and `JIKO_SESSION_EXPIRED` when it has ended.
   */
  getAccessToken(request: Request): Promise<string>
  /** What the browser may know of the session (never a token); `authenticated: false` without one. */
  getSession(request: Request): Promise<SessionInfo>
  /**
   * The signed-in user's call to Jiko's API: the access token as `Authorization: Bearer`, an RFC 9421 signature
   * when `apiSigning` is set, and on `401 invalid_token` one refresh (shared with every concurrent caller) and one
   * retry. Nothing else is retried. Throws `JIKO_UNAUTHENTICATED` without a session.
   *
   * @example
   * ```ts
   * const response = await auth.fetch(request, 'https://api.jiko.io/v2/pockets')
   * ```
   */
  fetch(request: Request, input: string | URL | Request, init?: RequestInit): Promise<Response>
  /**
   * Guards a route: the signed-in session (with the `scopes` asked for), or the `Response` to answer instead —
   * `401` JSON (`mode: 'api'`, the default), or for `mode: 'page'` a `303` to the login route that comes back here;
   * `403 JIKO_INSUFFICIENT_SCOPE` without a scope.
   *
   * @example
   * ```ts
   * const session = await auth.protect(request, { scopes: ['pockets.read'] })
   * if (session instanceof Response) return session
   * ```
   */
  protect(request: Request, options?: ProtectOptions): Promise<ProtectedSession | Response>
}

type CallbackOutcome =
  | { ok: true; record: SessionRecord; returnTo: string; cookies: string[] }
  | { ok: false; error: JikoAuthError; cookies: string[] }

/**
 * The server side of Jiko sign-in (backend for frontend): the browser holds only a signed, HttpOnly session-id
 * cookie; tokens stay in the encrypted server-side session.
 *
 * @example
 * ```ts
 * const auth = createJikoAuth({
 *   issuer: 'https://auth.jiko.io', clientId: 'my-app', redirectUri: 'https://app.example/auth/callback',
 *   scopes: ['pockets.read'], privateKey: process.env.JIKO_PRIVATE_KEY_PEM!,
 *   storage: memoryStorage(), secret: process.env.JIKO_AUTH_SECRET!,
 * })
 * app.all('/auth/*', (c) => auth.handler(c.req.raw))          // Hono
 * const token = await auth.getAccessToken(request)             // then call Jiko's APIs
 * ```
 */
export function createJikoAuth(input: JikoAuthOptions): JikoAuth {
  try {
    return buildJikoAuth(input)
  } catch (error) {
    if (!isMissingSetting(error, input)) throw error
    // A setting that only exists at run time (a secret from the environment, absent during `next build`): the
    // same error is thrown on first use instead, unless the setting is there by then.
    return deferred(input)
  }
}

/** A configuration error about a setting that is absent (undefined), rather than wrong. */
function isMissingSetting(error: unknown, input: JikoAuthOptions): boolean {
  if (!(error instanceof JikoAuthError) || error.code !== ErrorCode.ConfigInvalid || !error.field)
    return false
  let value: unknown = input
  for (const key of error.field.split('.')) value = (value as Record<string, unknown> | undefined)?.[key]
  return value === undefined
}

/** A JikoAuth built on first use: each call builds it (or throws the configuration error) until it can be. */
function deferred(input: JikoAuthOptions): JikoAuth {
  let built: JikoAuth | undefined
  const auth = () => {
    built ??= buildJikoAuth(input)
    return built
  }
  return {
    basePath: input.basePath ?? '/auth',
    async handler(request) {
      try {
        return await auth().handler(request)
      } catch (error) {
        const failure = toJikoAuthError(error)
        input.logger?.error?.('jiko-auth: not configured', failureFields(failure))
        return jsonError(failure)
      }
    },
    getAccessToken: async (request) => auth().getAccessToken(request),
    getSession: async (request) => auth().getSession(request),
    fetch: async (request, target, init) => auth().fetch(request, target, init),
    protect: async (request, guard) => auth().protect(request, guard),
  }
}

function buildJikoAuth(input: JikoAuthOptions): JikoAuth {
  const options = resolveOptions(input)
  const { basePath, logger } = options
  const jar: CookieJar = {
    secure: options.secureCookies,
    signingKey: deriveKey(options.secret, 'cookie-signing'),
  }
  const sessions = new SessionStore(options.storage, deriveKey(options.secret, 'session-encryption'))
  const clock = options.clock ? { clock: options.clock } : {}
  const http = options.http ? { http: options.http } : {}
  // One metadata cache (discovery, once per process) and one token client for the flow and for revocation: the
  // signing key is imported once.
  const metadata = createMetadataCache(options.client, { ...clock, ...http })
  const tokens = createTokenClient(options.client, { ...clock, crypto: options.crypto, metadata, ...http })
  const flows = createFlowRunner(options, { tokenClient: tokens, metadata })
  /** Revokes a session's refresh token, best effort: a failed revocation never keeps a session alive. */
  async function revokeRefreshToken(record: SessionRecord | undefined) {
    const refreshToken = sessionOf(record)?.tokens?.refreshToken
    if (!refreshToken) return
    await tokens.revoke(refreshToken, { hint: 'refresh_token' }).catch((error: unknown) => {
      logger.warn?.('jiko-auth: revocation failed; the session ends anyway', failureFields(error))
    })
  }
  const manager = createSessionManager(options, sessions, flows, revokeRefreshToken)
  const sessionCookie = sessionCookieName(jar)
  const loginPath = `${basePath}/login`

  /**
   * Storage keys by session cookie value, for cookies that verified: a burst of requests with one cookie checks
   * its signature and hashes its id once. Only verified values are kept, so a forged cookie never hits.
   */
  const verifiedCookies = new BoundedMap<string, string>(VERIFIED_COOKIE_CACHE_SIZE)
  const isOurs = (raw: string) => verifiedCookies.has(raw) || readSigned(jar, raw) !== undefined

  /** The request's session cookie that verifies (of several with our name, the one we signed) and its storage key. */
  function sessionCookieOf(request: Request): { raw: string; key: string } | undefined {
    const raw = readCookie(request, sessionCookie, isOurs)
    if (!raw) return undefined
    let key = verifiedCookies.get(raw)
    if (key === undefined) {
      key = sessions.sessionKey(readSigned(jar, raw) as string)
      verifiedCookies.set(raw, key)
    }
    return { raw, key }
  }
  const sessionKeyOf = (request: Request) => sessionCookieOf(request)?.key

  /**
   * Ends the request's session under its lock, forgets its cookie value and revokes its newest refresh token. A
   * store failure is answered, not thrown: the session is then refused by this process at once and deleted on its
   * next access, and its refresh token is revoked all the same, so no process can refresh it.
   */
  async function endSession(request: Request): Promise<JikoAuthError | undefined> {
    const cookie = sessionCookieOf(request)
    if (!cookie) return undefined
    verifiedCookies.delete(cookie.raw)
    const { last, failure } = await manager.end(cookie.key)
    await revokeRefreshToken(last)
    return failure
  }

  function infoOf(record: SessionRecord | undefined): SessionInfo {
    const session = sessionOf(record)
    if (!session) return NO_SESSION
    return {
      state: 'authenticated',
      authenticated: true,
      scopes: session.scope ? session.scope.split(' ') : [],
      expiresAt: session.expiresAt,
      ...(session.user ? { user: { ...session.user, ...record?.extra, sub: session.user.sub } } : {}),
      ...(session.user ? { subject: session.user.sub } : {}),
    }
  }

  /** CSRF defence for state-changing requests: a browser's Origin (or Sec-Fetch-Site) must be this app's. */
  function assertSameOrigin(request: Request) {
    const origin = request.headers.get('origin')
    const site = request.headers.get('sec-fetch-site')
    const foreign = origin !== null ? origin !== options.appOrigin : site !== null && site !== 'same-origin'
    if (foreign) {
      throw new JikoAuthError(ErrorCode.ForbiddenOrigin, 'This request came from another site', {
        hint: 'State-changing auth requests are accepted from this application’s own pages only',
      })
    }
  }

  async function login(request: Request): Promise<Response> {
    const returnTo = safeReturnTo(new URL(request.url).searchParams.get('returnTo'), options.appOrigin)
    const { authorizationUrl, state, flow } = await flows.startLogin(returnTo)
    await sessions.saveTransaction(state, { v: 1, flow })
    logger.debug?.('jiko-auth: login started')
    return redirect(authorizationUrl, [
      setSigned(jar, transactionCookieName(jar, state), state, TRANSACTION_TTL_SECONDS),
    ])
  }

  /**
   * Finishes a login from the callback's parameters; the new session id is rotated in whatever the browser had.
   * Either way, the login's binding cookie is cleared.
   */
  async function completeCallback(request: Request, params: URLSearchParams): Promise<CallbackOutcome> {
    const states = params.getAll('state')
    const state = states.length === 1 ? (states[0] as string) : undefined
    const cleared = state ? [clearCookie(jar, transactionCookieName(jar, state))] : []
    try {
      if (!state) {
        throw new JikoAuthError(ErrorCode.CallbackInvalid, 'The callback has no single state parameter', {
          hint: 'Start the login again',
        })
      }
      const bound = readSignedCookie(jar, request, transactionCookieName(jar, state))
      if (bound !== state) {
        throw new JikoAuthError(
          ErrorCode.StateMismatch,
          'This callback does not belong to a login started in this browser',
          {
            hint: 'Start the login again from this browser',
          },
        )
      }
      const transaction = await sessions.takeTransaction(state)
      if (!transaction) {
        throw new JikoAuthError(
          ErrorCode.TransactionExpired,
          'This login has expired or was already completed',
          {
            hint: 'Start the login again',
          },
        )
      }
      const flow = await flows.completeLogin(transaction.flow, `?${params}`)
      const extra = options.onSession ? await runSessionHook(options.onSession, flow, 'signIn') : undefined
      // The code is spent already: a store failure here must not cost the user the new session.
      const notEnded = await endSession(request)
      if (notEnded) logger.warn?.('jiko-auth: could not end the previous session', failureFields(notEnded))
      const sessionId = newSessionId()
      const record = await manager.create(sessions.sessionKey(sessionId), flow, extra)
      logger.info?.('jiko-auth: login completed', { subject: infoOf(record).subject })
      const cookies = [...cleared, setSigned(jar, sessionCookie, sessionId, options.absoluteTimeoutSeconds)]
      return { ok: true, record, returnTo: transaction.flow.context.returnTo ?? '/', cookies }
    } catch (error) {
      const failure = toJikoAuthError(error)
      logger.warn?.('jiko-auth: callback refused', failureFields(failure))
      return { ok: false, error: failure, cookies: cleared }
    }
  }

  async function callbackPage(request: Request): Promise<Response> {
    const outcome = await completeCallback(request, new URL(request.url).searchParams)
    return outcome.ok
      ? redirect(outcome.returnTo, outcome.cookies)
      : errorPage(outcome.error, loginPath, outcome.cookies)
  }

  async function callbackJson(request: Request): Promise<Response> {
    try {
      assertSameOrigin(request)
      const outcome = await completeCallback(request, await readJson(request))
      return outcome.ok
        ? json({ session: infoOf(outcome.record), returnTo: outcome.returnTo }, 200, outcome.cookies)
        : jsonError(outcome.error, outcome.cookies)
    } catch (error) {
      const failure = toJikoAuthError(error)
      logger.warn?.('jiko-auth: callback refused', failureFields(failure))
      return jsonError(failure)
    }
  }

  async function refresh(request: Request): Promise<Response> {
    assertSameOrigin(request)
    const key = sessionKeyOf(request)
    if (!key) throw unauthenticated()
    try {
      const record = await manager.fresh(key, { force: true })
      if (!record) throw unauthenticated()
      return json(infoOf(record))
    } catch (error) {
      const failure = toJikoAuthError(error)
      logger.warn?.('jiko-auth: refresh failed', failureFields(failure))
      const ended = failure.code === ErrorCode.SessionExpired || isIdTokenRejection(failure)
      const cookies = ended ? [clearCookie(jar, sessionCookie)] : []
      return jsonError(failure, cookies)
    }
  }

  async function logout(request: Request): Promise<Response> {
    assertSameOrigin(request)
    const cookies = [clearCookie(jar, sessionCookie)]
    const failure = await endSession(request)
    if (failure) {
      // The browser forgets the session, this process refuses it and Jiko has revoked its refresh token; the store
      // still holds it until its next access.
      logger.error?.('jiko-auth: logout could not delete the stored session', failureFields(failure))
      return jsonError(failure, cookies)
    }
    logger.info?.('jiko-auth: logged out')
    const navigation = request.headers.get('sec-fetch-mode') === 'navigate'
    const endSessionUrl = await idpLogoutUrl()
    if (navigation) return redirect(endSessionUrl ?? options.afterLogoutPath, cookies)
    return json(endSessionUrl ? { ...NO_SESSION, endSessionUrl } : NO_SESSION, 200, cookies)
  }

  /** Where to end the session at Jiko too (RP-Initiated Logout), when `idpLogout` asks for it. */
  async function idpLogoutUrl(): Promise<string | undefined> {
    if (!options.idpLogout) return undefined
    try {
      const url = new URL((await metadata.resolve()).endSessionEndpoint)
      url.searchParams.set('client_id', options.client.clientId)
      url.searchParams.set('post_logout_redirect_uri', options.idpLogout.postLogoutRedirectUri)
      return url.href
    } catch (error) {
      logger.warn?.('jiko-auth: no end-session URL; signed out of this app only', failureFields(error))
      return undefined
    }
  }

  async function route(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url)
    const action = pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length + 1) : undefined
    const method = request.method.toUpperCase()
    switch (`${method} ${action}`) {
      case 'GET login':
        return login(request)
      case 'GET callback':
        return callbackPage(request)
      case 'POST callback':
        return callbackJson(request)
      case 'GET session':
        return json(await getSession(request))
      case 'POST refresh':
        return refresh(request)
      case 'POST logout':
        return logout(request)
    }
    const known = ['login', 'callback', 'session', 'refresh', 'logout'].includes(action ?? '')
    return known
      ? json({ error: { code: 'JIKO_METHOD_NOT_ALLOWED', message: `${method} is not allowed here` } }, 405)
      : json({ error: { code: 'JIKO_NOT_FOUND', message: 'No such auth route' } }, 404)
  }

  /** The session's access token (and DPoP key, for a bound token), or `JIKO_UNAUTHENTICATED`. */
  function accessOf(key: string, record: SessionRecord | undefined): Access {
    const session = sessionOf(record)
    const token = session?.tokens?.accessToken
    if (!token) throw unauthenticated()
    return { key, token, ...(session?.dpopKey ? { dpop: session.dpopKey } : {}) }
  }

  /** The request's session key and an access token valid for at least the leeway. */
  async function access(request: Request): Promise<Access> {
    const key = sessionKeyOf(request)
    if (!key) throw unauthenticated()
    return accessOf(key, await manager.fresh(key))
  }

  const apiFetch = createApiFetch<Request>({
    access,
    replace: async (key, stale) => accessOf(key, await manager.replace(key, stale)),
    signing: options.apiSigning,
    ...(options.apiFetch ? { fetch: options.apiFetch } : {}),
  })

  async function getSession(request: Request): Promise<SessionInfo> {
    const key = sessionKeyOf(request)
    return key ? infoOf(await manager.load(key)) : NO_SESSION
  }

  return {
    basePath,

    async handler(request) {
      try {
        return await route(request)
      } catch (error) {
        const failure = toJikoAuthError(error)
        logger.error?.('jiko-auth: request failed', failureFields(failure))
        return jsonError(failure)
      }
    },

    async getAccessToken(request) {
      return (await access(request)).token
    },

    getSession,

    fetch: apiFetch,

    protect: (request, guard = {}) =>
      protect(request, guard, getSession, { path: loginPath, appOrigin: options.appOrigin }),
  }
}

function unauthenticated() {
  return new JikoAuthError(ErrorCode.Unauthenticated, 'There is no signed-in session', {
    hint: `Sign in first`,
  })
}

/** The SPA callback body: a JSON object of string parameters (code, state, iss, error, …), at most 16 KB. */
async function readJson(request: Request): Promise<URLSearchParams> {
  const text = await readLimitedBody(request)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new JikoAuthError(ErrorCode.CallbackInvalid, 'The callback body must be a JSON object', {
      hint: 'POST the callback parameters as JSON: { "code": "…", "state": "…" }',
    })
  }
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') {
      throw new JikoAuthError(
        ErrorCode.CallbackInvalid,
        `The callback parameter "${name}" must be a string`,
        {
          hint: 'POST the callback parameters as JSON strings',
        },
      )
    }
    params.append(name, value)
  }
  return params
}
