import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ErrorCode, JikoAuthError } from '@jiko-auth/core'
import { calculateJwkThumbprint, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose'

/** What a key is for: client assertions (`PS256`, `EdDSA`) or signing API requests (`ES256`, `EdDSA`). */
export type KeyAlgorithm = 'PS256' | 'EdDSA' | 'ES256'

export interface KeyFiles {
  /** The private key, PKCS#8 PEM, readable by its owner only (0600). */
  privateKeyPath: string
  /** The public key as PEM: what Jiko's Settings page asks for. */
  publicKeyPath: string
  /** The public key as a JWK, with its `kid`. */
  jwkPath: string
  /** The RFC 7638 thumbprint of the public key: its `kid` (and a good `keyId` for `apiSigning`). */
  kid: string
}

/**
 * Makes a key pair and writes it next to `prefix`: `<prefix>.key.pem` (PKCS#8, 0600), `<prefix>.pub.pem` and
 * `<prefix>.pub.jwk.json` (with `kid`, the RFC 7638 thumbprint). Never overwrites a file unless `force`.
 *
 * @example
 * ```ts
 * const { privateKeyPath, kid } = await generateKeyFiles({ alg: 'PS256', prefix: '.keys/jiko' })
 * ```
 */
export async function generateKeyFiles(options: {
  alg: KeyAlgorithm
  prefix: string
  force?: boolean
}): Promise<KeyFiles> {
  const files = {
    privateKeyPath: `${options.prefix}.key.pem`,
    publicKeyPath: `${options.prefix}.pub.pem`,
    jwkPath: `${options.prefix}.pub.jwk.json`,
  }
  const existing = Object.values(files).filter((path) => existsSync(path))
  if (existing.length > 0 && !options.force) {
    throw new JikoAuthError(ErrorCode.ConfigInvalid, `${existing.join(', ')} already exists`, {
      hint: 'Choose another --out, or pass --force to replace it (the old key then stops working at Jiko)',
    })
  }
  const { privateKey, publicKey } = await generateKeyPair(options.alg, {
    extractable: true,
    modulusLength: 2048,
  })
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  mkdirSync(dirname(files.privateKeyPath), { recursive: true })
  // A replaced key (--force) is removed first, so the new one is created 0600 (never written into an old file with
  // its old mode, nor through a symlink).
  rmSync(files.privateKeyPath, { force: true })
  writeFileSync(files.privateKeyPath, await exportPKCS8(privateKey), { mode: 0o600, flag: 'wx' })
  writeFileSync(files.publicKeyPath, await exportSPKI(publicKey))
  writeFileSync(files.jwkPath, `${JSON.stringify({ ...jwk, kid, alg: options.alg, use: 'sig' }, null, 2)}\n`)
  return { ...files, kid }
}
