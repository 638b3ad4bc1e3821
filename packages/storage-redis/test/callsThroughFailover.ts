import type { AuthStore } from '@jiko-auth/core'
import { expect } from 'vitest'

/**
 * `writers` loops of writes and lock round trips on keys all over the store (a dead master's slots included),
 * while `failover()` kills a master and waits for its replica; then until 100 more succeed. What every call gave.
 */
export async function callsThroughFailover(store: AuthStore, writers: number, failover: () => Promise<void>) {
  let writes = 0
  let running = true
  const errors: unknown[] = []
  const load = Array.from({ length: writers }, async (_, w) => {
    for (let n = 0; running; n++) {
      const key = `w${w}-${n % 50}`
      try {
        await store.set(key, String(n), 600)
        const owner = await store.acquireLock(`${key}:refresh`, 5000)
        if (owner) await store.releaseLock(`${key}:refresh`, owner)
        writes++
      } catch (error) {
        errors.push(error)
      }
    }
  })
  await new Promise((resolve) => setTimeout(resolve, 200))
  const started = performance.now()
  await failover()
  const failoverMs = performance.now() - started
  const beforeRecovery = writes
  await expect.poll(() => writes - beforeRecovery, { timeout: 15_000 }).toBeGreaterThan(100)
  running = false
  await Promise.all(load)
  return { writes, errors, failoverMs }
}
