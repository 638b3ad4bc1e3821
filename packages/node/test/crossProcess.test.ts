import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AuthStore } from '@jiko-auth/core'
import { type RedisServer, startRedisServer } from '@jiko-auth/storage-contract'
import { redisStorage } from '@jiko-auth/storage-redis'
import { sqliteStorage } from '@jiko-auth/storage-sqlite'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { Browser, signIn, startApp } from './harness.js'
import { cookieOf, crossProcessStorm, expectOneRefreshPerSession } from './storm.js'

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
      const result = await crossProcessStorm(app, [cookieOf(app, browser)], { redisUrl: redis.url }, 4, 250)
      expectOneRefreshPerSession(result, 1000)
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
      const result = await crossProcessStorm(app, [cookieOf(app, browser)], { sqlitePath }, 2, 250)
      expectOneRefreshPerSession(result, 500)
    } finally {
      storage.close?.()
      await app.stop()
    }
  }, 60_000)
})
