import type { JWK, CryptoKey as KeyLike } from 'jose'
import { z } from 'zod'
import { ErrorCode, JikoAuthError } from '../errors.js'

/** The algorithms Jiko accepts for client assertions. */
export const SIGNING_ALGORITHMS = ['PS256', 'EdDSA'] as const
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number]

export const MAX_ASSERTION_LIFETIME_SECONDS = 300

/** The scopes Jiko documents: OpenID Connect's, and its API's. */
export const JIKO_SCOPES = [
  'openid',
  'profile',
  'email',
  'phone',
  'offline_access',
  'pockets.read',
  'pockets.write',
  'transfers.read',
  'transfers.write',
  'customer.read',
  'customer.write',
  'team.read',
  'team.write',
  'onboarding.read',
  'onboarding.write',
  'agreements.read',
] as const

/** The id_token algorithms accepted by default: asymmetric only (never `none`, never a shared-secret HS*). */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const

/** The endpoints a configuration names; discovery fills those not given explicitly. */
export const ENDPOINTS = [
  'authorizationEndpoint',
  'tokenEndpoint',
  'revocationEndpoint',
  'endSessionEndpoint',
  'userinfoEndpoint',
  'jwksUri',
] as const
export type EndpointName = (typeof ENDPOINTS)[number]

/** Jiko's documented paths under the issuer, used without discovery and for endpoints its metadata leaves out. */
const JIKO_PATHS: Record<EndpointName, string> = {
  authorizationEndpoint: '/api/oauth2/authorize',
  tokenEndpoint: '/api/oauth2/token',
  revocationEndpoint: '/api/oauth2/revoke',
  endSessionEndpoint: '/api/oauth2/logout',
  userinfoEndpoint: '/api/oauth2/userinfo',
  jwksUri: '/api/oauth2/jwks',
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost')
}

/** An absolute https URL, or http on a loopback host (for local development and tests). */
const secureUrl = (what: string, options: { noFragment?: boolean } = {}) =>
  z.string().superRefine((value, ctx) => {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `${what} must be an absolute URL such as https://auth.jiko.io`,
      })
      return
    }
    if (options.noFragment && url.hash) {
      ctx.addIssue({ code: 'custom', message: `${what} must not contain a fragment (#…)` })
      return
    }
    if (url.protocol === 'https:') return
    if (url.protocol === 'http:' && isLoopback(url)) return
    ctx.addIssue({
      code: 'custom',
      message: `${what} must use https (http is allowed only on localhost/127.0.0.1/[::1])`,
    })
  })

/**
 * A private key as it may be configured: a PKCS#8 PEM, a private JWK, or a CryptoKey (jose's types, so that a
 * project without the DOM library still type-checks).
 */
export type PrivateKeyInput = string | JWK | KeyLike

const jwkSchema = z.looseObject({ kty: z.string() })

const KEY_FORMS = 'privateKey must be a PKCS#8 PEM string, a private JWK or a CryptoKey (or a list of them)'

const keySchema = z.custom<PrivateKeyInput>(
  (value) =>
    typeof value === 'string' ||
    isCryptoKey(value) ||
    (typeof value === 'object' && value !== null && jwkSchema.safeParse(value).success),
  { message: KEY_FORMS },
)

