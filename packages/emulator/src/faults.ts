/** A fault the token endpoint will answer with. */
export type TokenFault =
  | { type: 'status'; status: number; count?: number; retryAfterSeconds?: number }
  | { type: 'malformedJson'; count?: number }
  | { type: 'dropConnection'; count?: number }
  | { type: 'invalidGrantOnRefresh'; count?: number }
  | { type: 'respond'; status: number; body: string; contentType?: string; count?: number }

/**
 * How `faults.tamperIdToken()` breaks an id_token. Claim tampering re-signs with the emulator's real signing key
 * (same `kid`, RS256), so only the named claim is wrong.
 *
 * - `badSignature`: the last byte of the signature changed
 * - `algNone`: header `alg: "none"`, empty signature
 * - `hs256`: re-signed with HS256, the client_id as the secret (`kid` kept)
 * - `wrongIssuer`: `iss` = `https://evil.example`
 * - `wrongAudience`: `aud` = `someone-else`
 * - `multipleAudiencesNoAzp`: `aud` = `[client_id, 'other']` and no `azp`
 * - `expired`: `exp` = `iat` = one hour ago
 * - `wrongNonce`: `nonce` = `not-the-nonce`
 * - `otherSubject`: `sub` = `mallory` (on a refresh whose answer has no id_token, one is minted for `mallory`)
 * - `missing`: the id_token is removed from the answer
 *
 * @example
 * ```ts
 * const kind: IdTokenTamper = 'wrongNonce'
 * emulator.faults.tamperIdToken(kind)
 * ```
 */
export type IdTokenTamper = (typeof ID_TOKEN_TAMPERS)[number]

/**
 * Every {@link IdTokenTamper}, for validating input.
 *
 * @example
 * ```ts
 * for (const kind of ID_TOKEN_TAMPERS) emulator.faults.tamperIdToken(kind, { count: 1 })
 * ```
 */
export const ID_TOKEN_TAMPERS = [
  'badSignature',
  'algNone',
  'hs256',
  'wrongIssuer',
  'wrongAudience',
  'multipleAudiencesNoAzp',
  'expired',
  'wrongNonce',
  'otherSubject',
  'missing',
] as const

/**
 * Which token responses `faults.tamperIdToken()` applies to.
 *
 * @example
 * ```ts
 * const options: IdTokenTamperOptions = { count: 2, grant: 'refresh_token' }
 * emulator.faults.tamperIdToken('otherSubject', options)
 * ```
 */
export interface IdTokenTamperOptions {
  /** How many token responses to tamper with (default 1). */
  count?: number
  /** Only responses to this grant type (default: either). */
  grant?: 'authorization_code' | 'refresh_token'
}

/**
 * What the discovery document (`/.well-known/openid-configuration`, and `/.well-known/oauth-authorization-server`)
 * answers instead of the real metadata.
 *
 * - `status`: that HTTP status with an HTML body
 * - `issuer`: the real metadata with `issuer` replaced
 * - `drop`: the connection is destroyed without an answer
 *
 * @example
 * ```ts
 * const fault: DiscoveryFault = { type: 'issuer', issuer: 'https://evil.example' }
 * emulator.faults.discovery(fault)
 * ```
 */
export type DiscoveryFault =
  | { type: 'status'; status: number }
  | { type: 'issuer'; issuer: string }
  | { type: 'drop' }

/**
 * Faults injected at run time, each one resettable: through the handle `startEmulator()` returns, or with
 * `POST /__emulator/faults` (JSON) and `DELETE /__emulator/faults`.
 *
 * @example
 * ```ts
 * emulator.faults.failTokenRequests({ status: 429, count: 1, retryAfterSeconds: 2 })
 * emulator.faults.tamperIdToken('wrongNonce', { grant: 'authorization_code' })
 * emulator.faults.discovery({ type: 'status', status: 503 })
 * emulator.faults.reset()
 * ```
 */
export class Faults {
  /** Milliseconds every token and revocation request waits before it is handled. */
  delayMs = 0
  /** Seconds added to `iat`/`exp` of issued access tokens (a server clock that is off). */
  clockSkewSeconds = 0
  /** What discovery answers instead of the metadata, until `discovery(undefined)` or `reset()`. */
  discoveryFault: DiscoveryFault | undefined
  #queue: Required<TokenFault>[] = []
  #tampers: { kind: IdTokenTamper; count: number; grant?: string }[] = []

  /** Delays every token request by `ms`. */
  delay(ms: number): void {
    this.delayMs = ms
  }

