/**
 * The listeners of lock releases, by lock key: what a store needs to offer `AuthStore.onLockReleased`. The store
 * calls `released(key)` when it hears of a release (its own `releaseLock`, or a message from its backend).
 *
 * @example
 * ```ts
 * const releases = createLockReleases()
 * const store = { ...operations, onLockReleased: releases.listen }
 * // in releaseLock, once released:
 * releases.released(key)
 * ```
 */
export function createLockReleases() {
  const listeners = new Map<string, Set<() => void>>()
  return {
    listen(key: string, listener: () => void): () => void {
      const set = listeners.get(key) ?? new Set()
      listeners.set(key, set)
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0 && listeners.get(key) === set) listeners.delete(key)
      }
    },
    released(key: string): void {
      for (const listener of listeners.get(key) ?? []) listener()
    },
    /** Whether anyone listens now (a store may skip telling its backend otherwise). */
    get size() {
      return listeners.size
    },
  }
}

export type LockReleases = ReturnType<typeof createLockReleases>
