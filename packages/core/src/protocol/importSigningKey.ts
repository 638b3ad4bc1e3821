import { importJWK, importPKCS8 } from 'jose'
import type { SigningKey } from '../cryptoAdapter.js'
import { ErrorCode, JikoAuthError } from '../errors.js'
import type { PrivateKeyInput, SigningAlgorithm } from './config.js'

/**
 * Turns the configured key (PKCS#8 PEM, private JWK or CryptoKey) into a key jose can sign with.
 * Import once and reuse: it is the slow part of signing.
 *
 * @example
 * ```ts
 * const key = await importSigningKey(process.env.JIKO_PRIVATE_KEY_PEM!, 'PS256')
 * ```
 */
export async function importSigningKey(key: PrivateKeyInput, alg: SigningAlgorithm): Promise<SigningKey> {
  if (typeof CryptoKey !== 'undefined' && key instanceof CryptoKey) return key as SigningKey
  try {
    if (typeof key === 'string') return await importPKCS8(key, alg)
    return await importJWK(key as Parameters<typeof importJWK>[0], alg)
  } catch (cause) {
    throw new JikoAuthError(ErrorCode.KeyInvalid, `The private key cannot be used to sign ${alg}`, {
      field: 'privateKey',
      hint: alg === 'PS256' ? 'Use an RSA private key (PKCS#8 PEM or JWK)' : 'Use an Ed25519 private key',
      cause,
    })
  }
}
