import { describeAuthStoreContract } from '@jiko-auth/storage-contract'
import { describe, expect, it } from 'vitest'
import { memoryStorage } from '../src/index.js'

function clocked() {
  let now = 1_000_000
  const store = memoryStorage({ now: () => now, sweepIntervalMs: 10 })
  return { store, advance: (ms: number) => (now += ms) }
}

describe('memoryStorage', () => {
  it('stores, overwrites, deletes, and expires by TTL', () => {
    const { store, advance } = clocked()
    store.set('k', 'v1', 10)
    store.set('k', 'v2', 10)
    expect(store.get('k')).toBe('v2')
    advance(9_999)
    expect(store.get('k')).toBe('v2')
    advance(1)
    expect(store.get('k')).toBeUndefined()
    store.set('d', 'x', 10)
    store.delete('d')
    expect(store.get('d')).toBeUndefined()
    store.close?.()
  })

  it('refuses a non-positive TTL', () => {
    const store = memoryStorage()
    expect(() => store.set('k', 'v', 0)).toThrow(RangeError)
    store.close?.()
  })

  it('gives the lock to one owner at a time; only the owner releases; it expires', () => {
    const { store, advance } = clocked()
    const owner = store.acquireLock('l', 1000)
    expect(owner).toEqual(expect.any(String))
    expect(store.acquireLock('l', 1000)).toBeUndefined()
    expect(store.releaseLock('l', 'not-the-owner')).toBe(false)
    expect(store.acquireLock('l', 1000)).toBeUndefined()
    advance(1000)
    const next = store.acquireLock('l', 1000)
    expect(next).toBeDefined()
    expect(store.releaseLock('l', owner as string)).toBe(false)
    expect(store.releaseLock('l', next as string)).toBe(true)
    store.close?.()
  })

  it('sweeps expired entries without a read', async () => {
    const { store, advance } = clocked()
    store.set('a', '1', 1)
    advance(1000)
    await expect.poll(() => store.size).toBe(0)
    store.close?.()
  })
})

describeAuthStoreContract(
  'memoryStorage',
  async () => {
    let now = Date.now()
    return {
      store: memoryStorage({ now: () => now }),
      advance: (ms) => {
        now += ms
      },
    }
  },
  { survivesRestart: false, fencing: true, releases: 'in its process' },
)
