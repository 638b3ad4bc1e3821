import {
  constants,
  createHash,
  createPrivateKey,
  type JsonWebKey,
  KeyObject,
  randomBytes,
  sign,
  type webcrypto,
} from 'node:crypto'
import { types } from 'node:util'
import {
  type CryptoAdapter,
  importSigningKey,
  type PrivateKeyInput,
  type SigningAlgorithm,
  type SigningKey,
  webCryptoAdapter,
} from '@jiko-auth/core'

/** The key type node:crypto signs each client-assertion algorithm with. */
const KEY_TYPES: Record<SigningAlgorithm, string> = { PS256: 'rsa', EdDSA: 'ed25519' }

const keyObjects = new WeakMap<object, KeyObject>()

/**
 * The KeyObject node:crypto signs with, or undefined when the key is for WebCrypto: a CryptoKey is turned into a
 * KeyObject only when it is extractable (for a non-extractable one Node 24 deprecates that: DEP0204).
 */
function keyObjectOf(key: SigningKey): KeyObject | undefined {
  if (key instanceof KeyObject) return key
  if (!types.isCryptoKey(key) || !(key as webcrypto.CryptoKey).extractable) return undefined
  let keyObject = keyObjects.get(key)
  if (!keyObject) {
    keyObject = KeyObject.from(key as webcrypto.CryptoKey)
    keyObjects.set(key, keyObject)
  }
  return keyObject
}

/**
 * A PKCS#8 PEM or private JWK read by node:crypto, when it is a private key `alg` signs with (an RSA key of 2048
 * bits or more for PS256, Ed25519 for EdDSA); otherwise undefined, and jose's import decides.
 */
function readPrivateKey(key: PrivateKeyInput, alg: SigningAlgorithm): KeyObject | undefined {
  let keyObject: KeyObject
  try {
    if (typeof key === 'string') {
      if (!key.includes('-----BEGIN PRIVATE KEY-----')) return undefined
      keyObject = createPrivateKey({ key, format: 'pem' })
    } else if (typeof key === 'object' && key !== null && !types.isCryptoKey(key)) {
      keyObject = createPrivateKey({ key: key as JsonWebKey, format: 'jwk' })
    } else {
      return undefined
    }
  } catch {
    return undefined
  }
  if (keyObject.asymmetricKeyType !== KEY_TYPES[alg]) return undefined
  if (alg === 'PS256' && (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return undefined
  return keyObject
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * The node:crypto fast path of the `CryptoAdapter`: synchronous SHA-256 and random bytes, and RSA-PSS / Ed25519
 * signatures with node:crypto. On Node it is several times faster than WebCrypto for PKCE and client assertions;
 * `createJikoAuth` uses it by default. The JWS it makes is the compact serialisation that jose verifies (tested
 * against jose).
 *
 * A PEM or JWK private key is imported with node:crypto, and so is an extractable CryptoKey; a non-extractable
 * CryptoKey stays in WebCrypto and signs there (through jose), as the key's owner asked.
 *
 * @example
 * ```ts
 * createJikoAuth({ ...options, crypto: nodeCryptoAdapter })
 * ```
 */
export const nodeCryptoAdapter: CryptoAdapter = {
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
  sha256: (data) => new Uint8Array(createHash('sha256').update(data).digest()),
  async importSigningKey(key, alg) {
    return readPrivateKey(key, alg) ?? importSigningKey(key, alg)
  },
  async signJwt(header, claims, key) {
    const keyObject = keyObjectOf(key)
    if (!keyObject) return webCryptoAdapter.signJwt(header, claims, key)
    const input = `${encode(header)}.${encode(claims)}`
    const signature =
      header.alg === 'PS256'
        ? sign('sha256', Buffer.from(input), {
            key: keyObject,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
          })
        : sign(null, Buffer.from(input), keyObject)
    return `${input}.${signature.toString('base64url')}`
  },
}
