import type { AuthStore } from '@jiko-auth/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

export interface ContractSubject {
  store: AuthStore
  /** Moves the store's clock forward; without it, expiry is awaited in real time (short TTLs, polled). */
  advance?: (ms: number) => void
  /** Closes and reopens the same backend (a restart); omit when the backend keeps nothing across a restart. */
  reopen?: () => Promise<AuthStore>
  cleanup?: () => Promise<void> | void
}

/**
 * The one contract every AuthStore adapter passes, run against its real backend.
 *
 * @example
 * ```ts
 * describeAuthStoreContract('sqliteStorage', async () => ({ store: sqliteStorage({ path }) }), { survivesRestart: true })
 * ```
 */
export function describeAuthStoreContract(
  name: string,
  create: () => Promise<ContractSubject>,
  capabilities: { survivesRestart: boolean },
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
