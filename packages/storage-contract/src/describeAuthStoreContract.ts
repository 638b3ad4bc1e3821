import type { AuthStore, VersionedAuthStore } from '@jiko-auth/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

export interface ContractSubject {
  store: AuthStore
  /** Moves the store's clock forward; without it, expiry is awaited in real time (short TTLs, polled). */
  advance?: (ms: number) => void
  /** Closes and reopens the same backend (a restart); omit when the backend keeps nothing across a restart. */
  reopen?: () => Promise<AuthStore>
  /** Another store on the same backend, as another process would open it (for releases heard across processes). */
  another?: () => Promise<AuthStore>
  cleanup?: () => Promise<void> | void
}

export interface ContractCapabilities {
  /** The backend keeps data across a close and reopen. */
  survivesRestart: boolean
  /** The store has the optional fencing operations (`compareAndSet`, `compareAndDelete`): they are then checked. */
  fencing: boolean
  /**
   * The store tells waiters of a lock's release (`onLockReleased`) wherever they can wait: in its one process (a
   * store that lives in one process), or in every process that shares the backend (checked with `another`).
   */
  releases: false | 'in its process' | 'across processes'
}

/**
 * The one contract every AuthStore adapter passes, run against its real backend.
 *
 * @example
 * ```ts
 * describeAuthStoreContract('sqliteStorage', async () => ({ store: sqliteStorage({ path }) }), {
 *   survivesRestart: true,
 *   fencing: true,
 * })
 * ```
 */
export function describeAuthStoreContract(
  name: string,
  create: () => Promise<ContractSubject>,
  capabilities: ContractCapabilities,
) {
  describe(`${name} satisfies the AuthStore contract`, () => {
    let subject: ContractSubject
    let store: AuthStore
    let n = 0
    const key = (label: string) => `contract:${label}:${++n}:${Date.now()}`

    beforeAll(async () => {
      subject = await create()
      store = subject.store
    })
    afterAll(async () => {
      await store.close?.()
      await subject.cleanup?.()
    })

    async function waitPast(ms: number, check: () => Promise<boolean>) {
      if (subject.advance) {
        subject.advance(ms)
        expect(await check()).toBe(true)
      } else {
        await expect.poll(check, { timeout: ms + 2000, interval: 20 }).toBe(true)
      }
    }

    it('answers undefined for a missing key', async () => {
      expect(await store.get(key('missing'))).toBeUndefined()
    })

    it('stores, overwrites and deletes', async () => {
      const k = key('rw')
      await store.set(k, 'one', 60)
      expect(await store.get(k)).toBe('one')
      await store.set(k, 'two', 60)
      expect(await store.get(k)).toBe('two')
      await store.delete(k)
      expect(await store.get(k)).toBeUndefined()
      await store.delete(k) // deleting what is not there is fine
    })

    it('expires a value after its TTL', async () => {
      const k = key('ttl')
      await store.set(k, 'short', 1)
      await store.set(`${k}:long`, 'long', 600)
      expect(await store.get(k)).toBe('short')
      await waitPast(1000, async () => (await store.get(k)) === undefined)
      expect(await store.get(`${k}:long`)).toBe('long')
    })

    it('keeps 64 KB values and unicode keys intact', async () => {
      const big = 'é🔑x'.repeat((64 * 1024) / 4)
      const k = key('séance:🔑:日本語')
      await store.set(k, big, 60)
      expect(await store.get(k)).toBe(big)
    })

    it('gives a lock to exactly one of 50 concurrent contenders at a time', async () => {
      const k = key('lock')
      let holders = 0
      let maxHolders = 0
      const served = new Set<number>()
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          for (let attempt = 0; attempt < 2000 && !served.has(i); attempt++) {
            const owner = await store.acquireLock(k, 5000)
            if (owner === undefined) {
              await new Promise((resolve) => setImmediate(resolve))
              continue
            }
            holders += 1
            maxHolders = Math.max(maxHolders, holders)
            await new Promise((resolve) => setImmediate(resolve))
            holders -= 1
            served.add(i)
            expect(await store.releaseLock(k, owner)).toBe(true)
          }
        }),
      )
      expect(maxHolders).toBe(1)
      expect(served.size).toBe(50)
    })

    it('refuses a release by a non-owner and keeps the lock', async () => {
      const k = key('owner')
      const owner = await store.acquireLock(k, 5000)
      expect(owner).toEqual(expect.any(String))
      expect(await store.releaseLock(k, 'someone-else')).toBe(false)
      expect(await store.acquireLock(k, 5000)).toBeUndefined()
      expect(await store.releaseLock(k, owner as string)).toBe(true)
      expect(await store.acquireLock(k, 5000)).toEqual(expect.any(String))
    })

    it('frees the lock of a holder that died when its TTL runs out', async () => {
      const k = key('dead')
      const dead = await store.acquireLock(k, 300)
      expect(dead).toBeDefined()
      expect(await store.acquireLock(k, 300)).toBeUndefined()
      let next: string | undefined
      await waitPast(300, async () => {
        next = await store.acquireLock(k, 5000)
        return next !== undefined
      })
      expect(next).not.toBe(dead)
      expect(await store.releaseLock(k, dead as string)).toBe(false)
    })

    if (capabilities.fencing) describeFencing(() => store, key, waitPast)

    if (!capabilities.releases) {
      it('offers no release wake-up (its waiters poll)', () => {
        expect(store.onLockReleased).toBeUndefined()
      })
    } else {
      describe('lock releases (onLockReleased)', () => {
        it('wakes a waiter of the key at its owner’s release, not at a refused one nor another key’s', async () => {
          const k = key('wake')
          const heard: string[] = []
          const stop = listen(store, k, () => heard.push('k'))
          const stopOther = listen(store, `${k}:other`, () => heard.push('other'))
          const cycle = async () => store.releaseLock(k, (await store.acquireLock(k, 10_000)) as string)
          // A subscription may take a moment to open (a waiter polls until then): release until one is heard.
          await expect.poll(async () => heard.length > 0 || ((await cycle()) && false), pollFor).toBe(true)
          heard.length = 0
          const owner = (await store.acquireLock(k, 10_000)) as string
          expect(await store.releaseLock(k, 'not-the-owner')).toBe(false)
          await pause(100)
          expect(heard).toEqual([])
          expect(await store.releaseLock(k, owner)).toBe(true)
          await expect.poll(() => heard, pollFor).toEqual(['k'])
          stop()
          stopOther()
          await cycle()
          await pause(100)
          expect(heard).toEqual(['k'])
        })

        if (capabilities.releases === 'across processes') {
          it('wakes a waiter of another store on the same backend (another process)', async () => {
            if (!subject.another)
              throw new Error(`${name} claims releases across processes but gives no another()`)
            const other = await subject.another()
            try {
              const k = key('wake-across')
              let heard = 0
              const stop = listen(other, k, () => {
                heard += 1
              })
              await expect
                .poll(async () => {
                  if (heard === 0) await store.releaseLock(k, (await store.acquireLock(k, 10_000)) as string)
                  return heard > 0
                }, pollFor)
                .toBe(true)
              stop()
            } finally {
              await other.close?.()
            }
          })
        }
      })
    }

    if (capabilities.survivesRestart) {
      it('keeps data across a close and reopen (restart)', async () => {
        if (!subject.reopen) throw new Error(`${name} claims to survive a restart but gives no reopen()`)
        const k = key('restart')
        await store.set(k, 'kept', 600)
        await store.close?.()
        store = await subject.reopen()
        expect(await store.get(k)).toBe('kept')
      })
    }
  })
}

