import type { webcrypto } from 'node:crypto'
import {
  type ContentDigestAlgorithm,
  type RequestSigningAlgorithm,
  signRequest,
  toTransportError,
} from '@jiko-auth/core'
import type { JWK } from 'jose'

/** How requests to Jiko's API are signed (RFC 9421), when its Customer API asks for it. */
export interface ApiSigningOptions {
  /** The request-signing private key (ECDSA P-256 or Ed25519): PKCS#8 PEM, private JWK or CryptoKey. */
  privateKey: string | JWK | webcrypto.CryptoKey
  /** The `keyid` Jiko knows its public key by. */
  keyId: string
  alg: RequestSigningAlgorithm
  /** The body digest (default `sha-256`). */
  digest?: ContentDigestAlgorithm
}

export interface ApiFetchDependencies<Caller> {
  /** The caller's key (a session's, the service's) and its access token (refreshed ahead of expiry). */
  access(caller: Caller): Promise<{ key: string; token: string }>
  /** A newer access token after the API refused `stale` (one refresh, shared by every caller). */
  replace(key: string, stale: string): Promise<string>
  signing: ApiSigningOptions | undefined
  /** The transport (default the global fetch). */
  fetch?: typeof fetch
}

/** A `401` whose challenge says the token is invalid (RFC 6750 §3.1): a refreshed token may succeed. */
function isInvalidToken(response: Response): boolean {
  return (
    response.status === 401 && /error="?invalid_token"?/i.test(response.headers.get('www-authenticate') ?? '')
  )
}

/**
 * A call to Jiko's API for a caller (the signed-in user, or the service itself): `Authorization: Bearer`, an RFC 9421 signature when `signing` is set, and
 * on `401 invalid_token` one refresh (shared) and one retry. Nothing else is retried: after a timeout or a dropped
 * connection a request may have been processed.
 */
export function createApiFetch<Caller>(dependencies: ApiFetchDependencies<Caller>) {
  const send = dependencies.fetch ?? ((request: Request) => globalThis.fetch(request))

  async function attempt(target: Request, body: ArrayBuffer | undefined, token: string): Promise<Response> {
    const headers = new Headers(target.headers)
    headers.set('authorization', `Bearer ${token}`)
    let request = new Request(target.url, {
      method: target.method,
      headers,
      ...(body ? { body } : {}),
      redirect: target.redirect,
      signal: target.signal,
    })
    if (dependencies.signing) {
      const { privateKey, keyId, alg, digest } = dependencies.signing
      request = await signRequest(request, {
        key: privateKey as Parameters<typeof signRequest>[1]['key'],
        keyId,
        alg,
        ...(digest ? { digest } : {}),
      })
    }
    try {
      return await send(request)
    } catch (error) {
      throw toTransportError(error)
    }
  }

  return async (caller: Caller, input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const { key, token } = await dependencies.access(caller)
    const target = new Request(input, init)
    // Read once, so that the one retry sends the very same bytes.
    const body = target.body ? await target.arrayBuffer() : undefined
    const first = await attempt(target, body, token)
    if (!isInvalidToken(first)) return first
    await first.body?.cancel()
    return attempt(target, body, await dependencies.replace(key, token))
  }
}
