import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisCli, requireRedis, spawnRedis, stopProcess, waitUntil } from './spawnRedis.js'
import { freePort } from './startRedisServer.js'

export interface RedisClusterNode {
  port: number
  url: string
  /** The redis-server process (its `pid` is what `kill` signals). */
  process: ChildProcess
}

export interface RedisCluster {
  /** What `createCluster({ rootNodes })` takes: every node. */
  rootNodes: { url: string }[]
  nodes: RedisClusterNode[]
  /** The port of the master that serves `redisKey`'s hash slot, as a live node sees it now. */
  masterOf(redisKey: string): Promise<number>
  /** The hash slot of `redisKey`. */
  slotOf(redisKey: string): Promise<number>
  /** Whether the master on `port` has a live replica in sync (so that it can fail over). */
  hasReplica(port: number): Promise<boolean>
  /** The keys matching `pattern` (`KEYS`) on every live master. */
  keys(pattern: string): Promise<string[]>
  /** Kills the node on `port` (SIGKILL, by pid): a crash, with no goodbye to the cluster. */
  kill(port: number): Promise<void>
  /**
   * Waits until `redisKey`'s slot is served again by a live master other than `deadPort` (its replica, promoted)
   * and the cluster is `ok`; resolves to the new master's port.
   */
  waitForFailover(redisKey: string, deadPort: number, timeoutMs?: number): Promise<number>
  /** Stops every node and removes their files. */
  stop(): Promise<void>
}

interface NodeLine {
  id: string
  /** The id of the master of a replica ('-' for a master). */
  master: string
  port: number
  flags: string[]
  slots: [number, number][]
}

/** `CLUSTER NODES`, parsed: each node's port, flags and slot ranges. */
function parseNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flags = '', master = '', , , , , ...slots] = line.split(' ')
      return {
        id,
        master,
        port: Number(address.split('@')[0]?.split(':')[1]),
        flags: flags.split(','),
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [from, to = from] = s.split('-')
            return [Number(from), Number(to)] as [number, number]
          }),
      }
    })
}

/**
 * A Redis Cluster of three masters with one replica each, on free loopback ports: six `redis-server
 * --cluster-enabled yes` joined by `redis-cli --cluster create … --cluster-replicas 1`, started and stopped by the
 * tests. `nodeTimeoutMs` (`cluster-node-timeout`) sets how soon a dead master's replica takes over. Fails — never
 * skips — when redis-server or redis-cli is missing.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster()
 * const store = redisStorage({ cluster: { rootNodes: cluster.rootNodes } })
 * await cluster.kill(await cluster.masterOf('jiko:v:key'))
 * ```
 */
export async function startRedisCluster({ nodeTimeoutMs = 1000 } = {}): Promise<RedisCluster> {
  requireRedis('redis-server', 'redis-cli')
  const dir = mkdtempSync(join(tmpdir(), 'jiko-redis-cluster-'))
  const nodes: RedisClusterNode[] = []
  const stop = async () => {
    await Promise.all(nodes.map((node) => stopProcess(node.process, { crash: true })))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < 6; i++) {
      // The cluster bus port is chosen too: port + 10 000 may be taken, or past 65 535.
      const [port, busPort] = [await freePort(), await freePort()]
      const server = await spawnRedis([
        ...['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1'],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir],
        // Each its own RDB file: a replica's sync writes one, --save '' or not.
        ...['--dbfilename', `dump-${port}.rdb`],
        ...['--cluster-node-timeout', String(nodeTimeoutMs), '--save', '', '--appendonly', 'no'],
      ])
      nodes.push({ port, url: `redis://127.0.0.1:${port}`, process: server })
    }
    const [first] = nodes as [RedisClusterNode]
    await redisCli(
      first.port,
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    )
    // Ready: every node sees the cluster ok with all six nodes, and every replica is in sync with its master.
    await waitUntil('the cluster to form', async () => {
      for (const node of nodes) {
        const info = await redisCli(node.port, 'cluster', 'info')
        if (!info.includes('cluster_state:ok') || !info.includes('cluster_known_nodes:6')) return false
        const replication = await redisCli(node.port, 'info', 'replication')
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false
      }
      return true
    })
  } catch (error) {
    await stop()
    throw error
  }

  const live = () =>
    nodes.filter((node) => node.process.exitCode === null && node.process.signalCode === null)
  const ask = (...args: string[]) => redisCli((live()[0] as RedisClusterNode).port, ...args)
  const slotOf = async (redisKey: string) => Number(await ask('cluster', 'keyslot', redisKey))
  const servingMaster = async (slot: number, asking: number) =>
    parseNodes(await redisCli(asking, 'cluster', 'nodes')).find(
      (line) => line.flags.includes('master') && line.slots.some(([from, to]) => slot >= from && slot <= to),
    )

  return {
    rootNodes: nodes.map(({ url }) => ({ url })),
    nodes,
    slotOf,
    async hasReplica(port) {
      const lines = parseNodes(await ask('cluster', 'nodes'))
      const master = lines.find((line) => line.port === port)
      return lines.some(
        (line) =>
          line.master === master?.id &&
          line.flags.includes('slave') &&
          !line.flags.some((f) => f.startsWith('fail')),
      )
    },
    async keys(pattern) {
      const masters = parseNodes(await ask('cluster', 'nodes')).filter(
        (line) => line.flags.includes('master') && !line.flags.some((f) => f.startsWith('fail')),
      )
      const found = await Promise.all(masters.map((master) => redisCli(master.port, 'keys', pattern)))
      return found.flatMap((text) => text.split('\n').filter(Boolean))
    },
    async masterOf(redisKey) {
      const master = await servingMaster(await slotOf(redisKey), (live()[0] as RedisClusterNode).port)
      if (!master) throw new Error(`no master serves the slot of ${redisKey}`)
      return master.port
    },
    async kill(port) {
      const node = nodes.find((n) => n.port === port)
      if (!node) throw new Error(`no cluster node on port ${port}`)
      await stopProcess(node.process, { crash: true })
    },
    async waitForFailover(redisKey, deadPort, timeoutMs = 20_000) {
      const slot = await slotOf(redisKey)
      let promoted = 0
      await waitUntil(
        `a new master for slot ${slot}`,
        async () => {
          for (const node of live()) {
            const master = await servingMaster(slot, node.port)
            if (!master || master.port === deadPort || master.flags.some((f) => f.startsWith('fail')))
              return false
            if (!(await redisCli(node.port, 'cluster', 'info')).includes('cluster_state:ok')) return false
            promoted = master.port
          }
          return true
        },
        timeoutMs,
      )
      return promoted
    },
    stop,
  }
}
