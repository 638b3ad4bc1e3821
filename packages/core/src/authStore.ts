/** A value or a promise of it: memory stores answer synchronously, network stores asynchronously. */
export type MaybePromise<T> = T | Promise<T>

/**
 * The storage contract every `@jiko-auth/storage-*` adapter implements. Values are opaque strings (already
 * encrypted by the caller). The lock lets exactly one of many processes refresh a session. Every call must settle:
 * a network store gives up with an error after a deadline of its own rather than leave a request waiting.
 *
 * @example
 * ```ts
 * const lease = await store.acquireLock('refresh:abc', 10_000)
 * if (lease) try { await refresh() } finally { await store.releaseLock('refresh:abc', lease) }
 * ```
 */
export interface AuthStore {
  get(key: string): MaybePromise<string | undefined>
  /** Stores `value` under `key` for `ttlSeconds` (> 0); overwrites. */
  set(key: string, value: string, ttlSeconds: number): MaybePromise<void>
  delete(key: string): MaybePromise<void>
  /**
   * Takes the lock on `key` for at most `ttlMs`. Resolves to an owner token when taken, `undefined` when another
   * owner holds it. A holder that dies loses the lock when `ttlMs` runs out.
   */
  acquireLock(key: string, ttlMs: number): MaybePromise<string | undefined>
  /** Releases the lock if `owner` still holds it; resolves `false` (and changes nothing) otherwise. */
  releaseLock(key: string, owner: string): MaybePromise<boolean>
  /** Frees connections and timers. */
  close?(): MaybePromise<void>
}