const configSchema = z
  .object({
    issuer: secureUrl('issuer'),
    authorizationEndpoint: secureUrl('authorizationEndpoint').optional(),
    tokenEndpoint: secureUrl('tokenEndpoint').optional(),
    revocationEndpoint: secureUrl('revocationEndpoint').optional(),
    endSessionEndpoint: secureUrl('endSessionEndpoint').optional(),
    userinfoEndpoint: secureUrl('userinfoEndpoint').optional(),
    jwksUri: secureUrl('jwksUri').optional(),
    discovery: z.boolean().default(true),
    dpop: z.boolean().default(false),
    idTokenAlgorithms: z
      .array(
        z
          .string()
          .refine(
            (alg) => alg !== 'none' && !/^HS/i.test(alg),
            'idTokenAlgorithms may not hold "none" or HS* (a shared secret is not an identity)',
          ),
      )
      .min(1, 'idTokenAlgorithms must list at least one algorithm, e.g. ["RS256"]')
      .default([...ID_TOKEN_ALGORITHMS]),
    clientId: z.string().min(1, 'clientId must be the client_id shown on Jiko’s Settings page'),
    redirectUri: secureUrl('redirectUri', { noFragment: true }).optional(),
    scopes: z
      .array(
        z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'each scope is one token without spaces or quotes'),
      )
      .min(1, 'scopes must list at least one scope, e.g. ["pockets.read"]'),
    privateKey: z.union(
      [
        keySchema,
        z
          .array(keySchema)
          .min(
            1,
            'privateKey must list at least one key (the first signs; the rest wait their turn in a rotation)',
          ),
      ],
      { error: KEY_FORMS },
    ),
    signingAlgorithm: z
      .enum(SIGNING_ALGORITHMS, { message: 'signingAlgorithm must be "PS256" or "EdDSA"' })
      .default('PS256'),
    keyId: z.string().min(1).optional(),
    assertionLifetimeSeconds: z
      .number()
      .int('assertionLifetimeSeconds must be a whole number of seconds')
      .positive('assertionLifetimeSeconds must be positive')
      .max(
        MAX_ASSERTION_LIFETIME_SECONDS,
        'assertionLifetimeSeconds must be at most 300 (Jiko rejects longer)',
      )
      .default(60),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(5),
    authorizationResponseIssParameterSupported: z.boolean().default(false),
  })
  .superRefine((config, ctx) => {
    // Every key of a rotation list is checked now, so the one waiting its turn is known good before it signs.
    const keys = Array.isArray(config.privateKey) ? config.privateKey : [config.privateKey]
    keys.forEach((key, index) => {
      const problem = keyAlgorithmMismatch(key, config.signingAlgorithm)
      const path = Array.isArray(config.privateKey) ? ['privateKey', index] : ['privateKey']
      if (problem) ctx.addIssue({ code: 'custom', path, message: problem })
    })
  })

/** What you pass to configure a Jiko client. */
export type JikoClientConfigInput = z.input<typeof configSchema>

/**
 * A validated configuration with every default filled in.
 */
export interface JikoClientConfig {
  /** The issuer exactly as configured: `iss` values are compared to it character for character. */
  issuer: string
  authorizationEndpoint: string
  tokenEndpoint: string
  revocationEndpoint: string
  endSessionEndpoint: string
  userinfoEndpoint: string
  jwksUri: string
  /** Fetch `{issuer}/.well-known/openid-configuration` and take the endpoints from it (default true). */
  discovery: boolean
  /** Sender-constrained tokens (RFC 9449): DPoP proofs on token requests, `token_type: DPoP` (default false). */
  dpop: boolean
  /** The endpoints set in the configuration: they win over the server's metadata. */
  explicitEndpoints: Partial<Record<EndpointName, string>>
  /** The algorithms an id_token may be signed with. */
  idTokenAlgorithms: string[]
  clientId: string
  /** Where Jiko sends the browser back; required to sign users in, absent for a service (client credentials). */
  redirectUri: string | undefined
  scopes: string[]
  /** The key that signs client assertions: the configured key, or the first of a rotation list. */
  privateKey: PrivateKeyInput
  signingAlgorithm: SigningAlgorithm
  keyId: string | undefined
  assertionLifetimeSeconds: number
  clockToleranceSeconds: number
  /**
   * The server puts `iss` in every authorization response (RFC 9207), as its metadata's
   * `authorization_response_iss_parameter_supported` says: a callback without `iss` is refused. Default false
   * (Jiko's documented callback carries none; `iss` is still checked whenever present).
   */
  authorizationResponseIssParameterSupported: boolean
}

