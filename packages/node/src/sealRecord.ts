import { hkdfSync, webcrypto } from 'node:crypto'
import { CompactEncrypt, compactDecrypt } from 'jose'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Derives a purpose-bound 256-bit key from the app secret (HKDF-SHA256). */
export function deriveKey(secret: string, purpose: 'session-encryption' | 'cookie-signing'): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'jiko-auth', `${purpose} v1`, 32))
}

/** The AES-256-GCM key, raw or imported once (importing on every call is the slow part of jose's JWE). */
export type SealingKey = Uint8Array | webcrypto.CryptoKey

/** Imports the raw key once for AES-GCM, so that sealing and opening do not import it on every call. */
export function importSealingKey(raw: Uint8Array): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
}

/**
 * Encrypts a record for storage: JWE, `dir` + AES-256-GCM. The storage key goes into the protected header, so a
 * value copied under another key does not open.
 */
export async function sealRecord(key: SealingKey, storageKey: string, record: unknown): Promise<string> {
  return new CompactEncrypt(encoder.encode(JSON.stringify(record)))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'v1', bnd: storageKey })
    .encrypt(key)
}

/** Opens a sealed record; `undefined` when it was not sealed for this key and storage key (tampered, moved, old). */
export async function openRecord<T>(
  key: SealingKey,
  storageKey: string,
  sealed: string,
): Promise<T | undefined> {
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(sealed, key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    })
    if (protectedHeader.bnd !== storageKey) return undefined
    return JSON.parse(decoder.decode(plaintext)) as T
  } catch {
    return undefined
  }
}
