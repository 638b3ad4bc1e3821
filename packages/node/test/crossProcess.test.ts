import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AuthStore } from '@jiko-auth/core'
import { type RedisServer, startRedisServer } from '@jiko-auth/storage-contract'
import { redisStorage } from '@jiko-auth/storage-redis'
import { sqliteStorage } from '@jiko-auth/storage-sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, requestFrom, SECRET, signIn, startApp, type TestApp } from './harness.js'
import { type Outcome, WorkerProcess } from './workerProcess.js'

// The worker runs this package's source through tsx, never its last build (dist/), so it tests the code under test.
const workerScript = fileURLToPath(new URL('./fixtures/refreshWorker.ts', import.meta.url))

async function crossProcessStorm(
  app: TestApp,
  browser: Browser,
  workerEnv: Record<string, unknown>,
  processes: number,
  callersEach: number,
) {
  const cookie = requestFrom(app, browser).headers.get('cookie')
  const workers = Array.from(
    { length: processes },
    () => new WorkerProcess(workerScript, { ...workerEnv, cookie, secret: SECRET, options: app.client }),
  )
  try {
    for (const worker of workers) expect(await worker.next()).toBe('ready')
    const before = await app.auth.getAccessToken(requestFrom(app, browser))
    const rounds: { outcomes: Outcome[]; grants: number | undefined }[] = []
    // Round 1: 900 s later the 900 s token is due. Round 2: the refreshed token is due in turn.
    for (const offsetMs of [900_000, 1_800_000 + 1000]) {
      app.emulator.stats.reset()
      const outcomes = await Promise.all(workers.map((w) => w.round(offsetMs, callersEach)))
      rounds.push({ outcomes, grants: app.emulator.stats.grants.refresh_token })
    }
    return { before, rounds }
  } finally {
    for (const worker of workers) worker.stop()
  }
}

function expectOneRefreshPerRound(result: Awaited<ReturnType<typeof crossProcessStorm>>, callers: number) {
  const seen = [result.before]
  for (const { outcomes, grants } of result.rounds) {
    expect(outcomes.flatMap((o) => o.errors)).toEqual([])
    expect(outcomes.reduce((sum, o) => sum + o.fulfilled, 0)).toBe(callers)
    const tokens = new Set(outcomes.flatMap((o) => o.tokens))
    expect(tokens.size).toBe(1)
    expect(grants).toBe(1)
    const [token] = tokens
    expect(seen).not.toContain(token)
    seen.push(token as string)
  }
}

describe('single-flight refresh across processes', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterAll(() => redis?.stop())

  it('Redis: 4 processes × 250 concurrent getAccessToken → exactly 1 refresh grant per round, one token', async () => {
    const storage: AuthStore = redisStorage({ url: redis.url })
    const app = await startApp({ storage })
    try {
      const browser = new Browser()
      await signIn(app, browser)
      const result = await crossProcessStorm(app, browser, { redisUrl: redis.url }, 4, 250)
      expectOneRefreshPerRound(result, 1000)
    } finally {
      await storage.close?.()
      await app.stop()
    }
  }, 60_000)

  it('SQLite: 2 processes sharing one file × 250 → exactly 1 refresh grant per round, one token', async () => {
    const sqlitePath = join(mkdtempSync(join(tmpdir(), 'jiko-xproc-')), 'sessions.db')
    const storage = sqliteStorage({ path: sqlitePath })
    const app = await startApp({ storage })
    try {
      const browser = new Browser()
      await signIn(app, browser)
      const result = await crossProcessStorm(app, browser, { sqlitePath }, 2, 250)
      expectOneRefreshPerRound(result, 500)
    } finally {
      storage.close?.()
      await app.stop()
    }
  }, 60_000)
})
