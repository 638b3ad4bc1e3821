import {
  type AuthStore,
  type Clock,
  type CryptoAdapter,
  type HttpOptions,
  JIKO_SCOPES,
  type JikoClientConfig,
  type JikoClientConfigInput,
  parseConfig,
  redactingInspector,
  requireRedirectUri,
  resolveConfig,
  type StepInspectionEvent,
} from '@jiko-auth/core'
import { z } from 'zod'
import type { ApiSigningOptions } from './createApiFetch.js'
import { nodeCryptoAdapter } from './nodeCryptoAdapter.js'
import type { SessionHook } from './sessionHook.js'

/** Where the library reports what it does. Messages and fields never carry a token, code, verifier or cookie. */
export interface JikoAuthLogger {
  debug?(message: string, fields?: Record<string, unknown>): void
  info?(message: string, fields?: Record<string, unknown>): void
  warn?(message: string, fields?: Record<string, unknown>): void
  error?(message: string, fields?: Record<string, unknown>): void
}

export interface JikoAuthOptions extends JikoClientConfigInput {
  /** Where sessions and login transactions live: memoryStorage(), sqliteStorage({ path }), redisStorage({ url }). */
  storage: AuthStore
  /** At least 32 bytes: signs the cookies and encrypts the sessions at rest. Keep it out of the code. */
  secret: string
  /** Where the handler serves its routes (default `/auth`). */
  basePath?: string
  /** Refresh this many seconds before the access token expires (default 60; at most half its lifetime). */
  leewaySeconds?: number
  session?: {
    /** A session unused this long ends (default 24 h). */
    idleTimeoutSeconds?: number
    /** A session ends this long after login, used or not (default 7 days). */
    absoluteTimeoutSeconds?: number
    /** Keep the id token in the stored session (default false: its subject is kept, the token is not). */
    keepIdToken?: boolean
  }
  /** Where to go after logout when the request is a page navigation (default `/`). */
  afterLogoutPath?: string
  /**
   * Also end the user's session at Jiko (OpenID Connect RP-Initiated Logout), opt-in: `POST /logout` then answers
   * `endSessionUrl` (a page navigation is sent there), the server's `end_session_endpoint` with `client_id` and this
   * `post_logout_redirect_uri` (registered at Jiko). No `id_token_hint`: a token never travels in a URL, so Jiko
   * may ask the user to confirm.
   */
  idpLogout?: { postLogoutRedirectUri: string }
  /**
   * How long one process may hold a session's refresh lock, in milliseconds (default 15 000). A refresh is given
   * 80% of it, then cancelled with `JIKO_TIMEOUT`, so that the lock never expires under a refresh in flight: keep
   * it above the HTTP timeout (default 10 000).
   */
  refreshLockMs?: number
  logger?: JikoAuthLogger
  /**
   * Adds the app's own fields to `session.user`, at sign-in and after each refresh: return a plain JSON object
   * (at most 4 KB), e.g. `{ roles }`. Given who signed in and the tokens (server-side only). A failure at sign-in
   * fails the sign-in; at a refresh the session keeps its previous fields.
   */
  onSession?: SessionHook
  /** Sign `auth.fetch` calls to Jiko's Customer API (RFC 9421): the request-signing key, its `keyid` and `alg`. */
  apiSigning?: ApiSigningOptions
  /** The transport of `auth.fetch` (default the global fetch). */
  apiFetch?: typeof fetch
  /**
   * An XState inspector (what `createActor`'s `inspect` option takes, e.g. `createSkyInspector().inspect`): it sees
   * the server's sign-in machine, one inspected actor per request step, with tokens, codes, verifiers and id_tokens
   * replaced by "[redacted]".
   */
  inspect?: ((event: StepInspectionEvent) => void) | { next?: (event: StepInspectionEvent) => void }
  /** Shows the inspector the secrets as they are: for debugging on your own machine only. */
  inspectUnredacted?: boolean
  clock?: Clock
  crypto?: CryptoAdapter
  /** Requests to Jiko: the transport (default `fetch`; `createNodeHttpAdapter()` costs less CPU), timeout, body cap. */
  http?: Omit<HttpOptions, 'signal'>
}

const relativePath = z
  .string()
  .regex(/^\/(?![/\\])/, 'must be a path on this site starting with a single "/", e.g. "/"')

