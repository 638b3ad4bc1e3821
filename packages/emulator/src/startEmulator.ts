import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK } from 'jose'
import type { KoaContextWithOIDC } from 'oidc-provider'
import { createAdapter } from './createAdapter.js'
import { DPOP_ALGORITHMS, DpopProofVerifier } from './dpopProofVerifier.js'
import {
  type DiscoveryFault,
  Faults,
  type IdTokenTamper,
  type IdTokenTamperOptions,
  type TokenFault,
} from './faults.js'
import { importApiKeys } from './importApiKeys.js'
import { errors, Provider } from './oidcProvider.js'
import { consentPage, errorPage, FAVICON_SVG, loginPage } from './pages.js'
import { createPocketsApi } from './pockets.js'
import { readBody as readBytes } from './readBody.js'
import { type ClientRegistration, toClientMetadata } from './registerClient.js'
import { ID_TOKEN_TTL_SECONDS, rewriteTokenResponse } from './rewriteTokenResponse.js'
import { type SignInOptions, signIn } from './signIn.js'
import { SigningKeys } from './signingKeys.js'
import { TtlStore } from './ttlStore.js'
import { API_SCOPES, DEFAULT_USERS, type EmulatorUser, JIKO_SCOPES } from './users.js'

export const ROUTES = {
  authorization: '/api/oauth2/authorize',
  token: '/api/oauth2/token',
  revocation: '/api/oauth2/revoke',
  jwks: '/api/oauth2/jwks',
  userinfo: '/api/oauth2/userinfo',
  end_session: '/api/oauth2/logout',
} as const

/** The discovery routes oidc-provider serves (OpenID Connect and RFC 8414). */
const DISCOVERY_PATHS = new Set([
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
])

export interface EmulatorOptions {
  /** Port to listen on; 0 (default) takes a free one. */
  port?: number
  /** Interface to listen on (default 127.0.0.1). */
  host?: string
  /** The issuer URL (default `http://127.0.0.1:{port}`). */
  issuer?: string
  clients: ClientRegistration[]
  /** Users who can sign in (default: alice, bob, carol). */
  users?: EmulatorUser[]
  /** Approve every login as this user, without pages (for tests). */
  headless?: string | false
  /** Access-token lifetime in seconds (default 900, as Jiko). */
  accessTokenTtlSeconds?: number
  /** Refresh-token lifetime in seconds (default 90 days, as Jiko). */
  refreshTokenTtlSeconds?: number
  /** Keep the emulator's grants and tokens in this JSON file across restarts. */
  persistFile?: string
  /**
   * The RSA private JWK that signs access tokens and id_tokens (default: generated). Pass it to keep tokens valid
   * across restarts.
   */
  signingKey?: JWK
  /**
   * Where DPoP proofs (RFC 9449) must carry a server nonce. `token` (default true): the token endpoint answers a
   * proof without one `400 use_dpop_nonce` with a `DPoP-Nonce` header. `api` (default false): the pockets API
   * answers `401` with `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce` header.
   */
  dpopNonces?: { token?: boolean; api?: boolean }
}

/**
 * Request counters: tests use them to prove "exactly one refresh", "discovery fetched once", "revoked on logout".
 *
 * @example
 * ```ts
 * emulator.stats.reset()
 * await app.logout()
 * expect(emulator.stats.revocations).toBe(1)
 * ```
 */
export interface EmulatorStats {
  /** Successful token responses by grant type. */
  grants: Record<string, number>
  /** Token endpoint requests received, answered or not. */
  tokenRequests: number
  /** Requests to the JWKS route (`/api/oauth2/jwks`), CORS preflights aside. */
  jwksRequests: number
  /** Requests to the discovery document, faulted or not, CORS preflights aside. */
  discoveryRequests: number
  /** Requests to the revocation route (`/api/oauth2/revoke`), answered or not, CORS preflights aside. */
  revocations: number
  /** Requests to the pockets API (`/api/pockets…`, `/api/v2/pockets/…`), answered or not. */
  apiRequests: number
  /** API requests that carried a valid RFC 9421 signature by a key of the token's client. */
  signedApiRequests: number
  /** API requests with `Authorization: DPoP` whose DPoP proof was valid. */
  dpopProofs: number
  /** API requests refused because their DPoP proof's `jti` had been seen before. */
  replayedDpopProofs: number
  /** Sets every counter back to zero. */
  reset(): void
}

