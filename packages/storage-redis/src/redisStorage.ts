import { randomUUID } from 'node:crypto'
import { type AuthStore, ErrorCode, JikoAuthError } from '@jiko-auth/core'
import { createClient, type RedisClientType } from 'redis'

export interface RedisStorageOptions {
  /** `redis://host:port` (or `rediss://` for TLS). Give this or `client`. */
  url?: string
  /** A node-redis client you created (connected or not); `close()` then leaves it open. */
  client?: RedisClientType
  /** Prepended to every key (default `jiko:`; values under `{prefix}v:`, locks under `{prefix}l:`). */
  prefix?: string
  /** A command that has not answered after this many milliseconds fails with `JIKO_STORAGE_ERROR` (default 2 000). */
  commandTimeoutMs?: number
}

/** Deletes the lock only when its value is still this owner's token. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`

/**
 * An `AuthStore` on Redis: the scale-out path, for many processes and hosts. TTLs are `SET … PX`; the refresh
 * lock is `SET NX PX` with a random owner token, released by a Lua compare-and-delete. While Redis is unreachable,
 * every call fails at once with `JIKO_STORAGE_ERROR` (no offline queue, no hang); the client reconnects by itself.
 *
 * @example
 * ```ts
 * import { redisStorage } from '@jiko-auth/storage-redis'
 * const auth = createJikoAuth({ ...options, storage: redisStorage({ url: process.env.REDIS_URL }) })
 * ```
 */
export function redisStorage(options: RedisStorageOptions): AuthStore {
  const prefix = options.prefix ?? 'jiko:'
  const timeout = options.commandTimeoutMs ?? 2000
  if (!options.client && !options.url) {
    throw new JikoAuthError(ErrorCode.ConfigInvalid, 'redisStorage needs a url or a client', {
      field: 'url',
      hint: 'Pass redisStorage({ url: "redis://localhost:6379" })',
    })
  }
  const owned = !options.client
  const client =
    options.client ??
    (createClient({
      url: options.url as string,
      disableOfflineQueue: true,
      socket: { connectTimeout: timeout, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) },
    }) as RedisClientType)
  // Errors surface on each call; an unhandled 'error' event would crash the process.
  client.on('error', () => {})
  // Every command carries the timeout, whoever created the client.
  const commands = client.withCommandOptions({ timeout })
  let connecting: Promise<unknown> | undefined

  async function ready() {
    if (client.isReady) return
    connecting ??= client.connect().finally(() => {
      connecting = undefined
    })
    await connecting
  }

  /**
   * Runs one command with a deadline. node-redis's own timeout stops at the moment a command is written, so a
   * server that stops answering (frozen, partitioned) is caught here instead.
   */
  async function call<T>(operation: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout)
    })
    try {
      return await Promise.race([ready().then(operation), deadline])
    } catch (cause) {
      throw new JikoAuthError(ErrorCode.StorageError, 'Redis did not answer', {
        hint: 'Check that Redis is reachable; nothing was changed by this call',
        cause,
      })
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    async get(key) {
      return (await call(() => commands.get(`${prefix}v:${key}`))) ?? undefined
    },
    async set(key, value, ttlSeconds) {
      if (!(ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive')
      await call(() =>
        commands.set(`${prefix}v:${key}`, value, {
          expiration: { type: 'PX', value: Math.round(ttlSeconds * 1000) },
        }),
      )
    },
    async delete(key) {
      await call(() => commands.del(`${prefix}v:${key}`))
    },
    async acquireLock(key, ttlMs) {
      const owner = randomUUID()
      const reply = await call(() =>
        commands.set(`${prefix}l:${key}`, owner, {
          condition: 'NX',
          expiration: { type: 'PX', value: ttlMs },
        }),
      )
      return reply === 'OK' ? owner : undefined
    },
    async releaseLock(key, owner) {
      const deleted = await call(() =>
        commands.eval(RELEASE_SCRIPT, { keys: [`${prefix}l:${key}`], arguments: [owner] }),
      )
      return deleted === 1
    },
    async close() {
      if (owned && client.isOpen) await client.close()
    },
  }
}