/**
 * Validates a client configuration and fills in Jiko's defaults (endpoints under `{issuer}/api/oauth2/`).
 * Throws one `JikoAuthError` (`JIKO_CONFIG_INVALID`) whose `field` names the setting and whose message says the fix.
 *
 * @example
 * ```ts
 * const config = resolveConfig({
 *   issuer: 'https://auth.jiko.io', clientId: 'my-app', redirectUri: 'https://app.example/auth/callback',
 *   scopes: ['pockets.read'], privateKey: process.env.JIKO_PRIVATE_KEY_PEM!,
 * })
 * ```
 */
export function resolveConfig(input: JikoClientConfigInput): JikoClientConfig {
  const config = parseConfig(configSchema, input, 'Jiko client configuration')
  // Endpoints are built on the issuer without its trailing slash; the issuer itself is kept as given, for `iss`.
  const base = config.issuer.replace(/\/+$/, '')
  const explicitEndpoints: Partial<Record<EndpointName, string>> = {}
  const endpoints = {} as Record<EndpointName, string>
  for (const name of ENDPOINTS) {
    const given = config[name]
    if (given !== undefined) explicitEndpoints[name] = given
    endpoints[name] = given ?? `${base}${JIKO_PATHS[name]}`
  }
  return {
    issuer: config.issuer,
    ...endpoints,
    discovery: config.discovery,
    dpop: config.dpop,
    explicitEndpoints,
    idTokenAlgorithms: config.idTokenAlgorithms,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    scopes: config.scopes,
    privateKey: Array.isArray(config.privateKey)
      ? (config.privateKey[0] as PrivateKeyInput)
      : config.privateKey,
    signingAlgorithm: config.signingAlgorithm,
    keyId: config.keyId,
    assertionLifetimeSeconds: config.assertionLifetimeSeconds,
    clockToleranceSeconds: config.clockToleranceSeconds,
    authorizationResponseIssParameterSupported: config.authorizationResponseIssParameterSupported,
  }
}

/**
 * Validates configuration with a zod schema; on failure throws one `JIKO_CONFIG_INVALID` error whose `field` names
 * the first bad setting and whose message says the fix. Unknown keys are dropped.
 *
 * @example
 * ```ts
 * const options = parseConfig(mySchema, input, 'createJikoAuth options')
 * ```
 */
export function parseConfig<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue?.path.join('.') || 'config'
  const missing = issue !== undefined && issue.path.length > 0 && valueAt(input, issue.path) === undefined
  if (missing) {
    const example = REQUIRED_EXAMPLES[field]
    throw new JikoAuthError(ErrorCode.ConfigInvalid, `Invalid ${what}: ${field} is required`, {
      field,
      hint: example ? `Add ${field}, e.g. ${example}` : `Add ${field} to the options`,
    })
  }
  // The message already says the fix: no hint that repeats it.
  throw new JikoAuthError(
    ErrorCode.ConfigInvalid,
    `Invalid ${what}: ${field}: ${issue?.message ?? 'invalid configuration'}`,
    { field },
  )
}

