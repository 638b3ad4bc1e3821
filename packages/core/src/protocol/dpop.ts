import { base64url, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose'
import { type CryptoAdapter, webCryptoAdapter } from '../cryptoAdapter.js'

/** A DPoP key pair as it is kept: JWKs, serialisable (the private one stays on the server, encrypted). */
export interface DpopKey {
  privateJwk: JWK
  publicJwk: JWK
}

/** A new ES256 key pair for DPoP (RFC 9449): one per session. */
export async function generateDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const [privateJwk, publicJwk] = await Promise.all([exportJWK(privateKey), exportJWK(publicKey)])
  return { privateJwk, publicJwk }
}

export interface DpopProofOptions {
  /** The request's method. */
  htm: string
  /** The request's URL; query and fragment are left out, as RFC 9449 §4.2 wants. */
  htu: string
  /** At a resource server: the access token, whose SHA-256 becomes `ath`. */
  accessToken?: string
  /** The server's latest `DPoP-Nonce`. */
  nonce?: string
  /** Milliseconds since the epoch (default now). */
  now?: number
  crypto?: CryptoAdapter
}

/**
 * A DPoP proof (RFC 9449 §4): a JWT of type `dpop+jwt`, ES256, carrying its public key, with `jti`, `htm`, `htu`,
 * `iat`, and `ath` and `nonce` when given.
 *
 * @example
 * ```ts
 * const proof = await createDpopProof(key, { htm: 'POST', htu: tokenEndpoint })
 * headers.set('dpop', proof)
 * ```
 */
export async function createDpopProof(key: DpopKey, options: DpopProofOptions): Promise<string> {
  const crypto = options.crypto ?? webCryptoAdapter
  const url = new URL(options.htu)
  const claims: Record<string, unknown> = {
    jti: base64url.encode(crypto.randomBytes(16)),
    htm: options.htm.toUpperCase(),
    htu: `${url.origin}${url.pathname}`,
    iat: Math.floor((options.now ?? Date.now()) / 1000),
  }
  if (options.accessToken !== undefined) {
    claims.ath = base64url.encode(await crypto.sha256(new TextEncoder().encode(options.accessToken)))
  }
  if (options.nonce !== undefined) claims.nonce = options.nonce
  const { d: _private, ...publicJwk } = key.publicJwk
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk })
    .sign(await importJWK(key.privateJwk, 'ES256'))
}
