import { base64url } from 'jose'
import { type CryptoAdapter, utf8, webCryptoAdapter } from '../cryptoAdapter.js'

/** A PKCE pair (RFC 7636): keep `verifier` secret on the server, send `challenge` with `S256`. */
export interface PkcePair {
  verifier: string
  challenge: string
  method: 'S256'
}

/**
 * The S256 code challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`.
 *
 * @example
 * ```ts
 * await computeCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk') // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 * ```
 */
export async function computeCodeChallenge(verifier: string, crypto: CryptoAdapter = webCryptoAdapter) {
  return base64url.encode(await crypto.sha256(utf8(verifier)))
}

/**
 * A fresh PKCE pair: a 43-character verifier from 32 random bytes (256 bits) and its S256 challenge.
 * Jiko accepts S256 only; there is no "plain" option to get wrong.
 *
 * @example
 * ```ts
 * const { verifier, challenge } = await createPkcePair()
 * ```
 */
export async function createPkcePair(crypto: CryptoAdapter = webCryptoAdapter): Promise<PkcePair> {
  const verifier = base64url.encode(crypto.randomBytes(32))
  return { verifier, challenge: await computeCodeChallenge(verifier, crypto), method: 'S256' }
}

/**
 * A fresh `state` value: 32 random bytes (256 bits of entropy), base64url.
 *
 * @example
 * ```ts
 * const state = createState()
 * ```
 */
export function createState(crypto: CryptoAdapter = webCryptoAdapter): string {
  return base64url.encode(crypto.randomBytes(32))
}
