import { type RedisCluster, startRedisCluster } from '@jiko-auth/storage-contract'
import { redisStorage } from '@jiko-auth/storage-redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeLostLock } from './describeLostLock.js'
import { Browser, signIn, startApp } from './harness.js'
import { cookieOf, crossProcessStorm, expectOneRefreshPerSession } from './storm.js'

let cluster: RedisCluster
beforeAll(async () => {
  cluster = await startRedisCluster({ nodeTimeoutMs: 1000 })
}, 30_000)
afterAll(() => cluster?.stop())

/** The app on the cluster (a prefix of its own) with `sessions` signed-in browsers; their cookies. */
async function appWithSessions(prefix: string, sessions: number, commandTimeoutMs?: number) {
  const storage = redisStorage({ cluster: { rootNodes: cluster.rootNodes }, prefix, commandTimeoutMs })
  const app = await startApp({ storage })
  const cookies: string[] = []
  for (let i = 0; i < sessions; i++) {
    const browser = new Browser()
    await signIn(app, browser)
    cookies.push(cookieOf(app, browser))
  }
  return { app, cookies, close: () => Promise.all([storage.close?.(), app.stop()]) }
}

/** The Redis keys of the stored sessions under `prefix`. */
const sessionKeys = (prefix: string) => cluster.keys(`${prefix}v:jiko:session:*`)

describe('single-flight refresh on a Redis Cluster (3 masters, 3 replicas)', () => {
  it('4 processes × 250 concurrent getAccessToken on 4 expired sessions → exactly 1 grant per session per round', async () => {
    const prefix = `storm-${Date.now()}:`
    const { app, cookies, close } = await appWithSessions(prefix, 4)
    try {
      // The sessions are spread over the shards.
      const masters = new Set(await Promise.all((await sessionKeys(prefix)).map((k) => cluster.masterOf(k))))
      const result = await crossProcessStorm(
        app,
        cookies,
        { redisCluster: { rootNodes: cluster.rootNodes, prefix } },
        4,
        250,
      )
      expectOneRefreshPerSession(result, 1000)
      console.info(
        `cluster storm: 4 sessions on ${masters.size} masters, 1000 callers a round, rounds of ${result.rounds.map((r) => Math.round(r.ms)).join(' and ')} ms`,
      )
    } finally {
      await close()
    }
  }, 90_000)
})

describeLostLock('Redis Cluster: two clients', async () => {
  const prefix = `lost-lock-${Date.now()}-${Math.random()}:`
  const open = () => redisStorage({ cluster: { rootNodes: cluster.rootNodes }, prefix })
  const [a, b] = [open(), open()]
  return { a, b, close: async () => void (await Promise.all([a.close?.(), b.close?.()])) }
})

// Last in this file: it leaves the cluster with one master fewer.
describe('a master failover during a refresh storm', () => {
  it('kills the master of a session while its refresh is in flight: no session ends, every caller gets a token', async () => {
    const prefix = `failover-${Date.now()}:`
    const sessions = 6
    // Calls retry through the failover (about 2.5 s with cluster-node-timeout 1 000 ms).
    const commandTimeoutMs = 10_000
    const { app, cookies, close } = await appWithSessions(prefix, sessions, commandTimeoutMs)
    try {
      const [victimKey] = await sessionKeys(prefix)
      const victim = await cluster.masterOf(victimKey as string)
      const onVictim = (
        await Promise.all(
          (await sessionKeys(prefix)).map(async (k) => (await cluster.masterOf(k)) === victim),
        )
      ).filter(Boolean).length
      let failover = { killedAt: 0, promoted: 0, promotedMs: 0 }
      const result = await crossProcessStorm(
        app,
        cookies,
        { redisCluster: { rootNodes: cluster.rootNodes, prefix, commandTimeoutMs } },
        4,
        120,
        async (round) => {
          if (round !== 0) return
          // Jiko answers slowly: the refresh requests are in flight, their locks held, when the master dies.
          app.emulator.faults.delay(1500)
          await expect
            .poll(() => app.emulator.stats.tokenRequests, { interval: 5, timeout: 10_000 })
            .toBeGreaterThanOrEqual(sessions)
          const killedAt = performance.now()
          await cluster.kill(victim)
          const promoted = await cluster.waitForFailover(victimKey as string, victim)
          failover = { killedAt, promoted, promotedMs: performance.now() - killedAt }
          app.emulator.faults.delay(0)
        },
      )
      const grants = result.rounds.map((r) => r.grants ?? 0)
      console.info(
        `cluster failover during a storm: master ${victim} (${onVictim} of ${sessions} sessions) killed with refreshes in flight, replica ${failover.promoted} serving after ${Math.round(failover.promotedMs)} ms; refresh grants per round ${grants.join(' and ')} for ${sessions} sessions; rounds of ${result.rounds.map((r) => Math.round(r.ms)).join(' and ')} ms`,
      )
      // Every caller gets a token, each session one per round; a grant more than one per session could only
      // come from a lock lost in the failover (and would be logged), never from a session that ended.
      expectOneRefreshPerSession(result, 480, (granted) => expect(granted).toBeGreaterThanOrEqual(sessions))
      for (const cookie of cookies) {
        expect(
          (await app.auth.getSession(new Request(app.origin, { headers: { cookie } }))).authenticated,
        ).toBe(true)
      }
    } finally {
      await close()
    }
  }, 120_000)
})