  /** The next `count` token requests answer `status` (5xx, or 429 with `Retry-After`). */
  failTokenRequests(options: { status: number; count?: number; retryAfterSeconds?: number }): void {
    this.add({ type: 'status', ...options })
  }

  /** The next `count` token responses are truncated JSON. */
  malformedJson(count = 1): void {
    this.add({ type: 'malformedJson', count })
  }

  /** The next `count` token requests have their connection destroyed without an answer. */
  dropConnection(count = 1): void {
    this.add({ type: 'dropConnection', count })
  }

  /** The next `count` refresh_token grants answer invalid_grant. */
  invalidGrantOnNextRefresh(count = 1): void {
    this.add({ type: 'invalidGrantOnRefresh', count })
  }

  /** The next `count` token requests get this answer instead (any status, body and content type). */
  respondWith(options: { status: number; body: string; contentType?: string; count?: number }): void {
    this.add({ type: 'respond', ...options })
  }

  /** Issues access tokens whose `iat`/`exp` are off by `seconds`. */
  skewClock(seconds: number): void {
    this.clockSkewSeconds = seconds
  }

  /**
   * The next `count` token responses that carry an id_token (of grant type `grant`, if given) get a tampered one
   * instead; see {@link IdTokenTamper} for the kinds.
   *
   * @example
   * ```ts
   * emulator.faults.tamperIdToken('badSignature')
   * emulator.faults.tamperIdToken('otherSubject', { grant: 'refresh_token' })
   * ```
   */
  tamperIdToken(kind: IdTokenTamper, options: IdTokenTamperOptions = {}): void {
    if (!ID_TOKEN_TAMPERS.includes(kind)) {
      throw new Error(`unknown id_token tamper "${kind}": use one of ${ID_TOKEN_TAMPERS.join(', ')}`)
    }
    const { count = 1, grant } = options
    if (grant !== undefined && grant !== 'authorization_code' && grant !== 'refresh_token') {
      throw new Error(`grant must be "authorization_code" or "refresh_token", not "${grant}"`)
    }
    this.#tampers.push({ kind, count, ...(grant ? { grant } : {}) })
  }

  /**
   * Takes the id_token tamper that applies to a successful token response, if any. A response without an id_token
   * takes only `otherSubject` on a refresh (which mints one).
   */
  takeIdTokenTamper(grantType: string, hasIdToken: boolean): IdTokenTamper | undefined {
    const index = this.#tampers.findIndex(
      (t) =>
        (t.grant === undefined || t.grant === grantType) &&
        (hasIdToken || (t.kind === 'otherSubject' && grantType === 'refresh_token')),
    )
    const next = this.#tampers[index]
    if (!next) return undefined
    next.count -= 1
    if (next.count <= 0) this.#tampers.splice(index, 1)
    return next.kind
  }

  /**
   * Makes discovery answer `fault` until it is cleared with `discovery(undefined)` or `reset()`.
   *
   * @example
   * ```ts
   * emulator.faults.discovery({ type: 'status', status: 503 })
   * emulator.faults.discovery(undefined)
   * ```
   */
  discovery(fault: DiscoveryFault | undefined): void {
    if (fault && !['status', 'issuer', 'drop'].includes(fault.type)) {
      throw new Error(`discovery fault type must be "status", "issuer" or "drop", not "${fault.type}"`)
    }
    this.discoveryFault = fault
  }

  /** Adds any fault (what the admin endpoint calls). */
  add(fault: TokenFault): void {
    const withDefaults = {
      count: 1,
      retryAfterSeconds: 1,
      contentType: 'application/json',
      ...fault,
    } as unknown as Required<TokenFault>
    this.#queue.push(withDefaults)
  }

  /** Whether the next token request should be intercepted before its grant type is known. */
  get needsGrantType(): boolean {
    return this.#queue[0]?.type === 'invalidGrantOnRefresh'
  }

  /** Takes the fault that applies to this token request, if any. */
  take(grantType: string | undefined): Required<TokenFault> | undefined {
    const next = this.#queue[0]
    if (!next) return undefined
    if (next.type === 'invalidGrantOnRefresh' && grantType !== 'refresh_token') return undefined
    next.count -= 1
    if (next.count <= 0) this.#queue.shift()
    return next
  }

  /** Clears every fault. */
  reset(): void {
    this.delayMs = 0
    this.clockSkewSeconds = 0
    this.discoveryFault = undefined
    this.#queue = []
    this.#tampers = []
  }
}
