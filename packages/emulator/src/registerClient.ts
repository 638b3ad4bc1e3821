import { exportJWK, importJWK, importSPKI, type JWK } from 'jose'
import type { ClientMetadata } from 'oidc-provider'
import { JIKO_SCOPES } from './users.js'

/**
 * The algorithms Jiko accepts for RFC 9421 request signatures.
 *
 * @example
 * ```ts
 * const alg: ApiSigningAlgorithm = 'ecdsa-p256-sha256' // or 'ed25519'
 * ```
 */
export type ApiSigningAlgorithm = 'ecdsa-p256-sha256' | 'ed25519'

/**
 * A public key a client registers to sign its API requests (RFC 9421 HTTP Message Signatures), looked up by the
 * signature's `keyid`.
 *
 * @example
 * ```ts
 * const apiPublicKey: ApiPublicKey = { keyId: 'api-key-1', key: await exportSPKI(publicKey), alg: 'ed25519' }
 * ```
 */
export interface ApiPublicKey {
  /** The `keyid` parameter the client's signatures carry. */
  keyId: string
  /** SPKI PEM ("BEGIN PUBLIC KEY") or a public JWK: an Ed25519 key, or an EC P-256 key. */
  key: string | JWK
  alg: ApiSigningAlgorithm
}

/** A client registered the way Jiko's Settings page does it. */
export interface ClientRegistration {
  clientId: string
  redirectUris: string[]
  /** The client's public key: SPKI PEM ("BEGIN PUBLIC KEY") or a public JWK. */
  publicKey: string | JWK
  /** The algorithm of its client assertions (default PS256). */
  algorithm?: 'PS256' | 'EdDSA'
  /** The scopes it may ask for (default: all of Jiko's). */
  scopes?: string[]
  /** Where RP-initiated logout may send the browser back to (`post_logout_redirect_uri`). */
  postLogoutRedirectUris?: string[]
  /**
   * The key(s) that sign its API requests. When set, every pockets API request made with this client's access
   * tokens must carry a valid RFC 9421 signature by one of them; without it, a Bearer token is enough.
   */
  apiPublicKey?: ApiPublicKey | ApiPublicKey[]
}

/** Turns a registration into oidc-provider client metadata: private_key_jwt only, code + refresh grants. */
export async function toClientMetadata(client: ClientRegistration): Promise<ClientMetadata> {
  const alg = client.algorithm ?? 'PS256'
  const key =
    typeof client.publicKey === 'string'
      ? await importSPKI(client.publicKey, alg, { extractable: true })
      : await importJWK(client.publicKey, alg)
  const { d: _private, ...jwk } = key instanceof Uint8Array ? ({} as JWK) : await exportJWK(key)
  if (_private !== undefined)
    throw new Error(`client ${client.clientId}: register the public key, not the private one`)
  return {
    client_id: client.clientId,
    redirect_uris: client.redirectUris,
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: alg,
    jwks: { keys: [{ ...jwk, alg, use: 'sig' }] },
    scope: (client.scopes ?? JIKO_SCOPES).join(' '),
    ...(client.postLogoutRedirectUris ? { post_logout_redirect_uris: client.postLogoutRedirectUris } : {}),
  }
}
