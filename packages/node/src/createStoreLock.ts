import { ErrorCode, JikoAuthError } from '@jiko-auth/core'
import type { JikoAuthLogger } from './options.js'

/**
 * A caller that finds a lock taken waits for the holder's result. With a store that says when a lock is released
 * (`onLockReleased`), it sleeps until the release, then reads the result once; it also looks every 250 ms, for a
 * release it could not hear. Otherwise it polls: soon at first, then every 5 ms, and tries the lock again at most
 * every 20 ms. One caller per process and key waits (the others share its promise), so a polling process costs the
 * store ~200 reads and ~50 lock attempts a second, a notified one a read and a lock attempt per release.
 */
const FIRST_WAIT_POLL_MS = 2
const MAX_WAIT_POLL_MS = 5
const LOCK_RETRY_MS = 20
const NOTIFIED_WAIT_POLL_MS = 250

/** What `ifFree` answers when another caller holds the lock. */
export const BUSY = Symbol('busy')

/** The store's lock operations (a `SessionStore`'s, whose failures are already `JIKO_STORAGE_ERROR`). */
export interface LockOperations {
  acquireLock(lockKey: string, ttlMs: number): Promise<string | undefined>
  releaseLock(lockKey: string, owner: string): Promise<boolean>
  /** The store's wake-up at a release, when it has one (`AuthStore.onLockReleased`). */
  onLockReleased?(lockKey: string, listener: () => void): () => void
}

export interface StoreLock {
  /**
   * Runs `work` holding the lock if nobody holds it; `BUSY` otherwise. A lock this process could not release earlier
   * (the store failed) is released first; one it cannot release now is remembered for next time.
   */
  ifFree<T>(lockKey: string, work: () => Promise<T>): Promise<T | typeof BUSY>
  /**
   * Runs `work` holding the lock, waiting while another caller (in any process) holds it. While waiting, `settled`
   * may end the wait with an answer of its own (the holder's result). Gives up after twice the lock's time.
   */
  hold<T>(lockKey: string, work: () => Promise<T>, settled?: () => Promise<T | undefined>): Promise<T>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The one lock every lock taker uses (sessions and the service client): see `StoreLock`. */
export function createStoreLock(
  store: LockOperations,
  options: { lockMs: number; logger: JikoAuthLogger; what: string },
): StoreLock {
  /** Locks this process took but could not release (the store failed): released first when next needed. */
  const unreleased = new Map<string, string>()

  async function ifFree<T>(lockKey: string, work: () => Promise<T>): Promise<T | typeof BUSY> {
    const stale = unreleased.get(lockKey)
    if (stale !== undefined) {
      await store.releaseLock(lockKey, stale)
      unreleased.delete(lockKey)
    }
    const owner = await store.acquireLock(lockKey, options.lockMs)
    if (owner === undefined) return BUSY
    try {
      return await work()
    } finally {
      await store.releaseLock(lockKey, owner).catch(() => {
        unreleased.set(lockKey, owner)
        options.logger.warn?.(
          `jiko-auth: could not release a ${options.what} lock; it will be released on next use`,
        )
      })
    }
  }

  async function hold<T>(
    lockKey: string,
    work: () => Promise<T>,
    settled?: () => Promise<T | undefined>,
  ): Promise<T> {
    const giveUpAt = Date.now() + options.lockMs * 2
    // Listening starts before the first attempt, so a release between a refused attempt and the wait is heard.
    const released = releases(lockKey)
    let pause = FIRST_WAIT_POLL_MS
    let nextAttemptAt = 0
    try {
      for (;;) {
        if (released || Date.now() >= nextAttemptAt) {
          const result = await ifFree(lockKey, work)
          if (result !== BUSY) return result
          nextAttemptAt = Date.now() + LOCK_RETRY_MS
        }
        if (released) await released.next(NOTIFIED_WAIT_POLL_MS)
        else {
          await sleep(pause)
          pause = Math.min(pause * 2, MAX_WAIT_POLL_MS)
        }
        const answer = await settled?.()
        if (answer !== undefined) return answer
        if (Date.now() > giveUpAt) {
          throw new JikoAuthError(
            ErrorCode.StorageError,
            `Timed out waiting for another process's ${options.what}`,
            {
              hint: 'Check the lock of the storage backend; nothing was changed',
            },
          )
        }
      }
    } finally {
      released?.stop()
    }
  }

  /** The releases of `lockKey` the store tells of, as a wait that ends at the next one (or after `maxMs`). */
  function releases(lockKey: string) {
    if (!store.onLockReleased) return undefined
    let heard = false
    let wake: (() => void) | undefined
    const stop = store.onLockReleased(lockKey, () => {
      heard = true
      wake?.()
    })
    return {
      stop,
      next: (maxMs: number) =>
        new Promise<void>((resolve) => {
          if (heard) {
            heard = false
            return resolve()
          }
          const timer = setTimeout(done, maxMs)
          function done() {
            clearTimeout(timer)
            heard = false
            wake = undefined
            resolve()
          }
          wake = done
        }),
    }
  }

  return { ifFree, hold }
}
