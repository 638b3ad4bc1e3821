import { createLockReleases, type VersionedAuthStore } from '@jiko-auth/core'

export interface MemoryStorageOptions {
  /** How often expired entries are swept, in milliseconds (default 60 000). The timer never keeps Node alive. */
  sweepIntervalMs?: number
  /** Milliseconds since the epoch (default `Date.now`); tests pass a simulated clock. */
  now?: () => number
}

interface Entry {
  value: string
  expiresAt: number
}

/**
 * An `AuthStore` in this process's memory: a Map with TTL (lazy expiry plus a periodic sweep), an in-process lock,
 * and compare-and-set for fenced writes. For tests and single-process development; sessions are lost on restart
 * and not shared between processes.
 *
 * @example
 * ```ts
 * import { memoryStorage } from '@jiko-auth/storage-memory'
 * const auth = createJikoAuth({ ...options, storage: memoryStorage() })
 * ```
 */
export function memoryStorage(
  options: MemoryStorageOptions = {},
): VersionedAuthStore & { readonly size: number } {
  const now = options.now ?? Date.now
  const entries = new Map<string, Entry>()
  const locks = new Map<string, Entry>()
  const releases = createLockReleases()

  const live = (map: Map<string, Entry>, key: string): Entry | undefined => {
    const entry = map.get(key)
    if (entry && entry.expiresAt <= now()) {
      map.delete(key)
      return undefined
    }
    return entry
  }

  const sweep = setInterval(() => {
    const at = now()
    for (const map of [entries, locks]) {
      for (const [key, entry] of map) if (entry.expiresAt <= at) map.delete(key)
    }
  }, options.sweepIntervalMs ?? 60_000)
  sweep.unref?.()

  return {
    get size() {
      return entries.size
    },
    get(key) {
      return live(entries, key)?.value
    },
    set(key, value, ttlSeconds) {
      if (!(ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive')
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 })
    },
    delete(key) {
      entries.delete(key)
    },
    compareAndSet(key, value, ttlSeconds, expected) {
      if (!(ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive')
      const current = live(entries, key)?.value
      if (current !== expected && current !== value) return false
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 })
      return true
    },
    compareAndDelete(key, expected) {
      const current = live(entries, key)?.value
      if (current !== undefined && current !== expected) return false
      entries.delete(key)
      return true
    },
    acquireLock(key, ttlMs) {
      if (live(locks, key)) return undefined
      const owner = globalThis.crypto.randomUUID()
      locks.set(key, { value: owner, expiresAt: now() + ttlMs })
      return owner
    },
    releaseLock(key, owner) {
      if (live(locks, key)?.value !== owner) return false
      locks.delete(key)
      releases.released(key)
      return true
    },
    // One process holds the whole store: every waiter is told.
    onLockReleased: releases.listen,
    close() {
      clearInterval(sweep)
      entries.clear()
      locks.clear()
    },
  }
}
