import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import type { ApiPublicKey, ApiSigningAlgorithm, ClientRegistration } from './registerClient.js'

/** A registered API signing key, imported. */
export interface ApiKey {
  keyId: string
  alg: ApiSigningAlgorithm
  key: KeyObject
}

/**
 * Imports a client's API signing keys, by `keyId`; throws a clear error for a private key, a key that does not fit
 * its `alg`, or a `keyId` given twice.
 */
export function importApiKeys(client: ClientRegistration): Map<string, ApiKey> {
  const registered = client.apiPublicKey
  const list = registered === undefined ? [] : Array.isArray(registered) ? registered : [registered]
  const keys = new Map<string, ApiKey>()
  for (const entry of list) {
    const where = `client ${client.clientId}, API key "${entry.keyId}"`
    if (!entry.keyId) throw new Error(`client ${client.clientId}: every API key needs a keyId`)
    if (keys.has(entry.keyId)) throw new Error(`${where}: keyId registered twice`)
    keys.set(entry.keyId, { keyId: entry.keyId, alg: entry.alg, key: importPublicKey(entry, where) })
  }
  return keys
}

function importPublicKey(entry: ApiPublicKey, where: string): KeyObject {
  const isPrivate =
    typeof entry.key === 'string' ? entry.key.includes('PRIVATE KEY') : entry.key.d !== undefined
  if (isPrivate) throw new Error(`${where}: register the public key, not the private one`)
  let key: KeyObject
  try {
    key =
      typeof entry.key === 'string'
        ? createPublicKey(entry.key)
        : createPublicKey({ key: entry.key as JsonWebKey, format: 'jwk' })
  } catch (error) {
    throw new Error(`${where}: not an SPKI PEM or public JWK (${(error as Error).message})`)
  }
  const type = key.asymmetricKeyType
  const curve = key.asymmetricKeyDetails?.namedCurve
  const fits =
    entry.alg === 'ed25519' ? type === 'ed25519' : entry.alg === 'ecdsa-p256-sha256' && curve === 'prime256v1'
  if (!fits) {
    throw new Error(
      `${where}: alg must be "ed25519" for an Ed25519 key or "ecdsa-p256-sha256" for an EC P-256 key ` +
        `(got "${entry.alg}" with a ${type}${curve ? ` ${curve}` : ''} key)`,
    )
  }
  return key
}

/** The `alg` that fits a PEM public key (Ed25519 or EC P-256), for the CLI; undefined for any other key. */
export function algorithmOf(pem: string): ApiSigningAlgorithm | undefined {
  try {
    const key = createPublicKey(pem)
    if (key.asymmetricKeyType === 'ed25519') return 'ed25519'
    if (key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256-sha256'
  } catch {}
  return undefined
}
