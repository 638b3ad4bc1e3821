/** A fault the token endpoint will answer with. */
export type TokenFault =
  | { type: 'status'; status: number; count?: number; retryAfterSeconds?: number }
  | { type: 'malformedJson'; count?: number }
  | { type: 'dropConnection'; count?: number }
  | { type: 'invalidGrantOnRefresh'; count?: number }
  | { type: 'respond'; status: number; body: string; contentType?: string; count?: number }

/**
 * Faults injected at run time, each one resettable: through the handle `startEmulator()` returns, or with
 * `POST /__emulator/faults` (JSON) and `DELETE /__emulator/faults`.
 *
 * @example
 * ```ts
 * emulator.faults.failTokenRequests({ status: 429, count: 1, retryAfterSeconds: 2 })
 * emulator.faults.reset()
 * ```
 */
export class Faults {
  /** Milliseconds every token and revocation request waits before it is handled. */
  delayMs = 0
  /** Seconds added to `iat`/`exp` of issued access tokens (a server clock that is off). */
  clockSkewSeconds = 0
  #queue: Required<TokenFault>[] = []

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
    this.#queue = []
  }
}
