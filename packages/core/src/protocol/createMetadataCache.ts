import { z } from 'zod'
import { type Clock, systemClock } from '../clock.js'
import { ErrorCode, JikoAuthError } from '../errors.js'
import { getJson, type HttpOptions } from '../http.js'
import type { EndpointName, JikoClientConfig } from './config.js'

/** How long fetched metadata is used before it is fetched again (default). */
export const METADATA_TTL_MS = 60 * 60 * 1000
/** The first wait after a failed fetch; it doubles with each failure, up to `MAX_BACKOFF_MS`. */
const FIRST_BACKOFF_MS = 1000
const MAX_BACKOFF_MS = 60_000
/** A discovery request is given up after this long (default). */
const DISCOVERY_TIMEOUT_MS = 5000

const url = z.url()
const metadataSchema = z.looseObject({
  issuer: z.string().min(1),
  authorization_endpoint: url,
  token_endpoint: url,
  jwks_uri: url,
  revocation_endpoint: url.optional(),
  end_session_endpoint: url.optional(),
  userinfo_endpoint: url.optional(),
  authorization_response_iss_parameter_supported: z.boolean().optional(),
})

/** Which metadata field fills which endpoint of the configuration. */
const FIELDS: Record<EndpointName, keyof z.infer<typeof metadataSchema>> = {
  authorizationEndpoint: 'authorization_endpoint',
  tokenEndpoint: 'token_endpoint',
  revocationEndpoint: 'revocation_endpoint',
  endSessionEndpoint: 'end_session_endpoint',
  userinfoEndpoint: 'userinfo_endpoint',
  jwksUri: 'jwks_uri',
}

export interface MetadataCacheOptions {
  clock?: Clock
  http?: Omit<HttpOptions, 'signal'>
  /** How long fetched metadata is used (default one hour). */
  ttlMs?: number
}

/** The configuration as the server publishes it: see `createMetadataCache`. */
export interface MetadataCache {
  /**
   * The configuration with the server's endpoints filled in (explicit endpoints in the configuration win). Fetched
   * on first use, then cached; after a failure, not fetched again before a backoff (1 s, doubling up to 60 s).
   * Stale metadata is used while a refetch fails. Concurrent callers share one request, which is bounded by its own
   * timeout (5 s) rather than by any one caller's signal. Throws `JIKO_DISCOVERY_FAILED`.
   */
  resolve(): Promise<JikoClientConfig>
}

/**
 * Discovery (RFC 8414, OpenID Connect Discovery 1.0): `{issuer}/.well-known/openid-configuration`, fetched once
 * and lazily. Its `issuer` must equal the configured one exactly. With `discovery: false` the configuration is used
 * as it is (Jiko's documented endpoints).
 *
 * @example
 * ```ts
 * const metadata = createMetadataCache(resolveConfig({ issuer: 'https://auth.jiko.io', ... }))
 * const { tokenEndpoint, jwksUri } = await metadata.resolve()
 * ```
 */
export function createMetadataCache(
  config: JikoClientConfig,
  options: MetadataCacheOptions = {},
): MetadataCache {
  if (!config.discovery) return { resolve: async () => config }
  const clock = options.clock ?? systemClock
  const ttlMs = options.ttlMs ?? METADATA_TTL_MS
  const location = `${config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
  let current: { config: JikoClientConfig; fetchedAt: number } | undefined
  let failure: { error: JikoAuthError; retryAt: number; backoffMs: number } | undefined
  let inFlight: Promise<JikoClientConfig> | undefined

  async function fetchMetadata(): Promise<JikoClientConfig> {
    const http = {
      ...options.http,
      timeoutMs: Math.min(options.http?.timeoutMs ?? DISCOVERY_TIMEOUT_MS, DISCOVERY_TIMEOUT_MS),
    }
    let result: Awaited<ReturnType<typeof getJson>>
    try {
      result = await getJson(location, http)
    } catch (cause) {
      throw discoveryFailed(
        `could not be fetched (${(cause as JikoAuthError).code ?? 'network error'})`,
        cause,
      )
    }
    if (result.status !== 200) throw discoveryFailed(`answered HTTP ${result.status}`)
    let json: unknown
    try {
      json = JSON.parse(result.body)
    } catch {
      throw discoveryFailed('is not JSON')
    }
    const parsed = metadataSchema.safeParse(json)
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || 'document'
      throw discoveryFailed(`is not valid metadata: ${field} is missing or not a URL`)
    }
    const metadata = parsed.data
    if (metadata.issuer !== config.issuer) {
      throw discoveryFailed(`names the issuer "${metadata.issuer}", not the configured "${config.issuer}"`)
    }
    const resolved: JikoClientConfig = { ...config }
    for (const [name, field] of Object.entries(FIELDS) as [EndpointName, string][]) {
      const published = metadata[field]
      if (typeof published === 'string') resolved[name] = published
    }
    Object.assign(resolved, config.explicitEndpoints)
    if (metadata.authorization_response_iss_parameter_supported === true) {
      resolved.authorizationResponseIssParameterSupported = true
    }
    return resolved
  }

  function discoveryFailed(what: string, cause?: unknown) {
    return new JikoAuthError(ErrorCode.DiscoveryFailed, `The server metadata at ${location} ${what}`, {
      hint: 'Check the issuer setting (it must be exactly the issuer the server names), or set discovery: false',
      ...(cause ? { cause } : {}),
    })
  }

  return {
    resolve() {
      const now = clock.now()
      if (current && now - current.fetchedAt < ttlMs) return Promise.resolve(current.config)
      if (failure && now < failure.retryAt) {
        return current ? Promise.resolve(current.config) : Promise.reject(failure.error)
      }
      inFlight ??= fetchMetadata()
        .then(
          (config) => {
            current = { config, fetchedAt: clock.now() }
            failure = undefined
            return config
          },
          (error: JikoAuthError) => {
            const backoffMs = failure ? Math.min(failure.backoffMs * 2, MAX_BACKOFF_MS) : FIRST_BACKOFF_MS
            failure = { error, retryAt: clock.now() + backoffMs, backoffMs }
            if (current) return current.config
            throw error
          },
        )
        .finally(() => {
          inFlight = undefined
        })
      return inFlight
    },
  }
}
