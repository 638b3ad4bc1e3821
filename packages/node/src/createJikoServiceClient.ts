import { createHash } from 'node:crypto'
import {
  type AuthStore,
  type Clock,
  type CryptoAdapter,
  createMetadataCache,
  createTokenClient,
  type DpopKey,
  generateDpopKey,
  type HttpOptions,
  isSessionFresh,
  type JikoClientConfigInput,
  parseConfig,
  resolveConfig,
  systemClock,
  type TokenSet,
} from '@jiko-auth/core'
import { z } from 'zod'
import { type ApiSigningOptions, createApiFetch } from './createApiFetch.js'
import { createStoreLock } from './createStoreLock.js'
import { nodeCryptoAdapter } from './nodeCryptoAdapter.js'
import type { JikoAuthLogger } from './options.js'
import { deriveKey, importSealingKey, openRecord, sealRecord } from './sealRecord.js'
import { callStore } from './sessionStore.js'

export interface JikoServiceClientOptions extends Omit<JikoClientConfigInput, 'redirectUri'> {
  /**
   * Share the token across processes (any AuthStore: the same as your sessions'): one token request for all of
   * them, under the store's lock. Needs `secret`: the token is encrypted at rest.
   */
  storage?: AuthStore
  /** At least 32 bytes; required with `storage`. */
  secret?: string
  /** Ask for a new token this many seconds before the current one expires (default 60; at most half its lifetime). */
  leewaySeconds?: number
  /** How long one process may hold the token lock, in milliseconds (default 15 000). */
  lockMs?: number
  /** Sign `fetch` calls (RFC 9421), as `createJikoAuth`'s `apiSigning`. */
  apiSigning?: ApiSigningOptions
  /** The transport of `fetch` (default the global fetch). */
  apiFetch?: typeof fetch
  logger?: JikoAuthLogger
  clock?: Clock
  crypto?: CryptoAdapter
  http?: Omit<HttpOptions, 'signal'>
}

/** A server-to-server client of Jiko's API (the client-credentials grant). */
export interface JikoServiceClient {
  /**
   * The service's access token: cached until the leeway, then asked for again — once per process, and once across
   * processes sharing `storage`. No refresh token is ever kept.
   */
  getToken(): Promise<string>
  /** A call to Jiko's API with the service's token (signed with `apiSigning`; one new token and retry on 401). */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
}

/** A service token as it is cached and stored: the tokens, and the DPoP key they are bound to. */
interface ServiceToken {
  tokens: TokenSet
  dpopKey?: DpopKey
}

const serviceSchema = z
  .object({
    storage: z.unknown().optional(),
    secret: z.string().optional(),
    leewaySeconds: z.number().int().min(0).max(3600).default(60),
    lockMs: z.number().int().min(1000).max(120_000).default(15_000),
  })
  .refine(
    (options) =>
      !options.storage || (options.secret && new TextEncoder().encode(options.secret).length >= 32),
    {
      path: ['secret'],
      message: 'secret is required with storage: at least 32 random bytes, e.g. `openssl rand -base64 48`',
    },
  )

/**
 * The client-credentials flow (RFC 6749 §4.4) with Jiko's `private_key_jwt`: a token for your service itself, for
 * server-to-server work. Tokens are cached until the leeway, asked for once in the process, and — with `storage` —
 * once across processes (the same store lock as user sessions).
 *
 * @example
 * ```ts
 * const service = createJikoServiceClient({
 *   issuer: 'https://auth.jiko.io', clientId: 'my-service', scopes: ['transfers.write'],
 *   privateKey: process.env.JIKO_PRIVATE_KEY_PEM!,
 *   storage: redisStorage({ url: process.env.REDIS_URL! }), secret: process.env.JIKO_AUTH_SECRET!,
 * })
 * const response = await service.fetch('https://api.jiko.io/v2/pockets')
 * ```
 */
