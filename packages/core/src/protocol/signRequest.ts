import { importJWK, importPKCS8, type JWK, type CryptoKey as KeyLike } from 'jose'
import {
  type InnerList,
  type Item,
  type Parameters,
  serializeDictionary,
  serializeInnerList,
  serializeItem,
} from 'structured-headers'
import { ErrorCode, JikoAuthError } from '../errors.js'

/** The algorithms Jiko's Customer API accepts for request signatures (RFC 9421 §3.3). */
export const REQUEST_SIGNING_ALGORITHMS = ['ecdsa-p256-sha256', 'ed25519'] as const
export type RequestSigningAlgorithm = (typeof REQUEST_SIGNING_ALGORITHMS)[number]

/** The components Jiko wants covered; `content-digest` is added when the request has a body. */
export const JIKO_SIGNED_COMPONENTS = ['@method', '@authority', '@target-uri', 'authorization'] as const

export type ContentDigestAlgorithm = 'sha-256' | 'sha-512'

export interface SignRequestOptions {
  /** The private key: a CryptoKey (ECDSA P-256 or Ed25519), a private JWK, or a PKCS#8 PEM. */
  key: KeyLike | JWK | string
  /** The `keyid` Jiko knows the public key by. */
  keyId: string
  alg: RequestSigningAlgorithm
  /** The covered components, in order (default Jiko's: `@method @authority @target-uri authorization`). */
  components?: readonly string[]
  /** The `created` parameter, in seconds since the epoch (default now). */
  created?: number
  /** An optional `tag` parameter (the application profile). */
  tag?: string
  /** The signature's label in `Signature-Input` and `Signature` (default `sig1`). */
  label?: string
  /** The digest of the body for `Content-Digest` (default `sha-256`). */
  digest?: ContentDigestAlgorithm
  /** Put `alg` in the signature parameters (default true). */
  includeAlg?: boolean
}

const DIGEST_HASH: Record<ContentDigestAlgorithm, string> = { 'sha-256': 'SHA-256', 'sha-512': 'SHA-512' }

/**
 * The `Content-Digest` of a body (RFC 9530): `sha-256=:…:` as a Structured Fields Dictionary.
 *
 * @example
 * ```ts
 * await createContentDigest(new TextEncoder().encode('{"hello": "world"}'))
 * // 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'
 * ```
 */
export async function createContentDigest(
  body: Uint8Array,
  algorithm: ContentDigestAlgorithm = 'sha-256',
): Promise<string> {
  const hash = await crypto.subtle.digest(DIGEST_HASH[algorithm], body as BufferSource)
  return serializeDictionary(new Map([[algorithm, [hash, new Map()] as Item]]))
}

/**
 * Signs a request for Jiko's Customer API (RFC 9421 HTTP Message Signatures): adds `Content-Digest` (RFC 9530) when
 * there is a body, then `Signature-Input` and `Signature` over Jiko's components (`@method`, `@authority`,
 * `@target-uri`, `authorization`, and `content-digest`), with `created`, `keyid` and `alg`. The structured fields
 * are built with `structured-headers`; signing is WebCrypto (ECDSA P-256 gives `r‖s`, as RFC 9421 §3.3.4 wants).
 * Returns a new Request; the one given is consumed when it has a body. Sign after setting `Authorization`.
 *
 * @example
 * ```ts
 * const signed = await signRequest(
 *   new Request('https://api.jiko.io/v2/pockets', { headers: { authorization: `Bearer ${token}` } }),
 *   { key: process.env.JIKO_API_KEY_PEM!, keyId: 'my-key', alg: 'ecdsa-p256-sha256' },
 * )
 * await fetch(signed)
 * ```
 */
