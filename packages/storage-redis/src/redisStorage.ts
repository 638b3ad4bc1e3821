import { randomUUID } from 'node:crypto'
import { createLockReleases, ErrorCode, JikoAuthError, type VersionedAuthStore } from '@jiko-auth/core'
import {
  createClient,
  createCluster,
  createSentinel,
  ErrorReply,
  type RedisClientType,
  RedisCluster,
  type RedisClusterOptions,
  type RedisClusterType,
  RedisSentinel,
  type RedisSentinelOptions,
  type RedisSentinelType,
} from 'redis'
import { lockKeyOf } from './lockKeyOf.js'

export interface RedisStorageOptions {
  /** `redis://host:port` (or `rediss://` for TLS): one Redis. Give exactly one of `url`, `cluster`, `sentinel`, `client`. */
  url?: string
  /**
   * A Redis Cluster: node-redis `createCluster` options (`rootNodes`, and `defaults` for credentials and TLS).
   * Reads and writes go to masters (`useReplicas` is turned off: a replica may answer with a session older than
   * a refresh that was just stored).
   */
  cluster?: RedisClusterOptions
  /** Redis behind Sentinel: node-redis `createSentinel` options (`name`, `sentinelRootNodes`, `nodeClientOptions`). */
  sentinel?: RedisSentinelOptions
  /**
   * A node-redis client, cluster (`createCluster`) or sentinel (`createSentinel`) you created, connected or not;
   * `close()` then leaves it open. Give it `disableOfflineQueue: true` (a command sent while disconnected then
   * fails at once instead of waiting for the deadline).
   */
  client?: RedisClientType | RedisClusterType | RedisSentinelType
  /** Prepended to every key (default `jiko:`; values under `{prefix}v:`, locks under `{prefix}l:`). */
  prefix?: string
  /**
   * A call that has not succeeded after this many milliseconds fails with `JIKO_STORAGE_ERROR` (default 2 000).
   * On a cluster or behind Sentinel a call is retried within this time while a failover is under way: set it above
   * your failover time (about twice `cluster-node-timeout`, or Sentinel's `down-after-milliseconds` plus the
   * election) for a failover to cost latency rather than errors.
   */
  commandTimeoutMs?: number
}

/** The commands this store sends, which a client, a cluster and a sentinel all have. */
interface Commands {
  get(key: string): Promise<string | null>
  set(key: string, value: string, options: { expiration: { type: 'PX'; value: number } }): Promise<unknown>
  del(key: string): Promise<number>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

/** A connection in subscriber mode. */
interface Subscriber {
  readonly isOpen: boolean
  on(event: 'error', listener: (error: unknown) => void): unknown
  connect(): Promise<unknown>
  close(): Promise<void>
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
}

/** The connection's own surface, the same on a client, a cluster and a sentinel. */
interface Connection {
  /** A new connection with the same options (a client's; used for the release channel on one Redis). */
  duplicate(): Subscriber
  readonly isOpen: boolean
  readonly isReady: boolean
  connect(): Promise<unknown>
  close(): Promise<void>
  destroy(): unknown
  on(event: 'error' | 'node-error', listener: (error: unknown) => void): unknown
  off(event: 'node-error', listener: (error: unknown) => void): unknown
  withCommandOptions(options: { timeout: number }): unknown
}

/** Deletes the lock only when its value is still this owner's token. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`

/** The same, and tells the waiters of every process: a message with the lock's key on channel ARGV[2]. */
const RELEASE_AND_PUBLISH_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], KEYS[1])
  return 1
