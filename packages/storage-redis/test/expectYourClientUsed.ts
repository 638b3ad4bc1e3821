import { expect } from 'vitest'
import { type RedisStorageOptions, redisStorage } from '../src/index.js'

/** A store on `client` works, including fenced writes, and its close() leaves the client open. */
export async function expectYourClientUsed(client: NonNullable<RedisStorageOptions['client']>) {
  const store = redisStorage({ client, prefix: `own-${Date.now()}:` })
  await store.set('k', 'v', 60)
  expect(await store.compareAndSet('k', 'w', 60, 'v')).toBe(true)
  expect(await store.get('k')).toBe('w')
  await store.close?.()
  expect(client.isOpen).toBe(true)
  await client.close()
}
