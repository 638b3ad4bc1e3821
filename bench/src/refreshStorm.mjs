// 3. Refresh storm: 1,000 concurrent getAccessToken() over 4 processes sharing Redis, on sessions whose tokens
// just expired, against the emulator. Refresh grants must equal the number of sessions; p50/p99 latency is
// reported relative to one lone refresh.
//
// Two storms, interleaved with their baselines in every round (each round moves the clock past the tokens' expiry):
// - on one session: the herd alone — 1,000 callers, one grant;
// - on ten sessions: ten grants, which the single-threaded emulator answers one after the other; beside it the same
//   ten grants without the herd (one caller per session, at once), so that the emulator's queue is not mistaken
//   for the library's.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  buildAuthorizationUrl,
  createPkcePair,
  createState,
  createTokenClient,
  parseCallback,
  resolveConfig,
} from '@jiko-auth/core'
import { nodeCryptoAdapter } from '@jiko-auth/node'
import { startRedisServer } from '@jiko-auth/storage-contract'
import { redisStorage } from '@jiko-auth/storage-redis'
import { createClient } from 'redis'
import { median, percentile } from './measure.mjs'
import { createAuth, SECRET, signIn, startBenchEmulator } from './session.mjs'

const PROCESSES = 4
// Access tokens live 2 minutes here, so that the rounds' clock (moved past every expiry) stays within the id_tokens'
// hour: an id_token a refresh brings is checked on the workers' clock, and one from the future is refused.
const TOKEN_LIFETIME_MS = 120_000

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

/** The defaults are the benchmark's; tests pass small ones. */
export async function refreshStorm({
  callers = 1000,
  wideSessions = 10,
  rounds = 10,
  warmupRounds = 3,
} = {}) {
  const { emulator, client } = await startBenchEmulator({ accessTokenTtlSeconds: TOKEN_LIFETIME_MS / 1000 })
  const redis = await startRedisServer()
  const storage = redisStorage({ url: redis.url })
  const auth = createAuth(client, storage)
  const counter = createClient({ url: redis.url })
  await counter.connect()
  /** Every command Redis has processed so far, from any client: the store's cost of a storm. */
  const commandsSoFar = async () =>
    Number(/total_commands_processed:(\d+)/.exec(await counter.info('stats'))?.[1] ?? Number.NaN)
  const workers = []
  try {
    const lone = await signIn(auth, emulator)
    const narrow = [await signIn(auth, emulator)]
    const wide = []
    for (let i = 0; i < wideSessions; i++) wide.push(await signIn(auth, emulator))
    const queue = []
    for (let i = 0; i < wideSessions; i++) queue.push(await signIn(auth, emulator))
    for (let i = 0; i < PROCESSES; i++)
      workers.push(worker({ redisUrl: redis.url, secret: SECRET, options: client }))
    for (const w of workers) await w.next()

    /** Runs `count` getAccessToken() over the processes (as evenly as they divide), on `cookies` in turn. */
    async function run(offsetMs, count, cookies) {
      emulator.stats.reset()
      const commandsBefore = await commandsSoFar()
      const share = (i) => Math.floor(count / PROCESSES) + (i < count % PROCESSES ? 1 : 0)
      const outcomes = await Promise.all(
        workers.map((w, i) => {
          // Each process takes its own slice of the sessions when there is one caller per session.
          const mine = count === cookies.length ? cookies.filter((_, c) => c % PROCESSES === i) : cookies
          return share(i) > 0 ? w.round(offsetMs, share(i), mine) : { latencies: [], errors: [], cpuMs: 0 }
        }),
      )
      const commandsAfter = await commandsSoFar()
      const latencies = outcomes.flatMap((o) => o.latencies)
      return {
        latencies,
        errors: outcomes.flatMap((o) => o.errors).length,
        grants: emulator.stats.grants.refresh_token ?? 0,
        cpuMs: outcomes.reduce((sum, o) => sum + o.cpuMs, 0),
        // The INFO that reads the count is itself counted once.
        commands: commandsAfter - commandsBefore - 1,
      }
    }

    const scenarios = {
      lone: { callers: 1, cookies: [lone] },
      narrow: { callers, cookies: narrow },
      wide: { callers, cookies: wide },
      queue: { callers: wideSessions, cookies: queue },
    }
    const names = Object.keys(scenarios)
    const samples = Object.fromEntries(
      names.map((name) => [name, { p50: [], p99: [], cpuMs: [], commands: [], grantsOk: true }]),
    )
    // The emulator alone: the same number of refresh grants at once from a bare token client, no store, no herd.
    const raw = await rawGrants(client, emulator, wideSessions)
    const rawP99 = []
    let errors = 0
    for (let round = 1; round <= warmupRounds + rounds; round++) {
      // Every session's token has expired at this round's clock (each refresh gives it 900 s more).
      const offsetMs = round * (TOKEN_LIFETIME_MS + 1000)
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + round) % names.length]
        const scenario = scenarios[name]
        const outcome = await run(offsetMs, scenario.callers, scenario.cookies)
        if (round <= warmupRounds) continue
        errors += outcome.errors
        samples[name].grantsOk &&= outcome.grants === scenario.cookies.length
        samples[name].p50.push(percentile(outcome.latencies, 50))
        samples[name].p99.push(percentile(outcome.latencies, 99))
        samples[name].cpuMs.push(outcome.cpuMs)
        samples[name].commands.push(outcome.commands)
      }
      const rawLatencies = await raw.round()
      if (round > warmupRounds) rawP99.push(percentile(rawLatencies, 99))
    }
    const summary = (name) => ({
      p50Ms: median(samples[name].p50),
      p99Ms: median(samples[name].p99),
      cpuMs: median(samples[name].cpuMs),
      commands: median(samples[name].commands),
      grantsOk: samples[name].grantsOk,
    })
    return {
      callers,
      processes: PROCESSES,
      rounds,
      wideSessions,
      errors,
      loneMs: summary('lone').p50Ms,
      narrow: summary('narrow'),
      wide: summary('wide'),
      queue: summary('queue'),
      rawGrantP99Ms: median(rawP99),
    }
  } finally {
    await counter.close()
    for (const w of workers) w.stop()
    await storage.close()
    await redis.stop()
    await emulator.stop()
  }
}

/** `count` sessions of a bare token client against the emulator: each round refreshes them all at once. */
async function rawGrants(client, emulator, count) {
  const config = resolveConfig({ ...client, scopes: ['pockets.read'] })
  const tokens = createTokenClient(config, { crypto: nodeCryptoAdapter })
  const sets = []
  for (let i = 0; i < count; i++) {
    const pkce = await createPkcePair(nodeCryptoAdapter)
    const state = createState(nodeCryptoAdapter)
    const url = buildAuthorizationUrl(config, { state, codeChallenge: pkce.challenge }).href
    const { code } = parseCallback(await emulator.signIn(url), { state, issuer: config.issuer })
    sets.push(await tokens.exchangeCode({ code, codeVerifier: pkce.verifier }))
  }
  return {
    async round() {
      return Promise.all(
        sets.map(async (set, i) => {
          const started = performance.now()
          sets[i] = await tokens.refresh(set)
          return performance.now() - started
        }),
      )
    },
  }
}