const pollFor = { timeout: 3000, interval: 50 }
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function listen(store: AuthStore, key: string, listener: () => void): () => void {
  if (!store.onLockReleased) throw new Error('the store claims release wake-ups but has no onLockReleased')
  return store.onLockReleased(key, listener)
}

/** The optional fencing operations: atomic, exact, and safe to repeat. */
function describeFencing(
  current: () => AuthStore,
  key: (label: string) => string,
  waitPast: (ms: number, check: () => Promise<boolean>) => Promise<void>,
) {
  describe('fencing (compareAndSet, compareAndDelete)', () => {
    let store: VersionedAuthStore
    beforeAll(() => {
      const candidate = current()
      if (!candidate.compareAndSet || !candidate.compareAndDelete) {
        throw new Error('the store claims fencing but has no compareAndSet/compareAndDelete')
      }
      store = candidate as VersionedAuthStore
    })

    it('writes over the value it expects, and over nothing else', async () => {
      const k = key('cas:séance:🔑')
      const big = 'é🔑x'.repeat((64 * 1024) / 4)
      await store.set(k, 'v1', 60)
      expect(await store.compareAndSet(k, big, 60, 'v1')).toBe(true)
      expect(await store.get(k)).toBe(big)
      expect(await store.compareAndSet(k, 'v3', 60, 'v1')).toBe(false)
      expect(await store.get(k)).toBe(big)
      expect(await store.compareAndSet(k, 'v3', 60, big)).toBe(true)
      expect(await store.get(k)).toBe('v3')
    })

    it('refuses a key that is missing or has expired (a session that ended stays ended)', async () => {
      const k = key('cas-missing')
      expect(await store.compareAndSet(k, 'v2', 60, 'v1')).toBe(false)
      expect(await store.get(k)).toBeUndefined()
      await store.set(k, 'v1', 1)
      await waitPast(1000, async () => (await store.get(k)) === undefined)
      expect(await store.compareAndSet(k, 'v2', 60, 'v1')).toBe(false)
      expect(await store.get(k)).toBeUndefined()
    })

    it('answers true to a repeated call whose first attempt landed (a retry after a lost reply)', async () => {
      const k = key('cas-retry')
      await store.set(k, 'v1', 60)
      expect(await store.compareAndSet(k, 'v2', 60, 'v1')).toBe(true)
      expect(await store.compareAndSet(k, 'v2', 60, 'v1')).toBe(true)
      expect(await store.get(k)).toBe('v2')
    })

    it('gives its TTL to the value it writes', async () => {
      const k = key('cas-ttl')
      await store.set(k, 'v1', 600)
      expect(await store.compareAndSet(k, 'v2', 1, 'v1')).toBe(true)
      await waitPast(1000, async () => (await store.get(k)) === undefined)
    })

    it('lets exactly one of 20 concurrent writers from the same value win', async () => {
      const k = key('cas-race')
      await store.set(k, 'base', 60)
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.compareAndSet(k, `writer-${i}`, 60, 'base')),
      )
      const winners = results.flatMap((won, i) => (won ? [`writer-${i}`] : []))
      expect(winners).toHaveLength(1)
      expect(await store.get(k)).toBe(winners[0])
    })

    it('deletes only the value it expects; a key already gone counts as deleted', async () => {
      const k = key('cad')
      await store.set(k, 'v2', 60)
      expect(await store.compareAndDelete(k, 'v1')).toBe(false)
      expect(await store.get(k)).toBe('v2')
      expect(await store.compareAndDelete(k, 'v2')).toBe(true)
      expect(await store.get(k)).toBeUndefined()
      expect(await store.compareAndDelete(k, 'v2')).toBe(true)
    })
  })
}
