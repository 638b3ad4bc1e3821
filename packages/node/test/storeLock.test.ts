// The one lock: a waiter sleeps until the store says the lock was released (no polling), and still finds a release
// it could not hear (a holder that died) by looking now and then; without the wake-up, it polls.
import { memoryStorage } from '@jiko-auth/storage-memory'
import { describe, expect, it } from 'vitest'
import { createStoreLock, type LockOperations } from '../src/createStoreLock.js'

/** A real memory store's lock operations, counting what a waiter asks of the store. */
function countedStore(options: { wakeUps: boolean }) {
  const store = memoryStorage()
  const calls = { acquire: 0, settled: 0 }
  const operations: LockOperations = {
    acquireLock: async (key, ttlMs) => {
      calls.acquire += 1
      return store.acquireLock(key, ttlMs)
    },
    releaseLock: async (key, owner) => store.releaseLock(key, owner),
    ...(options.wakeUps && store.onLockReleased ? { onLockReleased: store.onLockReleased } : {}),
  }
  return { store, operations, calls }
}

const lockOf = (operations: LockOperations) =>
  createStoreLock(operations, { lockMs: 10_000, logger: {}, what: 'test' })

describe('createStoreLock', () => {
  it('with wake-ups, a waiter sleeps through a 300 ms hold and answers at the release', async () => {
    const { store, operations, calls } = countedStore({ wakeUps: true })
    const owner = (await store.acquireLock('k', 10_000)) as string
    let result: string | undefined
    const started = Date.now()
    const waiting = lockOf(operations).hold(
      'k',
      async () => 'took the lock',
      async () => {
        calls.settled += 1
        return result
      },
    )
    setTimeout(() => {
      result = 'the holder’s result'
      store.releaseLock('k', owner)
    }, 300)
    expect(await waiting).toBe('the holder’s result')
    expect(Date.now() - started).toBeLessThan(400)
    // One attempt, a look after the fallback's 250 ms, the look at the release: no polling every few ms.
    expect(calls.acquire).toBeLessThanOrEqual(2)
    expect(calls.settled).toBeLessThanOrEqual(2)
  })

  it('with wake-ups, a release it cannot hear (the holder died, its lock expired) is found by looking again', async () => {
    const { store, operations } = countedStore({ wakeUps: true })
    await store.acquireLock('k', 200) // never released: it expires
    const answer = await lockOf(operations).hold('k', async () => 'took the lock after expiry')
    expect(answer).toBe('took the lock after expiry')
  })

  it('without wake-ups, a waiter polls (every few ms)', async () => {
    const { store, operations, calls } = countedStore({ wakeUps: false })
    const owner = (await store.acquireLock('k', 10_000)) as string
    let result: string | undefined
    setTimeout(() => {
      result = 'done'
      store.releaseLock('k', owner)
    }, 300)
    const answer = await lockOf(operations).hold(
      'k',
      async () => 'took the lock',
      async () => {
        calls.settled += 1
        return result
      },
    )
    expect(answer).toBe('done')
    expect(calls.settled).toBeGreaterThan(20)
  })
})