export function createJikoServiceClient(input: JikoServiceClientOptions): JikoServiceClient {
  const config = resolveConfig(input)
  const { leewaySeconds, lockMs } = parseConfig(serviceSchema, input, 'createJikoServiceClient options')
  const clock = input.clock ?? systemClock
  const logger = input.logger ?? {}
  const http = input.http ? { http: input.http } : {}
  const metadata = createMetadataCache(config, { clock, ...http })
  const tokens = createTokenClient(config, {
    clock,
    crypto: input.crypto ?? nodeCryptoAdapter,
    metadata,
    ...http,
  })
  const leewayMs = leewaySeconds * 1000
  const shared = input.storage && input.secret ? sharedTokens(input.storage, input.secret) : undefined

  let current: ServiceToken | undefined
  let inFlight: Promise<ServiceToken> | undefined

  const usable = (token: ServiceToken | undefined, stale?: string): token is ServiceToken =>
    token !== undefined &&
    token.tokens.accessToken !== stale &&
    isSessionFresh(token.tokens, leewayMs, clock.now())

  async function request(): Promise<ServiceToken> {
    // With DPoP, each token is bound to a key of its own, kept (and shared) with it.
    const dpopKey = config.dpop ? await generateDpopKey() : undefined
    const issued = await tokens.clientCredentials(dpopKey ? { dpop: dpopKey } : {})
    logger.info?.('jiko-auth: service token issued')
    return dpopKey ? { tokens: issued, dpopKey } : { tokens: issued }
  }

  /** A usable token other than `stale`: the process's, the store's, or a new one (under the store's lock). */
  async function obtain(stale?: string): Promise<ServiceToken> {
    if (!shared) return request()
    const stored = await shared.read()
    if (usable(stored, stale)) return stored
    return shared.lock.hold(
      shared.lockKey,
      async () => {
        // A read of its own: another process may have stored a token while this one waited for the lock.
        const again = await shared.read()
        if (usable(again, stale)) return again
        const issued = await request()
        await shared.write(issued)
        return issued
      },
      async () => {
        const settled = await shared.read()
        return usable(settled, stale) ? settled : undefined
      },
    )
  }

  async function token(stale?: string): Promise<ServiceToken> {
    if (usable(current, stale)) return current
    inFlight ??= obtain(stale)
      .then((issued) => {
        current = issued
        return issued
      })
      .finally(() => {
        inFlight = undefined
      })
    return inFlight
  }

  /** The token at rest: sealed under a key derived from `secret`, with a TTL of its lifetime. */
  function sharedTokens(store: AuthStore, secret: string) {
    const scope = [...config.scopes].sort().join(' ')
    const storageKey = `jiko:service:${createHash('sha256').update(`${config.issuer}\n${config.clientId}\n${scope}`).digest('base64url')}`
    const sealing = importSealingKey(deriveKey(secret, 'session-encryption'))
    return {
      lockKey: `${storageKey}:lock`,
      lock: createStoreLock(
        {
          acquireLock: (key, ttlMs) => callStore(() => store.acquireLock(key, ttlMs)),
          releaseLock: (key, owner) => callStore(() => store.releaseLock(key, owner)),
          ...(store.onLockReleased ? { onLockReleased: store.onLockReleased.bind(store) } : {}),
        },
        { lockMs, logger, what: 'service token' },
      ),
      async read(): Promise<ServiceToken | undefined> {
        const sealed = await callStore(() => store.get(storageKey))
        return sealed === undefined ? undefined : openRecord<ServiceToken>(await sealing, storageKey, sealed)
      },
      async write(issued: ServiceToken) {
        const ttlSeconds = Math.max(1, Math.floor((issued.tokens.expiresAt - clock.now()) / 1000))
        const sealed = await sealRecord(await sealing, storageKey, issued)
        await callStore(() => store.set(storageKey, sealed, ttlSeconds))
      },
    }
  }

  const accessOf = ({ tokens: issued, dpopKey }: ServiceToken) => ({
    key: 'service',
    token: issued.accessToken,
    ...(dpopKey ? { dpop: dpopKey } : {}),
  })
  const apiFetch = createApiFetch<undefined>({
    access: async () => accessOf(await token()),
    replace: async (_key, stale) => accessOf(await token(stale)),
    signing: input.apiSigning,
    ...(input.apiFetch ? { fetch: input.apiFetch } : {}),
  })

  return {
    getToken: async () => (await token()).tokens.accessToken,
    fetch: (target, init) => apiFetch(undefined, target, init),
  }
}