export interface RunningEmulator {
  issuer: string
  /** The base URL (the same as issuer unless you set issuer yourself). */
  url: string
  tokenEndpoint: string
  /** The audience of issued access tokens (the pockets API). */
  apiAudience: string
  faults: Faults
  stats: EmulatorStats
  /** Approve logins as this user without pages, or `false` to show the pages. */
  setHeadless(user: string | false): void
  /**
   * Plays the browser through the real login and consent pages and returns the redirect back to the client.
   *
   * @example
   * ```ts
   * const callbackUrl = await emulator.signIn(authorizationUrl, { user: 'alice' })
   * ```
   */
  signIn(authorizationUrl: string, options?: SignInOptions): Promise<string>
  /** Revokes every refresh token and grant of a user, and every access token issued to them so far. */
  revokeUser(userId: string): void
  /**
   * Rotates the id_token signing key: generates a new RS256 key with a new `kid`, publishes it first in the JWKS
   * (next to the previous keys), signs every id_token issued from now on with it, and returns its `kid`. Access
   * tokens stay signed with the first key, which stays published. The new key is not persisted.
   *
   * @example
   * ```ts
   * const kid = await emulator.rotateSigningKey()
   * const { keys } = await (await fetch(`${emulator.issuer}/api/oauth2/jwks`)).json()
   * expect(keys[0].kid).toBe(kid)
   * ```
   */
  rotateSigningKey(): Promise<string>
  stop(): Promise<void>
}

class JikoInvalidClient extends errors.InvalidClientAuth {
  constructor(description: string) {
    super(description)
    this.error_description = description
  }
}

