import {
  type CompactJWSHeaderParameters,
  CompactSign,
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from 'jose'

type ImportedKey = Awaited<ReturnType<typeof importJWK>>

interface SigningKey {
  kid: string
  privateJwk: JWK
  privateKey: ImportedKey
  publicKey: ImportedKey
}

/**
 * The emulator's RS256 signing keys. oidc-provider reads its keys once, at start, and cannot swap them at run time;
 * so after `rotate()` the emulator re-signs the id_tokens oidc-provider issues with the newest key and serves the
 * JWKS itself. The original key (the one oidc-provider holds) keeps signing access tokens and stays published.
 */
export class SigningKeys {
  /** Newest first; the last one is oidc-provider's own. */
  readonly #keys: SigningKey[]

  private constructor(providerKey: SigningKey) {
    this.#keys = [providerKey]
  }

  /** Takes oidc-provider's key (a private RSA JWK, `kid` defaulting to `emulator-rs256`), or generates one. */
  static async create(privateJwk?: JWK): Promise<SigningKeys> {
    const jwk = privateJwk ?? (await generate())
    return new SigningKeys(await load(jwk, jwk.kid ?? 'emulator-rs256'))
  }

  /** The private JWK to configure oidc-provider with. */
  get providerJwk(): JWK {
    const key = this.#keys.at(-1) as SigningKey
    return { ...key.privateJwk, alg: 'RS256', use: 'sig', kid: key.kid }
  }

  /** Whether `rotate()` was called (id_tokens from oidc-provider then need re-signing). */
  get rotated(): boolean {
    return this.#keys.length > 1
  }

  /** The public keys, newest first. */
  jwks(): JSONWebKeySet {
    return {
      keys: this.#keys.map((key) => ({
        ...publicPart(key.privateJwk),
        alg: 'RS256',
        use: 'sig',
        kid: key.kid,
      })),
    }
  }

  /** Generates a new RS256 key, puts it first and returns its `kid` (its RFC 7638 thumbprint). */
  async rotate(): Promise<string> {
    const privateJwk = await generate()
    const key = await load(privateJwk, await calculateJwkThumbprint(privateJwk))
    this.#keys.unshift(key)
    return key.kid
  }

  /** Signs `payload` with the current key: header `{ ...header, alg: 'RS256', kid }`. */
  sign(
    payload: Record<string, unknown>,
    header: CompactJWSHeaderParameters = { alg: 'RS256' },
  ): Promise<string> {
    const key = this.#keys[0] as SigningKey
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ ...header, alg: 'RS256', kid: key.kid })
      .sign(key.privateKey)
  }

  /**
   * Turns a JWT signed with one of the rotated keys back into one signed with oidc-provider's key (for an
   * `id_token_hint`, which oidc-provider verifies with its own key). Anything else comes back unchanged.
   */
  async toProviderSigned(jwt: string): Promise<string> {
    const providerKey = this.#keys.at(-1) as SigningKey
    let kid: unknown
    try {
      kid = decodeProtectedHeader(jwt).kid
    } catch {
      return jwt
    }
    const key = this.#keys.find((k) => k.kid === kid)
    if (!key || key === providerKey) return jwt
    try {
      const { payload, protectedHeader } = await compactVerify(jwt, key.publicKey, { algorithms: ['RS256'] })
      return await new CompactSign(payload)
        .setProtectedHeader({ ...protectedHeader, kid: providerKey.kid })
        .sign(providerKey.privateKey)
    } catch {
      return jwt
    }
  }
}

async function generate(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 })
  return exportJWK(privateKey)
}

async function load(privateJwk: JWK, kid: string): Promise<SigningKey> {
  return {
    kid,
    privateJwk,
    privateKey: await importJWK(privateJwk, 'RS256'),
    publicKey: await importJWK(publicPart(privateJwk), 'RS256'),
  }
}

/** The public members of an RSA JWK. */
export function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk
  return rest
}
