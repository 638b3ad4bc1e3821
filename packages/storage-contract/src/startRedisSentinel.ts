import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisCli, requireRedis, spawnRedis, stopProcess, waitUntil } from './spawnRedis.js'
import { freePort } from './startRedisServer.js'

export interface RedisSentinelSetup {
  /** The master's name, as the sentinels monitor it. */
  name: string
  /** What `createSentinel({ name, sentinelRootNodes })` takes: every sentinel. */
  sentinelRootNodes: { host: string; port: number }[]
  /** The master's port, as the sentinels see it now. */
  masterPort(): Promise<number>
  /** Kills the Redis server on `port` (SIGKILL, by pid). */
  kill(port: number): Promise<void>
  /** Waits until the sentinels name a master other than `deadPort` and it answers as a master; its port. */
  waitForFailover(deadPort: number, timeoutMs?: number): Promise<number>
  /** Stops every server and sentinel and removes their files. */
  stop(): Promise<void>
}

/**
 * A master, one replica and three sentinels (quorum 2) on free loopback ports: `redis-server`, `redis-server
 * --replicaof` and `redis-server <conf> --sentinel` (Debian's redis-server package has no separate redis-sentinel
 * program). `downAfterMs` sets how soon the sentinels fail a dead master over. Fails — never skips — when
 * redis-server or redis-cli is missing.
 *
 * @example
 * ```ts
 * const sentinel = await startRedisSentinel()
 * const store = redisStorage({ sentinel: { name: sentinel.name, sentinelRootNodes: sentinel.sentinelRootNodes } })
 * ```
 */
export async function startRedisSentinel({ downAfterMs = 1000 } = {}): Promise<RedisSentinelSetup> {
  requireRedis('redis-server', 'redis-cli')
  const name = 'jiko'
  const dir = mkdtempSync(join(tmpdir(), 'jiko-redis-sentinel-'))
  const servers = new Map<number, ChildProcess>()
  const sentinels: { port: number; process: ChildProcess }[] = []
  const stop = async () => {
    const all = [...servers.values(), ...sentinels.map((s) => s.process)]
    await Promise.all(all.map((child) => stopProcess(child, { crash: true })))
    rmSync(dir, { recursive: true, force: true })
  }
  // In the temp folder: a replica's first sync writes an RDB file to its folder, --save '' or not.
  const base = (port: number) => [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `dump-${port}.rdb`],
    ...['--save', '', '--appendonly', 'no'],
  ]
  try {
    const [masterPort, replicaPort] = [await freePort(), await freePort()]
    servers.set(masterPort, await spawnRedis(base(masterPort)))
    servers.set(
      replicaPort,
      await spawnRedis([...base(replicaPort), '--replicaof', '127.0.0.1', String(masterPort)]),
    )
    for (let i = 0; i < 3; i++) {
      const port = await freePort()
      // A sentinel rewrites its configuration file: each gets its own.
      const conf = join(dir, `sentinel-${port}.conf`)
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} ${downAfterMs * 4}`,
          '',
        ].join('\n'),
      )
      sentinels.push({ port, process: await spawnRedis([conf, '--sentinel'], '+monitor master') })
    }
    // Ready: the replica is in sync, and every sentinel knows the replica and enough sentinels for a failover.
    await waitUntil('the sentinels to agree', async () => {
      if (!(await redisCli(replicaPort, 'info', 'replication')).includes('master_link_status:up'))
        return false
      for (const sentinel of sentinels) {
        if (!(await redisCli(sentinel.port, 'sentinel', 'ckquorum', name)).startsWith('OK')) return false
        if (!(await redisCli(sentinel.port, 'sentinel', 'replicas', name)).includes(String(replicaPort)))
          return false
      }
      return true
    })
  } catch (error) {
    await stop()
    throw error
  }

  const live = () => sentinels.filter((s) => s.process.exitCode === null)
  const masterPort = async () =>
    Number(
      (
        await redisCli((live()[0] as { port: number }).port, 'sentinel', 'get-master-addr-by-name', name)
      ).split('\n')[1],
    )

  return {
    name,
    sentinelRootNodes: sentinels.map(({ port }) => ({ host: '127.0.0.1', port })),
    masterPort,
    async kill(port) {
      await stopProcess(servers.get(port), { crash: true })
    },
    async waitForFailover(deadPort, timeoutMs = 20_000) {
      let promoted = 0
      await waitUntil(
        'a new master',
        async () => {
          promoted = await masterPort()
          if (promoted === deadPort) return false
          return (await redisCli(promoted, 'role')).startsWith('master')
        },
        timeoutMs,
      )
      return promoted
    },
    stop,
  }
}
