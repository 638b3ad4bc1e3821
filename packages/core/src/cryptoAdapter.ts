import { type CryptoKey as KeyLike, SignJWT } from 'jose'
import type { PrivateKeyInput, SigningAlgorithm } from './protocol/config.js'

/** What the signing functions accept as a private key: a CryptoKey, or anything jose's import gives. */
export type SigningKey = KeyLike | Uint8Array | { type: string }

/**
 * Randomness, hashing and JWT signing, injected. The default uses WebCrypto and jose; a runtime may supply a
 * faster one.
 *
 * @example
 * ```ts
 * const crypto: CryptoAdapter = { ...webCryptoAdapter, randomBytes: (n) => myRandom(n) }
 * ```
 */
export interface CryptoAdapter {
  randomBytes(length: number): Uint8Array
  sha256(data: Uint8Array): Promise<Uint8Array> | Uint8Array
  signJwt(
    header: { alg: string; typ?: string; kid?: string },
    claims: Record<string, unknown>,
    key: SigningKey,
  ): Promise<string>
  /**
   * Optional: turns the configured private key (PKCS#8 PEM, private JWK or CryptoKey) into the key `signJwt` takes.
   * The token client imports with it when present, once; otherwise with `importSigningKey` (jose, WebCrypto).
   */
  importSigningKey?(key: PrivateKeyInput, alg: SigningAlgorithm): Promise<SigningKey>
}

/** The default CryptoAdapter: WebCrypto for randomness and SHA-256, jose for signing. */
export const webCryptoAdapter: CryptoAdapter = {
  randomBytes(length) {
    return globalThis.crypto.getRandomValues(new Uint8Array(length))
  },
  async sha256(data) {
    return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))
  },
  signJwt(header, claims, key) {
    return new SignJWT(claims).setProtectedHeader(header).sign(key as CryptoKey)
  },
}

const encoder = new TextEncoder()

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}