/** What a missing required setting looks like, for the error that asks for it. */
const REQUIRED_EXAMPLES: Record<string, string> = {
  issuer: "issuer: 'https://auth.jiko.io'",
  clientId: "clientId: 'my-app' (the client_id on Jiko's Settings page)",
  redirectUri: "redirectUri: 'https://app.example/auth/callback'",
  scopes: "scopes: ['openid', 'pockets.read'] (what to ask Jiko for)",
  privateKey: 'privateKey: process.env.JIKO_PRIVATE_KEY_PEM (the PKCS#8 PEM whose public key Jiko has)',
  secret: 'secret: process.env.JIKO_AUTH_SECRET (generate one with `openssl rand -base64 48`)',
  storage: 'storage: memoryStorage(), sqliteStorage({ path }) or redisStorage({ url })',
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

function isCryptoKey(value: unknown): value is KeyLike {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey
}

// DER encodings of the key-type OIDs inside a PKCS#8 PrivateKeyInfo.
const RSA_OID = '06092a864886f70d010101' // 1.2.840.113549.1.1.1 rsaEncryption
const RSA_PSS_OID = '06092a864886f70d01010a' // 1.2.840.113549.1.1.10 id-RSASSA-PSS
const ED25519_OID = '06032b6570' // 1.3.101.112
const EC_OID = '06072a8648ce3d0201' // 1.2.840.10045.2.1 id-ecPublicKey

/** Says why a key cannot sign with `alg`, or nothing when it can (or when that is only known at import). */
export function keyAlgorithmMismatch(key: PrivateKeyInput, alg: SigningAlgorithm): string | undefined {
  let found: 'rsa' | 'ed25519' | 'ec' | 'other' | undefined
  if (typeof key === 'string') {
    if (key.includes('\\n') && !key.includes('\n')) {
      return 'privateKey holds a literal "\\n" where line breaks belong (as environment variables often do): pass key.replace(/\\\\n/g, "\\n")'
    }
    if (/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(key) === false) {
      return 'privateKey must be a PEM private key ("-----BEGIN PRIVATE KEY-----"); a public key cannot sign'
    }
    if (/BEGIN (RSA|EC) PRIVATE KEY/.test(key)) {
      return 'privateKey must be PKCS#8 ("BEGIN PRIVATE KEY"); convert it with `openssl pkcs8 -topk8 -nocrypt`'
    }
    if (/BEGIN ENCRYPTED PRIVATE KEY/.test(key)) {
      return 'privateKey must not be encrypted; decrypt it with `openssl pkcs8 -topk8 -nocrypt`'
    }
    const hex = pemToHex(key)
    if (hex === undefined) return 'privateKey is not valid PEM (the base64 body does not decode)'
    found =
      hex.includes(RSA_OID) || hex.includes(RSA_PSS_OID)
        ? 'rsa'
        : hex.includes(ED25519_OID)
          ? 'ed25519'
          : hex.includes(EC_OID)
            ? 'ec'
            : 'other'
  } else if (isCryptoKey(key)) {
    if (key.type !== 'private') return 'privateKey must be a private CryptoKey'
    const name = key.algorithm.name
    found = name === 'RSA-PSS' ? 'rsa' : name === 'Ed25519' ? 'ed25519' : 'other'
    if (alg === 'PS256' && name.startsWith('RSA') && name !== 'RSA-PSS') {
      return 'privateKey is an RSA CryptoKey imported for another algorithm; import it as RSA-PSS with SHA-256'
    }
  } else if (typeof key === 'object' && key !== null && 'kty' in key) {
    const jwk = key as JWK
    if (jwk.kty === 'RSA' && jwk.d === undefined) return 'privateKey is a public JWK; pass the private key'
    if (jwk.kty === 'OKP' && jwk.d === undefined) return 'privateKey is a public JWK; pass the private key'
    found = jwk.kty === 'RSA' ? 'rsa' : jwk.kty === 'OKP' && jwk.crv === 'Ed25519' ? 'ed25519' : 'other'
  }
  if (
    found === undefined ||
    (alg === 'PS256' && found === 'rsa') ||
    (alg === 'EdDSA' && found === 'ed25519')
  ) {
    return undefined
  }
  switch (found) {
    case 'ed25519':
      return `privateKey is an Ed25519 key: set signingAlgorithm: 'EdDSA' (${alg} needs an RSA key)`
    case 'rsa':
      return `privateKey is an RSA key: set signingAlgorithm: 'PS256' (${alg} needs an Ed25519 key)`
    case 'ec':
      return 'privateKey is an EC (ECDSA) key: Jiko signs client assertions with PS256 (RSA) or EdDSA (Ed25519) only'
    default:
      return 'privateKey is PEM, but holds no RSA or Ed25519 private key: check that it is the private key whose public key you registered at Jiko'
  }
}

function pemToHex(pem: string): string | undefined {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  try {
    const binary = atob(body)
    let hex = ''
    for (let i = 0; i < binary.length; i++) hex += binary.charCodeAt(i).toString(16).padStart(2, '0')
    return hex
  } catch {
    return undefined
  }
}
