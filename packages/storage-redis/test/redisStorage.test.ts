import { ErrorCode } from '@jiko-auth/core'
import { describeAuthStoreContract, type RedisServer, startRedisServer } from '@jiko-auth/storage-contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStorage } from '../src/index.js'

let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(() => server?.stop())

describeAuthStoreContract(
  'redisStorage (a real redis-server)',
  async () => {
    const prefix = `contract-${Date.now()}:`
    return {
      store: redisStorage({ url: server.url, prefix }),
      reopen: async () => redisStorage({ url: server.url, prefix }),
      another: async () => redisStorage({ url: server.url, prefix }),
    }
  },
  { survivesRestart: true, fencing: true, releases: 'across processes' },
)

async function timed<T>(promise: Promise<T>) {
  const started = performance.now()
  const outcome = await promise.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error: error as { code?: string } }),
  )
  return { ...outcome, ms: performance.now() - started }
}

describe('redisStorage when Redis fails', () => {
  it('answers JIKO_STORAGE_ERROR within the command timeout when Redis hangs, and loses nothing', async () => {
    const store = redisStorage({ url: server.url, prefix: 'hang:', commandTimeoutMs: 300 })
    await store.set('k', 'kept', 60)
    server.pause()
    try {
      const { error, ms } = await timed(store.get('k') as Promise<unknown>)
      expect(error?.code).toBe(ErrorCode.StorageError)
      expect(ms).toBeLessThan(2000)
    } finally {
      server.resume()
    }
    await expect
      .poll(async () => (await timed(store.get('k') as Promise<unknown>)).value, { timeout: 5000 })
      .toBe('kept')
    await store.close?.()
  })

  it('answers JIKO_STORAGE_ERROR at once while Redis is down, and works again when it returns', async () => {
    const store = redisStorage({ url: server.url, prefix: 'down:', commandTimeoutMs: 500 })
    await store.set('before', 'x', 60)
    await server.stop()
    try {
      const { error, ms } = await timed(store.set('k', 'v', 60) as Promise<unknown>)
      expect(error?.code).toBe(ErrorCode.StorageError)
      expect(ms).toBeLessThan(1500)
      const lock = await timed(store.acquireLock('l', 1000) as Promise<unknown>)
      expect(lock.error?.code).toBe(ErrorCode.StorageError)
    } finally {
      await server.start()
    }
    await expect
      .poll(async () => (await timed(store.set('k', 'v', 60) as Promise<unknown>)).error, { timeout: 10_000 })
      .toBeUndefined()
    expect(await store.get('k')).toBe('v')
    await store.close?.()
  })

  it('refuses to start without a url or client', () => {
    expect(() => redisStorage({})).toThrow(expect.objectContaining({ code: ErrorCode.ConfigInvalid }))
  })

  it('keeps values and locks in separate namespaces', async () => {
    const store = redisStorage({ url: server.url, prefix: 'ns:' })
    await store.set('l:x', 'data', 60)
    expect(await store.acquireLock('x', 5000)).toBeDefined()
    expect(await store.get('l:x')).toBe('data')
    await store.close?.()
  })
})