end
return 0`

/** SET NX PX that also answers 1 to its own owner: a retried acquire whose first attempt landed still holds it. */
const ACQUIRE_SCRIPT = `local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then return 1 end
return 0`

/** Writes ARGV[1] only over ARGV[2] (the value the caller read), or over itself (a retry that landed). */
const COMPARE_AND_SET_SCRIPT = `local current = redis.call('GET', KEYS[1])
if current == ARGV[2] or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return 1
end
return 0`

/** Deletes the key only while it holds ARGV[1]; answers 0 only when it holds another value. */
const COMPARE_AND_DELETE_SCRIPT = `local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
if current == false then return 1 end
return 0`

/** Error replies that a failover or a resharding gives for a while; anything else is the command's own error. */
const PASSING_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN|NOREPLICAS|MOVED|ASK)\b/
const FIRST_RETRY_MS = 25
const MAX_RETRY_MS = 250
/** How long a first connection to a cluster goes on after a node could not be reached, before it is given up. */
const UNREACHABLE_NODE_GRACE_MS = 250

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * An `AuthStore` on Redis: the scale-out path, for many processes and hosts, on one Redis, a Redis Cluster or
 * Redis behind Sentinel. TTLs are `SET … PX`; the refresh lock is a `SET NX PX` (in Lua) with a random owner token,
 * released by a Lua compare-and-delete; fenced writes (`compareAndSet`) are one Lua script. On a cluster a lock
 * lives in its value's hash slot. Every call has a deadline and there is no offline queue: while Redis is
 * unreachable, calls fail with `JIKO_STORAGE_ERROR` (at once on one Redis; after retrying until the deadline on a
 * cluster or behind Sentinel, where a failover is expected to end); the client reconnects by itself and node-redis
 * follows `MOVED`/`ASK` and topology changes.
 *
 * @example
 * ```ts
 * import { redisStorage } from '@jiko-auth/storage-redis'
 * const storage = redisStorage({ url: process.env.REDIS_URL })
 * const clustered = redisStorage({
 *   cluster: { rootNodes: [{ url: 'redis://10.0.0.1:6379' }, { url: 'redis://10.0.0.2:6379' }] },
 *   commandTimeoutMs: 5000,
 * })
 * const auth = createJikoAuth({ ...options, storage })
 * ```
 */
export function redisStorage(options: RedisStorageOptions): VersionedAuthStore {
  const prefix = options.prefix ?? 'jiko:'
  const timeout = options.commandTimeoutMs ?? 2000
  const owned = !options.client
  let client = connectionOf(options, timeout)
  let commands = use(client, timeout)
  // A cluster or a sentinel fails over: a call is retried until its deadline instead of failing at once.
  const failsOver = client instanceof RedisCluster || client instanceof RedisSentinel
  const sharded = client instanceof RedisCluster
  let connecting: Promise<void> | undefined
  /** A cluster or sentinel connected once: from then on it reconnects and follows the topology by itself. */
  let opened = false

  const valueKey = (key: string) => `${prefix}v:${key}`
  const lockKey = (key: string) => (sharded ? lockKeyOf(key, prefix) : `${prefix}l:${key}`)
  // Releases are published on one Redis (pub/sub): waiters in every process wake at a release instead of polling.
  // A cluster or a sentinel is polled (its pub/sub would follow the failover on a connection of its own).
  const releases = failsOver ? undefined : createReleaseChannel(() => client, `${prefix}released`)

  async function ready() {
    if (client.isReady || opened) return
    connecting ??= connect().finally(() => {
      connecting = undefined
    })
    await connecting
  }

  /**
   * Connects. node-redis connects a cluster to every master of the topology it reads and waits for each: one that
   * first connects while a master is down waits for it forever (a node that was never ready does not make it look
   * for a new topology). So a first connection of a cluster of ours during which a node cannot be reached is given
   * up, and a new client, which will read the topology of that moment, is made for the next attempt.
   */
  async function connect() {
    if (!sharded || !owned) {
      await client.connect()
      opened = failsOver
      return
    }
    const attempt = client.connect()
    let timer: ReturnType<typeof setTimeout> | undefined
    let unreachableNode = () => {}
    const stuck = new Promise<'stuck'>((resolve) => {
      unreachableNode = () => {
        timer ??= setTimeout(() => resolve('stuck'), UNREACHABLE_NODE_GRACE_MS)
      }
    })
    const connecting = client
    connecting.on('node-error', unreachableNode)
    try {
      if ((await Promise.race([attempt, stuck])) === 'stuck') {
        attempt.catch(() => {})
        connecting.destroy()
        client = connectionOf(options, timeout)
        commands = use(client, timeout)
        throw new Error('a node of the cluster could not be reached while connecting')
      }
      opened = true
    } finally {
      clearTimeout(timer)
      connecting.off('node-error', unreachableNode)
    }
  }

  /** One attempt, or (on a cluster or sentinel) attempts until one succeeds or `gaveUp()`. */
  async function attempt<T>(operation: () => Promise<T>, gaveUp: () => boolean): Promise<T> {
    for (let pause = FIRST_RETRY_MS; ; pause = Math.min(pause * 2, MAX_RETRY_MS)) {
      try {
        await ready()
        return await operation()
      } catch (error) {
        if (!failsOver || gaveUp() || (error instanceof ErrorReply && !PASSING_REPLY.test(error.message))) {
          throw error
        }
        await sleep(pause)
      }
    }
  }

  /**
   * Runs one operation with a deadline. node-redis's own timeout stops at the moment a command is written, so a
   * server that stops answering (frozen, partitioned) is caught here instead. Every operation is safe to repeat:
   * whole-value writes, and scripts that recognise their own earlier attempt.
   */
  async function call<T>(operation: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    let over = false
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout)
    })
    try {
      return await Promise.race([attempt(operation, () => over), deadline])
    } catch (cause) {
      throw new JikoAuthError(ErrorCode.StorageError, 'Redis did not answer', {
        hint: failsOver
          ? 'Check that the cluster has a master for every slot; raise commandTimeoutMs above your failover time'
          : 'Check that Redis is reachable; nothing was changed by this call',
        cause,
      })
    } finally {
      over = true
      clearTimeout(timer)
    }
  }

  const script = (source: string, key: string, args: (string | number)[]) =>
    call(() => commands.eval(source, { keys: [key], arguments: args.map(String) }))

  return {
    async get(key) {
      return (await call(() => commands.get(valueKey(key)))) ?? undefined
    },
    async set(key, value, ttlSeconds) {
      if (!(ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive')
      await call(() =>
        commands.set(valueKey(key), value, {
          expiration: { type: 'PX', value: Math.round(ttlSeconds * 1000) },
        }),
      )
    },
    async delete(key) {
      await call(() => commands.del(valueKey(key)))
    },
    async compareAndSet(key, value, ttlSeconds, expected) {
      if (!(ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive')
      const px = Math.round(ttlSeconds * 1000)
      return (await script(COMPARE_AND_SET_SCRIPT, valueKey(key), [value, expected, px])) === 1
    },
    async compareAndDelete(key, expected) {
      return (await script(COMPARE_AND_DELETE_SCRIPT, valueKey(key), [expected])) === 1
    },
    async acquireLock(key, ttlMs) {
      const owner = randomUUID()
      return (await script(ACQUIRE_SCRIPT, lockKey(key), [owner, ttlMs])) === 1 ? owner : undefined
    },
    async releaseLock(key, owner) {
      if (!releases) return (await script(RELEASE_SCRIPT, lockKey(key), [owner])) === 1
      return (await script(RELEASE_AND_PUBLISH_SCRIPT, lockKey(key), [owner, releases.channel])) === 1
    },
    ...(releases
      ? { onLockReleased: (key: string, listener: () => void) => releases.listen(lockKey(key), listener) }
      : {}),
    async close() {
      await releases?.close()
      if (owned && client.isOpen) await client.close()
    },
  }
}

/**
 * The lock releases published on `channel`, heard on one subscriber connection (a duplicate of the store's client),
 * opened when the first waiter listens. While it is not (yet) subscribed, waiters are woken by their own polling.
 */
function createReleaseChannel(clientOf: () => Connection, channel: string) {
  const listeners = createLockReleases()
  let subscriber: Promise<Subscriber | undefined> | undefined
  function subscribe() {
    subscriber ??= (async () => {
      const connection = clientOf().duplicate()
      connection.on('error', () => {})
      await connection.connect()
      await connection.subscribe(channel, (lockKey) => listeners.released(lockKey))
      return connection
    })().catch(() => {
      // Tried again by the next waiter; until then, polling.
      subscriber = undefined
      return undefined
    })
  }
  return {
    channel,
    listen(lockKey: string, listener: () => void) {
      subscribe()
      return listeners.listen(lockKey, listener)
    },
    async close() {
      const connection = await subscriber
      if (connection?.isOpen) await connection.close()
    },
  }
}

/** Listens to the connection's errors and gives its commands, each with the deadline of node-redis. */
function use(connection: Connection, timeout: number): Commands {
  // Errors surface on each call; an unhandled 'error' event would crash the process.
  connection.on('error', () => {})
  // Every command carries the timeout, whoever created the client.
  return connection.withCommandOptions({ timeout }) as Commands
}

/** The connection the options ask for: the caller's, or one made with a deadline and no offline queue. */
function connectionOf(options: RedisStorageOptions, timeout: number): Connection {
  const given = [options.url, options.cluster, options.sentinel, options.client].filter(
    (o) => o !== undefined,
  )
  if (given.length !== 1) {
    throw new JikoAuthError(
      ErrorCode.ConfigInvalid,
      `redisStorage needs exactly one of url, cluster, sentinel or client (got ${given.length})`,
      {
        field: 'url',
        hint: 'Pass redisStorage({ url: "redis://localhost:6379" }), or { cluster: { rootNodes: [...] } }',
      },
    )
  }
  // Cluster and sentinel nodes retry sooner: each reconnection attempt is also what makes node-redis look for the
  // new topology after a failover.
  const socket = (maxDelayMs: number) => ({
    connectTimeout: timeout,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, maxDelayMs),
  })
  // The clients are typed by their many generic parameters; this store uses only the surface in `Connection`.
  if (options.client) return options.client as unknown as Connection
  if (options.cluster) {
    const { defaults } = options.cluster
    return createCluster({
      topologyRefreshOnReconnectionAttemptStrategy: 200,
      ...options.cluster,
      useReplicas: false,
      defaults: { ...defaults, disableOfflineQueue: true, socket: { ...socket(500), ...defaults?.socket } },
    }) as unknown as Connection
  }
  if (options.sentinel) {
    const nodes = options.sentinel.nodeClientOptions
    return createSentinel({
      ...options.sentinel,
      replicaPoolSize: 0,
      nodeClientOptions: {
        ...nodes,
        disableOfflineQueue: true,
        socket: { ...socket(500), ...nodes?.socket },
      },
    }) as unknown as Connection
  }
  return createClient({
    url: options.url as string,
    disableOfflineQueue: true,
    socket: socket(2000),
  }) as unknown as Connection
}
