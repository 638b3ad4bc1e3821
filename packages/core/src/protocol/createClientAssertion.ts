import { base64url } from 'jose'
import { type CryptoAdapter, type SigningKey, webCryptoAdapter } from '../cryptoAdapter.js'
import type { JikoClientConfig } from './config.js'

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export interface ClientAssertionOptions {
  /** The imported signing key (see `importSigningKey`). */
  key: SigningKey
  /** Current time in milliseconds since the epoch (from the injected clock). */
  now: number
  crypto?: CryptoAdapter
}

/**
 * A private_key_jwt client assertion (RFC 7523) as Jiko wants it: `iss = sub = client_id`, `aud` = the token
 * endpoint URL (not the issuer), `exp` at most 300 s after `iat`, a unique `jti`, header `alg` PS256 or EdDSA.
 *
 * @example
 * ```ts
 * const assertion = await createClientAssertion(config, { key, now: Date.now() })
 * ```
 */
export async function createClientAssertion(
  config: JikoClientConfig,
  options: ClientAssertionOptions,
): Promise<string> {
  const crypto = options.crypto ?? webCryptoAdapter
  const iat = Math.floor(options.now / 1000)
  const header: { alg: string; typ: string; kid?: string } = { alg: config.signingAlgorithm, typ: 'JWT' }
  if (config.keyId !== undefined) header.kid = config.keyId
  return crypto.signJwt(
    header,
    {
      iss: config.clientId,
      sub: config.clientId,
      aud: config.tokenEndpoint,
      iat,
      exp: iat + config.assertionLifetimeSeconds,
      jti: base64url.encode(crypto.randomBytes(24)),
    },
    options.key,
  )
}
