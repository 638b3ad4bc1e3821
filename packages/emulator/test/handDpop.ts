// DPoP proofs (RFC 9449) written by hand with jose — deliberately not our own packages — to test the emulator.
import { createHash, randomUUID } from 'node:crypto'
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose'

export interface DpopKey {
  privateKey: CryptoKey
  publicJwk: Awaited<ReturnType<typeof exportJWK>>
  /** The RFC 7638 thumbprint a bound token carries as `cnf.jkt`. */
  jkt: string
}

export async function dpopKey(alg: 'ES256' | 'ES384' = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg)
  const publicJwk = await exportJWK(publicKey)
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) }
}

export interface ProofOptions {
  htm: string
  htu: string
  /** Adds `ath`, the hash of this access token. */
  accessToken?: string
  nonce?: string
  jti?: string
  iat?: number
  typ?: string
  alg?: string
}

export async function proof(key: DpopKey, options: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
  }
  if (options.accessToken !== undefined) claims.ath = ath(options.accessToken)
  if (options.nonce !== undefined) claims.nonce = options.nonce
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'ES256', typ: options.typ ?? 'dpop+jwt', jwk: key.publicJwk })
    .sign(key.privateKey)
}

export function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url')
}
