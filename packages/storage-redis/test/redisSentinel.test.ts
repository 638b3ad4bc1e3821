import {
  describeAuthStoreContract,
  type RedisSentinelSetup,
  startRedisSentinel,
} from '@jiko-auth/storage-contract'
import { createSentinel } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStorage } from '../src/index.js'
import { callsThroughFailover } from './callsThroughFailover.js'
import { expectYourClientUsed } from './expectYourClientUsed.js'

let sentinel: RedisSentinelSetup
beforeAll(async () => {
  sentinel = await startRedisSentinel()
}, 30_000)
afterAll(() => sentinel?.stop())

const sentinelOptions = () => ({ name: sentinel.name, sentinelRootNodes: sentinel.sentinelRootNodes })

describeAuthStoreContract(
  'redisStorage behind Redis Sentinel (a master, a replica, 3 sentinels)',
  async () => {
    const prefix = `contract-${Date.now()}:`
    const open = async () => redisStorage({ sentinel: sentinelOptions(), prefix })
    return { store: await open(), reopen: open }
  },
  { survivesRestart: true, fencing: true, releases: false },
)

describe('redisStorage behind Redis Sentinel', () => {
  it('uses a sentinel client you created, and leaves it open on close', async () => {
    const client = createSentinel({ ...sentinelOptions(), nodeClientOptions: { disableOfflineQueue: true } })
    await expectYourClientUsed(client)
  })

  // Last in this file: it leaves the setup without a replica.
  it('a failover costs latency, not errors: every call during it succeeds, no acknowledged write is lost', async () => {
    const prefix = `failover-${Date.now()}:`
    const store = redisStorage({ sentinel: sentinelOptions(), prefix, commandTimeoutMs: 10_000 })
    await store.set('before', 'kept', 600)
    const victim = await sentinel.masterPort()
    let promoted = 0
    const { writes, errors, failoverMs } = await callsThroughFailover(store, 4, async () => {
      await sentinel.kill(victim)
      promoted = await sentinel.waitForFailover(victim)
    })
    console.info(
      `sentinel failover: master ${victim} killed, replica ${promoted} promoted after ${Math.round(failoverMs)} ms; ${writes} writes, ${errors.length} errors`,
    )
    expect(errors).toEqual([])
    expect(await store.get('before')).toBe('kept')
    await store.close?.()
  }, 40_000)
})
