// 3. Refresh storm: 1,000 concurrent getAccessToken() over 4 processes sharing Redis, on sessions whose tokens
// just expired, against the emulator. Refresh grants must equal the number of sessions; p50/p99 latency is
// reported relative to one lone refresh.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startRedisServer } from '@jiko-auth/storage-contract'
import { redisStorage } from '@jiko-auth/storage-redis'
import { median, percentile } from './measure.mjs'
import { createAuth, SECRET, signIn, startBenchEmulator } from './session.mjs'

const PROCESSES = 4
const CALLERS_EACH = 250
const SESSIONS = Number(process.env.BENCH_STORM_SESSIONS ?? 10)

function worker(env) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./stormWorker.mjs', import.meta.url))], {
    env: { ...process.env, WORKER_CONFIG: JSON.stringify(env) },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return {
    next: async () => (await lines.next()).value,
    async round(offsetMs, callers, cookies) {
      child.stdin.write(`${JSON.stringify({ offsetMs, callers, cookies })}\n`)
      return JSON.parse(await this.next())
    },
    stop: () => child.stdin.end(),
  }
}

export async function refreshStorm() {
  const { emulator, client } = await startBenchEmulator()
  const redis = await startRedisServer()
  const storage = redisStorage({ url: redis.url })
  const auth = createAuth(client, storage)
  const workers = []
  try {
    const lone = await signIn(auth, emulator)
    const warmups = []
    for (let i = 0; i < PROCESSES; i++) warmups.push(await signIn(auth, emulator))
    const storm = []
    for (let i = 0; i < SESSIONS; i++) storm.push(await signIn(auth, emulator))
    for (let i = 0; i < PROCESSES; i++)
      workers.push(worker({ redisUrl: redis.url, secret: SECRET, options: client }))
    for (const w of workers) await w.next()

    // Warm every process up (JIT, key import) on a session of its own, so the storm measures steady state.
    await Promise.all(workers.map((w, i) => w.round(901_000, 20, [warmups[i]])))
    // A lone refresh, five times (each round's clock is past the previous token's expiry).
    const loneLatencies = []
    for (let round = 1; round <= 5; round++) {
      const { latencies } = await workers[0].round(round * 901_000, 1, [lone])
      loneLatencies.push(...latencies)
    }
    emulator.stats.reset()
    const outcomes = await Promise.all(workers.map((w) => w.round(901_000, CALLERS_EACH, storm)))
    const latencies = outcomes.flatMap((o) => o.latencies)
    const errors = outcomes.flatMap((o) => o.errors)
    const loneMs = median(loneLatencies)
    return {
      callers: PROCESSES * CALLERS_EACH,
      sessions: SESSIONS,
      refreshGrants: emulator.stats.grants.refresh_token ?? 0,
      errors: errors.length,
      loneMs,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    }
  } finally {
    for (const w of workers) w.stop()
    await storage.close()
    await redis.stop()
    await emulator.stop()
  }
}
