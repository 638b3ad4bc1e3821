// Faults, and no data lost: the session store stops in the middle of a refresh, the authorization server
// restarts, a process dies between the token response and the write of the rotated refresh token.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ErrorCode } from '@jiko-auth/core'
import { startRedisServer } from '@jiko-auth/storage-contract'
import { redisStorage } from '@jiko-auth/storage-redis'
import { sqliteStorage } from '@jiko-auth/storage-sqlite'
import { exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { SimulatedClock } from 'xstate'
import { Browser, bodyOf, postFromPage, requestFrom, SECRET, signIn, startApp } from './harness.js'

/** Signs in, restarts the emulator, and asks the app for a refresh: the refresh's response. */
async function refreshAcrossEmulatorRestart(overrides: Parameters<typeof startApp>[0] = {}) {
  const app = await startApp(overrides)
  try {
    const browser = new Browser()
    await signIn(app, browser)
    await app.restartEmulator()
    return await postFromPage(app, browser, 'refresh')
  } finally {
    await app.stop()
  }
}

describe('faults — no data lost', () => {
  it('Redis stops in the middle of a refresh: a typed error, then the rotated session is there when Redis returns', async () => {
    const redis = await startRedisServer({ persistent: true })
    const storage = redisStorage({ url: redis.url, commandTimeoutMs: 500 })
    const clock = new SimulatedClock()
    clock.set(Date.now())
    const app = await startApp({ storage, clock })
    try {
      const browser = new Browser()
      await signIn(app, browser)
      clock.increment(900_000)
      app.emulator.stats.reset()
      app.emulator.faults.delay(600)
      const pending = app.auth.getAccessToken(requestFrom(app, browser)).then(
        () => undefined,
        (error: { code?: string }) => error.code,
      )
      // The refresh request has reached Jiko; Redis goes away before the answer comes back.
      await expect.poll(() => app.emulator.stats.tokenRequests, { interval: 10 }).toBe(1)
      await redis.stop()
      expect(await pending).toBe(ErrorCode.StorageError)
      expect(app.emulator.stats.grants.refresh_token).toBe(1)
      const rotated = app.refreshTokens.at(-1)

      await redis.start()
      app.emulator.faults.reset()
      const token = await expect
        .poll(() => app.auth.getAccessToken(requestFrom(app, browser)).catch(() => undefined), {
          timeout: 10_000,
        })
        .toEqual(expect.any(String))
      void token
      // No second refresh: the rotated tokens were kept and written once Redis was back.
      expect(app.emulator.stats.grants.refresh_token).toBe(1)
      const response = await postFromPage(app, browser, 'refresh')
      expect(response.status).toBe(200)
      expect(app.refreshTokens.at(-2)).toBe(rotated)
    } finally {
      await storage.close?.()
      await app.stop()
      await redis.stop()
    }
  }, 30_000)

  it('the authorization server restarts (its state persisted): sessions go on refreshing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jiko-fault-'))
    const signingKey = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)
    const response = await refreshAcrossEmulatorRestart({
      emulator: { persistFile: join(dir, 'emulator.json'), signingKey },
    })
    expect(response.status).toBe(200)
    expect((await bodyOf(response)).authenticated).toBe(true)
  })

  it('the authorization server restarts and forgot everything: the session ends cleanly (401), never a 5xx', async () => {
    const response = await refreshAcrossEmulatorRestart()
    expect(response.status).toBe(401)
    expect((await bodyOf(response)).error.code).toBe('JIKO_SESSION_EXPIRED')
  })

  it('a process killed between the token response and the write: only its own request fails; the store stays consistent', async () => {
    const sqlitePath = join(mkdtempSync(join(tmpdir(), 'jiko-kill-')), 'sessions.db')
    const storage = sqliteStorage({ path: sqlitePath })
    const app = await startApp({ storage, refreshLockMs: 1000 })
    try {
      const browser = new Browser()
      await signIn(app, browser)
      const before = await app.auth.getAccessToken(requestFrom(app, browser))
      app.emulator.stats.reset()
      const worker: ChildProcess = spawn(
        process.execPath,
        // This package's source through tsx, never its last build (dist/).
        ['--import', 'tsx', fileURLToPath(new URL('./fixtures/killedWorker.ts', import.meta.url))],
        {
          env: {
            ...process.env,
            WORKER_CONFIG: JSON.stringify({
              sqlitePath,
              secret: SECRET,
              options: app.client,
              cookie: requestFrom(app, browser).headers.get('cookie'),
            }),
          },
          stdio: 'inherit',
        },
      )
      const signal = await new Promise((resolve) => worker.once('exit', (_code, sig) => resolve(sig)))
      expect(signal).toBe('SIGKILL')
      expect(app.emulator.stats.grants.refresh_token).toBe(1)
      // The store still holds the last complete session (the old, still valid access token), never a torn one;
      // the dead process's lock expires instead of blocking anyone.
      expect(await app.auth.getAccessToken(requestFrom(app, browser))).toBe(before)
      expect((await app.auth.getSession(requestFrom(app, browser))).authenticated).toBe(true)
    } finally {
      storage.close?.()
      await app.stop()
    }
  })
})
