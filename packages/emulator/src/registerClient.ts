import { exportJWK, importJWK, importSPKI, type JWK } from 'jose'
import { JIKO_SCOPES } from './users.js'

/**
 * oidc-provider's client metadata, as a plain record: the emulator's public types do not reach into oidc-provider's
 * (whose @types pull in Koa's, which clash with other packages' types in a user's project).
 */
export type ClientMetadataRecord = { client_id: string } & Record<string, unknown>

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

/**
 * The grants a client may use: the authorization code flow with refresh tokens (a web app signing users in), and
 * the client-credentials grant (a service acting for itself, no user, no refresh token).
 *
 * @example
 * ```ts
 * const grantTypes: GrantType[] = ['client_credentials']
 * ```
 */
export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials'

/** The grants of a registration that lists none. */
const DEFAULT_GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token']

const GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token', 'client_credentials']

/**
 * A client registered the way Jiko's Settings page does it.
 *
 * @example
 * ```ts
 * const webApp: ClientRegistration = { clientId: 'my-app', redirectUris: [callbackUrl], publicKey: pem }
 * const service: ClientRegistration = { clientId: 'my-batch', grantTypes: ['client_credentials'], publicKey: pem }
 * ```
 */
export interface ClientRegistration {
  clientId: string
  /** Where the authorization code flow may send the browser back to; required with `authorization_code`. */
  redirectUris?: string[]
  /**
   * The grants it may use (default `['authorization_code', 'refresh_token']`). A service client lists
   * `['client_credentials']` and needs no `redirectUris`; a client may list all three.
   */
  grantTypes?: GrantType[]
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

/**
 * Turns a registration into oidc-provider client metadata: private_key_jwt only, the registered grants (code +
 * refresh by default), the `code` response type only for clients of the code flow.
 *
 * @example
 * ```ts
 * const metadata = await toClientMetadata({ clientId: 'my-app', redirectUris: [callbackUrl], publicKey: pem })
 * ```
 */
export async function toClientMetadata(client: ClientRegistration): Promise<ClientMetadataRecord> {
  const grantTypes = checkGrantTypes(client)
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
    redirect_uris: client.redirectUris ?? [],
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    grant_types: grantTypes,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: alg,
    jwks: { keys: [{ ...jwk, alg, use: 'sig' }] },
    scope: (client.scopes ?? JIKO_SCOPES).join(' '),
    ...(client.postLogoutRedirectUris ? { post_logout_redirect_uris: client.postLogoutRedirectUris } : {}),
  }
}

/** The registration's grants, or an error naming what to fix. */
function checkGrantTypes(client: ClientRegistration): GrantType[] {
  const grantTypes = [...new Set(client.grantTypes ?? DEFAULT_GRANT_TYPES)]
  const where = `client ${client.clientId}`
  const unknown = grantTypes.find((grant) => !GRANT_TYPES.includes(grant))
  if (unknown !== undefined) {
    throw new Error(`${where}: grantTypes may hold ${GRANT_TYPES.join(', ')}, not "${unknown}"`)
  }
  if (grantTypes.length === 0) throw new Error(`${where}: grantTypes must list at least one grant`)
  const codeFlow = grantTypes.includes('authorization_code')
  if (grantTypes.includes('refresh_token') && !codeFlow) {
    throw new Error(
      `${where}: refresh_token comes with authorization_code (client_credentials issues no refresh token)`,
    )
  }
  if (codeFlow && !client.redirectUris?.length) {
    throw new Error(`${where}: the authorization_code grant needs redirectUris`)
  }
  return grantTypes
}