const optionsSchema = z.object({
  storage: z.custom<AuthStore>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      ['get', 'set', 'delete', 'acquireLock', 'releaseLock'].every(
        (method) => typeof (value as Record<string, unknown>)[method] === 'function',
      ),
    { message: 'storage must be an AuthStore, e.g. memoryStorage() from @jiko-auth/storage-memory' },
  ),
  secret: z
    .string({ message: 'secret is required: at least 32 random bytes, e.g. `openssl rand -base64 48`' })
    .refine((value) => new TextEncoder().encode(value).length >= 32, {
      message: 'secret must be at least 32 bytes; generate one with `openssl rand -base64 48`',
    }),
  basePath: z
    .string()
    .regex(/^\/[\w\-./]*[^/]$/, 'basePath must start with "/" and not end with "/", e.g. "/auth"')
    .default('/auth'),
  leewaySeconds: z.number().int().min(0).max(3600).default(60),
  session: z
    .object({
      idleTimeoutSeconds: z
        .number()
        .int()
        .positive()
        .default(24 * 3600),
      absoluteTimeoutSeconds: z
        .number()
        .int()
        .positive()
        .default(7 * 24 * 3600),
      keepIdToken: z.boolean().default(false),
    })
    .default({ idleTimeoutSeconds: 24 * 3600, absoluteTimeoutSeconds: 7 * 24 * 3600, keepIdToken: false }),
  afterLogoutPath: relativePath.default('/'),
  idpLogout: z
    .object({
      postLogoutRedirectUri: z.url({
        message: 'idpLogout.postLogoutRedirectUri must be an absolute URL registered at Jiko',
      }),
    })
    .optional(),
  refreshLockMs: z.number().int().min(1000).max(120_000).default(15_000),
})

export interface ResolvedOptions {
  client: JikoClientConfig
  storage: AuthStore
  secret: string
  basePath: string
  leewaySeconds: number
  idleTimeoutSeconds: number
  absoluteTimeoutSeconds: number
  keepIdToken: boolean
  afterLogoutPath: string
  idpLogout: { postLogoutRedirectUri: string } | undefined
  refreshLockMs: number
  /** The app's origin (from redirectUri): where returnTo must point and where POSTs must come from. */
  appOrigin: string
  /** Cookies are Secure with the __Host- prefix, except on http://localhost. */
  secureCookies: boolean
  logger: JikoAuthLogger
  onSession: SessionHook | undefined
  apiSigning: ApiSigningOptions | undefined
  apiFetch: typeof fetch | undefined
  /** The inspector, already wrapped in `redactingInspector` unless `inspectUnredacted`. */
  inspect: ((event: StepInspectionEvent) => void) | undefined
  clock: Clock | undefined
  crypto: CryptoAdapter
  http: Omit<HttpOptions, 'signal'> | undefined
}

/** Validates `createJikoAuth` options: one `JIKO_CONFIG_INVALID` error naming the field and the fix. */
export function resolveOptions(options: JikoAuthOptions): ResolvedOptions {
  // Each schema keeps its own keys: core's takes the client settings, ours the server ones.
  const client = resolveConfig(options)
  const data = parseConfig(optionsSchema, options, 'createJikoAuth options')
  const redirect = new URL(requireRedirectUri(client))
  const unknown = client.scopes.filter((scope) => !(JIKO_SCOPES as readonly string[]).includes(scope))
  if (unknown.length > 0) {
    options.logger?.warn?.(
      `jiko-auth: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not among Jiko's documented scopes; Jiko may refuse the sign-in (access_denied)`,
    )
  }
  return {
    client,
    storage: data.storage,
    secret: data.secret,
    basePath: data.basePath,
    leewaySeconds: data.leewaySeconds,
    idleTimeoutSeconds: data.session.idleTimeoutSeconds,
    absoluteTimeoutSeconds: data.session.absoluteTimeoutSeconds,
    keepIdToken: data.session.keepIdToken,
    afterLogoutPath: data.afterLogoutPath,
    idpLogout: data.idpLogout,
    refreshLockMs: data.refreshLockMs,
    appOrigin: redirect.origin,
    secureCookies: redirect.protocol === 'https:',
    logger: options.logger ?? {},
    onSession: options.onSession,
    apiSigning: options.apiSigning,
    apiFetch: options.apiFetch,
    inspect: inspectorOf(options),
    clock: options.clock,
    crypto: options.crypto ?? nodeCryptoAdapter,
    http: options.http,
  }
}

function inspectorOf(options: JikoAuthOptions): ((event: StepInspectionEvent) => void) | undefined {
  const { inspect } = options
  if (!inspect) return undefined
  if (!options.inspectUnredacted) return redactingInspector(inspect)
  return typeof inspect === 'function' ? inspect : (event) => inspect.next?.(event)
}