/**
 * Starts a Jiko-compatible authorization server on oidc-provider.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator({
 *   clients: [
 *     { clientId: 'demo', redirectUris: ['http://localhost:3000/auth/callback'], publicKey: pem },
 *     { clientId: 'demo-service', grantTypes: ['client_credentials'], publicKey: servicePem },
 *   ],
 *   headless: 'alice',
 * })
 * // … run your tests against emulator.issuer …
 * await emulator.stop()
 * ```
 */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const users = options.users ?? DEFAULT_USERS
  const faults = new Faults()
  const stats: EmulatorStats = {
    grants: {},
    tokenRequests: 0,
    jwksRequests: 0,
    discoveryRequests: 0,
    revocations: 0,
    apiRequests: 0,
    signedApiRequests: 0,
    dpopProofs: 0,
    replayedDpopProofs: 0,
    reset() {
      this.grants = {}
      this.tokenRequests = 0
      this.jwksRequests = 0
      this.discoveryRequests = 0
      this.revocations = 0
      this.apiRequests = 0
      this.signedApiRequests = 0
      this.dpopProofs = 0
      this.replayedDpopProofs = 0
    },
  }
  const revokedBefore = new Map<string, number>()
  /** The emulator's time in epoch seconds: the host's clock, off by `faults.skewClock()`. */
  const now = () => Math.floor(Date.now() / 1000) + faults.clockSkewSeconds
  const apiKeys = new Map(
    options.clients.filter((c) => c.apiPublicKey).map((c) => [c.clientId, importApiKeys(c)] as const),
  )
  let headless = options.headless ?? false
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end()

  const server = createServer((req, res) => handler(req, res))
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`
  const issuer = (options.issuer ?? url).replace(/\/+$/, '')
  const tokenEndpoint = `${issuer}${ROUTES.token}`
  const apiAudience = `${issuer}/api`
  const accessTokenTtl = options.accessTokenTtlSeconds ?? 900
  const refreshTokenTtl = options.refreshTokenTtlSeconds ?? 90 * 24 * 3600

  const keys = await SigningKeys.create(options.signingKey)
  const store = new TtlStore(options.persistFile ? { file: options.persistFile } : {})
  const provider = new Provider(issuer, {
    adapter: createAdapter(store),
    clients: await Promise.all(options.clients.map(toClientMetadata)),
    jwks: { keys: [keys.providerJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: ROUTES,
    scopes: JIKO_SCOPES,
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email', 'email_verified'],
      phone: ['phone_number'],
    },
    findAccount: (_ctx, id) => {
      const user = users.find((u) => u.id === id)
      if (!user) return undefined
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          name: user.name,
          email: user.email,
          email_verified: true,
          ...(user.phone ? { phone_number: user.phone } : {}),
        }),
      }
    },
    pkce: { required: () => true },
    clientAuthMethods: ['private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['PS256', 'EdDSA'],
      dPoPSigningAlgValues: [...DPOP_ALGORITHMS],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // A token request with a DPoP proof gets a DPoP-bound access token (cnf.jkt); nonces are HMACs of the time.
      dPoP: {
        enabled: true,
        nonceSecret: randomBytes(32),
        requireNonce: () => options.dpopNonces?.token ?? true,
      },
      // A client may revoke only its own tokens.
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => apiAudience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: API_SCOPES.join(' '),
          audience: apiAudience,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: ID_TOKEN_TTL_SECONDS,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: refreshTokenTtl,
      RefreshToken: refreshTokenTtl,
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError(ctx, out) {
      ctx.type = 'html'
      ctx.body = errorPage({ error: String(out.error), description: out.error_description })
    },
    async assertJwtClientAuthClaimsAndHeader(_ctx, claims) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if (aud.length !== 1 || aud[0] !== tokenEndpoint) {
        throw new JikoInvalidClient(`client_assertion aud must be the token endpoint URL ${tokenEndpoint}`)
      }
      if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') {
        throw new JikoInvalidClient('client_assertion must carry iat and exp')
      }
      if (claims.exp - claims.iat > 300) {
        throw new JikoInvalidClient('client_assertion lifetime (exp - iat) must be at most 300 seconds')
      }
    },
    formats: {
      customizers: {
        jwt(_ctx, _token, jwt) {
          if (faults.clockSkewSeconds !== 0) {
            for (const claim of ['iat', 'exp', 'nbf'] as const) {
              const value = jwt.payload[claim]
              if (typeof value === 'number') jwt.payload[claim] = value + faults.clockSkewSeconds
            }
          }
        },
      },
    },
  })
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const type = String(ctx.oidc.params?.grant_type ?? 'unknown')
    stats.grants[type] = (stats.grants[type] ?? 0) + 1
  })
  // Post-processing of oidc-provider's answers: id_token re-signing and tampering, our JWKS, discovery faults.
  provider.use(async (ctx, next) => {
    await next()
    const route = (ctx as Partial<KoaContextWithOIDC>).oidc?.route
    const body = ctx.body as Record<string, unknown> | undefined
    if (route === 'token' && ctx.status === 200 && body && typeof body.access_token === 'string') {
      const { oidc } = ctx as KoaContextWithOIDC
      await rewriteTokenResponse(body, {
        issuer,
        clientId: String(oidc.client?.clientId),
        grantType: String(oidc.params?.grant_type),
        faults,
        keys,
      })
    } else if (route === 'jwks' && ctx.status === 200) {
      ctx.body = keys.jwks()
    } else if (route === 'discovery' && body && faults.discoveryFault?.type === 'issuer') {
      ctx.body = { ...body, issuer: faults.discoveryFault.issuer }
    }
  })

  // Access tokens are always signed with oidc-provider's own key (the first one).
  const pockets = createPocketsApi({
    issuer,
    audience: apiAudience,
    jwks: keys.jwks(),
    revokedBefore,
    apiKeys,
    now,
    dpop: new DpopProofVerifier({ requireNonce: options.dpopNonces?.api ?? false }),
    stats,
  })
  const providerHandler = provider.callback()

  async function finish(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>) {
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
  }

  async function grantEverythingAsked(uid: string, req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res)
    const accountId = details.session?.accountId
    const clientId = String(details.params.client_id)
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId })
    if (!grant) throw new Error(`interaction ${uid}: grant not found`)
    const missing = details.prompt.details as {
      missingOIDCScope?: string[]
      missingOIDCClaims?: string[]
      missingResourceScopes?: Record<string, string[]>
    }
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '))
    }
    await finish(req, res, { consent: { grantId: await grant.save() } })
  }

  async function handleInteraction(req: IncomingMessage, res: ServerResponse, path: string) {
    const [, , uid = '', step] = path.split('/')
    const details = await provider.interactionDetails(req, res)
    if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch')
    const clientId = String(details.params.client_id)
    if (req.method === 'GET') {
      if (details.prompt.name === 'login') {
        if (headless) return finish(req, res, { login: { accountId: headless } })
        return sendHtml(
          res,
          loginPage({ action: `/interaction/${uid}/login`, clientId, users: users.map((u) => u.id) }),
        )
      }
      if (headless) return grantEverythingAsked(uid, req, res)
      const user = details.session?.accountId ?? ''
      // "Not you?": the sign-in page again; signing in as another user ends this user's session (oidc-provider).
      if (step === 'switch') {
        const action = `/interaction/${uid}/login`
        return sendHtml(
          res,
          loginPage({ action, clientId, users: users.map((u) => u.id), switchingFrom: user }),
        )
      }
      const scopes = String(details.params.scope ?? '')
        .split(' ')
        .filter(Boolean)
      const consent = { action: `/interaction/${uid}/consent`, switchUser: `/interaction/${uid}/switch` }
      return sendHtml(res, consentPage({ ...consent, clientId, scopes, user }))
    }
    const form = new URLSearchParams(await readBody(req))
    if (step === 'login') {
      const user = users.find((u) => u.id === form.get('username') && u.password === form.get('password'))
      if (!user) {
        const page = loginPage({
          action: `/interaction/${uid}/login`,
          clientId,
          users: users.map((u) => u.id),
          error: 'Unknown user or wrong password.',
        })
        return sendHtml(res, page, 401)
      }
      return finish(req, res, { login: { accountId: user.id } })
    }
    if (form.get('decision') === 'approve') return grantEverythingAsked(uid, req, res)
    return finish(req, res, { error: 'access_denied', error_description: 'The user denied access' })
  }

  /** Applies the faults to a token request; true when the fault answered it. */
  async function injectTokenFault(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    stats.tokenRequests += 1
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs))
    let grantType: string | undefined
    if (faults.needsGrantType) {
      const body = await readBody(req)
      grantType = new URLSearchParams(body).get('grant_type') ?? undefined
      ;(req as IncomingMessage & { body?: string }).body = body
    }
    const fault = faults.take(grantType)
    if (!fault) return false
    switch (fault.type) {
      case 'dropConnection':
        req.socket.destroy()
        return true
      case 'malformedJson':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"eyJhbGciOi')
        return true
      case 'invalidGrantOnRefresh':
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            error: 'invalid_grant',
            error_description: 'grant request is invalid (injected)',
          }),
        )
        return true
      case 'respond':
        res.writeHead(fault.status, { 'content-type': fault.contentType }).end(fault.body)
        return true
      case 'status': {
        const headers: Record<string, string> = { 'content-type': 'text/html' }
        if (fault.status === 429) headers['retry-after'] = String(fault.retryAfterSeconds)
        res.writeHead(fault.status, headers).end(`<html><body><h1>${fault.status}</h1></body></html>`)
        return true
      }
    }
  }

  /** Answers discovery with the configured fault; true when the fault answered it. */
  function injectDiscoveryFault(req: IncomingMessage, res: ServerResponse): boolean {
    const fault = faults.discoveryFault
    if (fault?.type === 'drop') {
      req.socket.destroy()
      return true
    }
    if (fault?.type === 'status') {
      const html = `<html><body><h1>${fault.status}</h1></body></html>`
      res.writeHead(fault.status, { 'content-type': 'text/html; charset=utf-8' }).end(html)
      return true
    }
    return false
  }

  /**
   * An id_token_hint signed with a rotated key is handed to oidc-provider re-signed with the key it knows (GET only:
   * oidc-provider serves end_session by GET unless `enableHttpPostMethods`).
   */
  async function translateIdTokenHint(req: IncomingMessage) {
    const url = new URL(req.url ?? '/', issuer)
    const hint = url.searchParams.get('id_token_hint')
    if (!hint) return
    url.searchParams.set('id_token_hint', await keys.toProviderSigned(hint))
    req.url = `${url.pathname}${url.search}`
  }

  function addFault(fault: AdminFault): void {
    if (fault.type === 'delay') faults.delay(fault.ms)
    else if (fault.type === 'skew') faults.skewClock(fault.seconds)
    else if (fault.type === 'revokeUser') handle.revokeUser(fault.user)
    else if (fault.type === 'tamperIdToken') faults.tamperIdToken(fault.kind, fault)
    else if (fault.type === 'discovery') faults.discovery(fault.fault ?? undefined)
    else faults.add(fault)
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string) {
    if (path === '/__emulator/stats' && req.method === 'GET') {
      const { reset: _reset, ...counters } = stats
      return sendJson(res, 200, counters)
    }
    if (path === '/__emulator/faults' && req.method === 'DELETE') {
      faults.reset()
      return sendJson(res, 200, { ok: true })
    }
    if (path === '/__emulator/faults' && req.method === 'POST') {
      try {
        addFault(JSON.parse(await readBody(req)) as AdminFault)
      } catch (error) {
        const description = error instanceof Error ? error.message : String(error)
        return sendJson(res, 400, { error: 'invalid_request', error_description: description })
      }
      return sendJson(res, 200, { ok: true })
    }
    return sendJson(res, 404, { error: 'not_found' })
  }

  handler = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const run = async () => {
      if (path === '/favicon.ico' || path === '/favicon.svg') return sendFavicon(res)
      if (path.startsWith('/interaction/')) return handleInteraction(req, res, path)
      if (
        path === '/api/pockets' ||
        path.startsWith('/api/pockets/') ||
        path.startsWith('/api/v2/pockets/')
      ) {
        return pockets(req, res, path)
      }
      if (path.startsWith('/__emulator/')) return handleAdmin(req, res, path)
      if (path === ROUTES.token && (await injectTokenFault(req, res))) return
      const counted = req.method !== 'OPTIONS'
      if (path === ROUTES.jwks && counted) stats.jwksRequests += 1
      if (path === ROUTES.revocation && counted) stats.revocations += 1
      if (DISCOVERY_PATHS.has(path) && counted) {
        stats.discoveryRequests += 1
        if (injectDiscoveryFault(req, res)) return
      }
      if (path === ROUTES.end_session && keys.rotated) await translateIdTokenHint(req)
      return providerHandler(req, res)
    }
    run().catch((error: unknown) => {
      if (res.headersSent) return res.end()
      const status = error instanceof errors.OIDCProviderError ? error.statusCode : 500
      sendHtml(
        res,
        `<h1>Error</h1><p>${status === 500 ? 'The emulator failed.' : 'This sign-in has expired; start again.'}</p>`,
        status,
      )
    })
  }

  const handle: RunningEmulator = {
    issuer,
    url,
    tokenEndpoint,
    apiAudience,
    faults,
    stats,
    setHeadless(user) {
      headless = user
    },
    signIn: (authorizationUrl, signInOptions) => signIn(issuer, authorizationUrl, signInOptions),
    rotateSigningKey: () => keys.rotate(),
    revokeUser(userId) {
      revokedBefore.set(userId, now())
      for (const prefix of ['RefreshToken:', 'Grant:', 'Session:', 'AuthorizationCode:']) {
        for (const [key, value] of [...store.entries(prefix)]) {
          if ((value as { accountId?: string }).accountId === userId) store.delete(key)
        }
      }
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
  return handle
}

/** What `POST /__emulator/faults` accepts. */
type AdminFault =
  | TokenFault
  | { type: 'delay'; ms: number }
  | { type: 'skew'; seconds: number }
  | { type: 'revokeUser'; user: string }
  | ({ type: 'tamperIdToken'; kind: IdTokenTamper } & IdTokenTamperOptions)
  | { type: 'discovery'; fault: DiscoveryFault | null }

function sendHtml(res: ServerResponse, html: string, status = 200) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html)
}

function sendFavicon(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=86400' }).end(FAVICON_SVG)
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req, 64 * 1024)).toString('utf8')
}
