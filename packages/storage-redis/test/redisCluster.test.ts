import { describeAuthStoreContract, type RedisCluster, startRedisCluster } from '@jiko-auth/storage-contract'
import { createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStorage } from '../src/index.js'
import { callsThroughFailover } from './callsThroughFailover.js'
import { expectYourClientUsed } from './expectYourClientUsed.js'

let cluster: RedisCluster
beforeAll(async () => {
  cluster = await startRedisCluster()
}, 30_000)
afterAll(() => cluster?.stop())

describeAuthStoreContract(
  'redisStorage on a Redis Cluster (3 masters, 3 replicas)',
  async () => {
    const prefix = `contract-${Date.now()}:`
    const open = async () => redisStorage({ cluster: { rootNodes: cluster.rootNodes }, prefix })
    return { store: await open(), reopen: open }
  },
  { survivesRestart: true, fencing: true, releases: false },
)

describe('redisStorage on a Redis Cluster', () => {
  it('keeps a lock in the hash slot of the value it guards, so a script can use both', async () => {
    const prefix = `slots-${Date.now()}:`
    const store = redisStorage({ cluster: { rootNodes: cluster.rootNodes }, prefix })
    const sessions = Array.from({ length: 20 }, (_, i) => `jiko:session:${i}-${Math.random()}`)
    for (const key of sessions) {
      await store.set(key, 'sealed', 60)
      expect(await store.acquireLock(`${key}:refresh`, 60_000)).toEqual(expect.any(String))
    }
    const admin = createCluster({ rootNodes: cluster.rootNodes })
    await admin.connect()
    try {
      const masters = new Set<number>()
      for (const key of sessions) {
        const valueKey = `${prefix}v:${key}`
        const master = await cluster.masterOf(valueKey)
        masters.add(master)
        const node = await admin.getNodeClientForKey(valueKey)
        const [lockKey, ...others] = await node.keys(`${prefix}l:*${key}*`)
        expect(others).toEqual([])
        expect(await cluster.slotOf(lockKey as string)).toBe(await cluster.slotOf(valueKey))
        // A two-key script: Redis Cluster refuses it (CROSSSLOT) unless both keys share a slot.
        const both = await admin.eval(`return {redis.call('GET', KEYS[1]), redis.call('EXISTS', KEYS[2])}`, {
          keys: [valueKey, lockKey as string],
        })
        expect(both).toEqual(['sealed', 1])
      }
      // Twenty random sessions are spread over the three masters, locks with them.
      expect(masters.size).toBeGreaterThan(1)
    } finally {
      await admin.close()
      await store.close?.()
    }
  })

  it('uses a cluster client you created, and leaves it open on close', async () => {
    const client = createCluster({
      rootNodes: cluster.rootNodes,
      defaults: { disableOfflineQueue: true },
    })
    await expectYourClientUsed(client)
  })

  // It leaves the cluster with one master fewer (its replica promoted).
  it('a master failover costs latency, not errors: every call during it succeeds, no acknowledged write is lost', async () => {
    const prefix = `failover-${Date.now()}:`
    const store = redisStorage({
      cluster: { rootNodes: cluster.rootNodes },
      prefix,
      commandTimeoutMs: 10_000,
    })
    await store.set('before', 'kept', 600)
    const victim = await cluster.masterOf(`${prefix}v:before`)
    let promoted = 0
    const { writes, errors, failoverMs } = await callsThroughFailover(store, 8, async () => {
      await cluster.kill(victim)
      promoted = await cluster.waitForFailover(`${prefix}v:before`, victim)
    })
    console.info(
      `cluster failover: master ${victim} killed, replica ${promoted} serving after ${Math.round(failoverMs)} ms; ${writes} writes, ${errors.length} errors`,
    )
    expect(errors).toEqual([])
    expect(await store.get('before')).toBe('kept')
    await store.close?.()
  }, 40_000)
})

// After the failover above: another master, with its replica, is left.
describe('redisStorage on a Redis Cluster that is failing over', () => {
  it('connects for the first time while a master is down, and works once its replica is promoted', async () => {
    const prefix = `late-${Date.now()}:`
    // A master that can fail over (not the replica promoted above, which has none left).
    let victim = 0
    for (let i = 0; !victim || !(await cluster.hasReplica(victim)); i++) {
      victim = await cluster.masterOf(`${prefix}v:k${i}`)
    }
    await cluster.kill(victim)
    const store = redisStorage({
      cluster: { rootNodes: cluster.rootNodes },
      prefix,
      commandTimeoutMs: 10_000,
    })
    const started = performance.now()
    const writes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, 'v', 60)))
    console.info(
      `a first connection during a failover: 20 writes settled after ${Math.round(performance.now() - started)} ms`,
    )
    expect(writes.filter((w) => w.status === 'rejected')).toEqual([])
    expect(await store.get('k0')).toBe('v')
    await store.close?.()
  }, 40_000)
})
