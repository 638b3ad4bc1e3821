/** A value or a promise of it: memory stores answer synchronously, network stores asynchronously. */
export type MaybePromise<T> = T | Promise<T>

/**
 * The storage contract every `@jiko-auth/storage-*` adapter implements. Values are opaque strings (already
 * encrypted by the caller). The lock lets exactly one of many processes refresh a session. Every call must settle:
 * a network store gives up with an error after a deadline of its own rather than leave a request waiting.
 *
 * A lock named `<key>:<purpose>` guards the value `<key>` (a session's refresh lock is `<session key>:refresh`): a
 * store that shards its keys keeps the two on one shard, so that they fail over together.
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
  /**
   * Optional fencing (see {@link VersionedAuthStore}): stores `value` only if `key` holds exactly `expected` now,
   * in one atomic step. Resolves `true` when written, and also when `key` already holds `value` (a retried call
   * whose first attempt landed); `false`, changing nothing, when `key` holds anything else or nothing.
   */
  compareAndSet?(key: string, value: string, ttlSeconds: number, expected: string): MaybePromise<boolean>
  /**
   * Optional fencing: deletes `key` only if it holds exactly `expected`, in one atomic step. Resolves `false`,
   * changing nothing, only when `key` holds another value; `true` when it was deleted or was already gone.
   */
  compareAndDelete?(key: string, expected: string): MaybePromise<boolean>
  /**
   * Optional wake-up: calls `listener` when the lock on `key` is released by its owner, in any process the store
   * can hear from; answers a function that stops listening. A caller waiting for a lock listens before it tries the
   * lock, and wakes at the release instead of polling; it still polls, rarely, for a release it cannot hear (a
   * holder that died, a lock that expired). A store without it is polled.
   */
  onLockReleased?(key: string, listener: () => void): () => void
  /** Frees connections and timers. */
  close?(): MaybePromise<void>
}

/**
 * An `AuthStore` with the optional fencing operations. A value's version is the value itself: callers store
 * sealed values (a fresh random IV each time), so two writes never store the same string, and "the key still holds
 * the value I read" is an exact version check that needs no format the store would have to parse. A store without
 * them still works: callers fall back to read, compare and write under the lock, which a writer whose lock was
 * lost (a Redis failover, a pause past the lock's TTL) can slip between.
 *
 * @example
 * ```ts
 * const before = await store.get(key)
 * if (before && !(await store.compareAndSet(key, next, 3600, before))) {
 *   // another writer stored a newer value meanwhile: read it instead of overwriting it
 * }
 * ```
 */
export type VersionedAuthStore = AuthStore & Required<Pick<AuthStore, 'compareAndSet' | 'compareAndDelete'>>
