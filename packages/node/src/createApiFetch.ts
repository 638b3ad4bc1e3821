import type { webcrypto } from 'node:crypto'
import {
  type ContentDigestAlgorithm,
  createDpopProof,
  type DpopKey,
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
  /**
   * The caller's key (a session's, the service's), its access token (refreshed ahead of expiry) and, for a
   * DPoP-bound token, the key it is bound to.
   */
  access(caller: Caller): Promise<Access>
  /** A newer access token after the API refused `stale` (one refresh, shared by every caller). */
  replace(key: string, stale: string): Promise<Access>
  signing: ApiSigningOptions | undefined
  /** The transport (default the global fetch). */
  fetch?: typeof fetch
}

export interface Access {
  key: string
  token: string
  /** The DPoP key of a sender-constrained token (RFC 9449): sent as `DPoP`, with a proof. */
  dpop?: DpopKey
}

/** A `401` whose challenge names this error (RFC 6750 §3.1, RFC 9449 §7.1). */
function challenged(response: Response, error: 'invalid_token' | 'use_dpop_nonce'): boolean {
  const challenge = response.headers.get('www-authenticate') ?? ''
  return response.status === 401 && new RegExp(`error="?${error}"?`, 'i').test(challenge)
}

/**
 * A call to Jiko's API for a caller (the signed-in user, or the service itself): `Authorization: Bearer`, an RFC 9421 signature when `signing` is set, and
 * on `401 invalid_token` one refresh (shared) and one retry. Nothing else is retried: after a timeout or a dropped
 * connection a request may have been processed.
 */
export function createApiFetch<Caller>(dependencies: ApiFetchDependencies<Caller>) {
  const send = dependencies.fetch ?? ((request: Request) => globalThis.fetch(request))
  /** The latest `DPoP-Nonce` each API origin gave (RFC 9449 §8). */
  const dpopNonces = new Map<string, string>()

  async function attempt(target: Request, body: ArrayBuffer | undefined, access: Access): Promise<Response> {
    const headers = new Headers(target.headers)
    const origin = new URL(target.url).origin
    if (access.dpop) {
      headers.set('authorization', `DPoP ${access.token}`)
      const nonce = dpopNonces.get(origin)
      headers.set(
        'dpop',
        await createDpopProof(access.dpop, {
          htm: target.method,
          htu: target.url,
          accessToken: access.token,
          ...(nonce ? { nonce } : {}),
        }),
      )
    } else {
      headers.set('authorization', `Bearer ${access.token}`)
    }
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
    let response: Response
    try {
      response = await send(request)
    } catch (error) {
      throw toTransportError(error)
    }
    const nonce = response.headers.get('dpop-nonce')
    if (nonce) dpopNonces.set(origin, nonce)
    return response
  }

  return async (caller: Caller, input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let access = await dependencies.access(caller)
    const target = new Request(input, init)
    // Read once, so that a retry sends the very same bytes.
    const body = target.body ? await target.arrayBuffer() : undefined
    let response = await attempt(target, body, access)
    // The API wants a DPoP nonce: one retry with the nonce it just gave (the request was refused unprocessed).
    if (access.dpop && challenged(response, 'use_dpop_nonce')) {
      await response.body?.cancel()
      response = await attempt(target, body, access)
    }
    if (!challenged(response, 'invalid_token')) return response
    await response.body?.cancel()
    access = await dependencies.replace(access.key, access.token)
    return attempt(target, body, access)
  }
}