export async function signRequest(request: Request, options: SignRequestOptions): Promise<Request> {
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined
  const headers = new Headers(request.headers)
  const components = [...(options.components ?? JIKO_SIGNED_COMPONENTS)]
  if (body) {
    headers.set('content-digest', await createContentDigest(body, options.digest))
    if (!options.components && !components.includes('content-digest')) components.push('content-digest')
  }
  const url = new URL(request.url)
  const params: Parameters = new Map()
  params.set('created', options.created ?? Math.floor(Date.now() / 1000))
  params.set('keyid', options.keyId)
  if (options.includeAlg ?? true) params.set('alg', options.alg)
  if (options.tag !== undefined) params.set('tag', options.tag)
  const covered: InnerList = [components.map((name) => [name, new Map()] as Item), params]
  const signatureParams = serializeInnerList(covered)
  const lines = components.map(
    (name) => `${serializeItem(name)}: ${componentValue(name, request.method, url, headers)}`,
  )
  lines.push(`"@signature-params": ${signatureParams}`)
  const base = new TextEncoder().encode(lines.join('\n'))
  const signature = await sign(await signingKey(options.key, options.alg), options.alg, base)
  const label = options.label ?? 'sig1'
  headers.set('signature-input', serializeDictionary(new Map([[label, covered]])))
  headers.set('signature', serializeDictionary(new Map([[label, [signature, new Map()] as Item]])))
  return new Request(request.url, {
    method: request.method,
    headers,
    ...(body ? { body: body as BodyInit } : {}),
    redirect: request.redirect,
    signal: request.signal,
  })
}

/** The value of one covered component (RFC 9421 §2.1, §2.2); a missing header is an error, never an empty line. */
function componentValue(name: string, method: string, url: URL, headers: Headers): string {
  switch (name) {
    case '@method':
      // As sent (RFC 9421 §2.2.1: no case change; Request already upper-cases the standard methods).
      return method
    case '@authority':
      return url.host.toLowerCase()
    case '@target-uri':
      // The fragment is never sent, so it is never signed.
      return url.href.replace(/#.*$/, '')
    case '@scheme':
      return url.protocol.slice(0, -1)
    case '@path':
      return url.pathname
    case '@query':
      return url.search || '?'
    case '@request-target':
      return `${url.pathname}${url.search}`
  }
  if (name.startsWith('@') || name !== name.toLowerCase()) {
    throw signingFailed(`The component "${name}" is not one signRequest can cover`, {
      hint: 'Cover header fields by their lowercase name, or @method, @authority, @target-uri, @path, @query, @scheme',
    })
  }
  const value = headers.get(name)
  if (value === null) {
    throw signingFailed(`The request has no ${name} header to sign`, {
      hint:
        name === 'authorization'
          ? 'Set Authorization (the access token) before signing'
          : `Set the ${name} header, or leave it out of components`,
    })
  }
  return value.trim()
}

async function signingKey(key: SignRequestOptions['key'], alg: RequestSigningAlgorithm): Promise<CryptoKey> {
  const joseAlg = alg === 'ed25519' ? 'EdDSA' : 'ES256'
  try {
    if (typeof key === 'string') return await importPKCS8(key, joseAlg)
    if (!isCryptoKey(key)) return (await importJWK(key, joseAlg)) as CryptoKey
    return key
  } catch (cause) {
    throw signingFailed(`The request-signing key cannot sign ${alg}`, {
      hint:
        alg === 'ed25519'
          ? 'Pass an Ed25519 private key (PKCS#8 PEM, JWK or CryptoKey)'
          : 'Pass an ECDSA P-256 private key (PKCS#8 PEM, JWK or CryptoKey)',
      cause,
    })
  }
}

async function sign(key: CryptoKey, alg: RequestSigningAlgorithm, data: Uint8Array): Promise<ArrayBuffer> {
  const algorithm = alg === 'ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' }
  try {
    return await crypto.subtle.sign(algorithm, key, data as BufferSource)
  } catch (cause) {
    throw signingFailed(`The request-signing key cannot sign ${alg}`, {
      hint: 'Check that the key and alg agree (ed25519 needs an Ed25519 key; ecdsa-p256-sha256 a P-256 one)',
      cause,
    })
  }
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey
}

function signingFailed(message: string, options: { hint: string; cause?: unknown }) {
  return new JikoAuthError(ErrorCode.SigningFailed, message, options)
}
