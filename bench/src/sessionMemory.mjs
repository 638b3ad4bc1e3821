// 5. Memory per session: the bytes each store keeps for one signed-in session (openid scope, so with an id token).
import { createHash } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRedisServer } from '@jiko-auth/storage-contract'
import { memoryStorage } from '@jiko-auth/storage-memory'
import { redisStorage } from '@jiko-auth/storage-redis'
import { sqliteStorage } from '@jiko-auth/storage-sqlite'
import Database from 'better-sqlite3'
import { createClient } from 'redis'
import { createAuth, signIn, startBenchEmulator } from './session.mjs'

const keyOf = (cookie) => {
  const signed = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
  return `jiko:session:${createHash('sha256')
    .update(signed.slice(0, signed.lastIndexOf('.')))
    .digest('base64url')}`
}

/** `sessions`: how many sessions the SQLite figure averages over. */
export async function sessionMemory({ sessions = 200 } = {}) {
  const { emulator, client } = await startBenchEmulator()
  const redis = await startRedisServer()
  const dir = mkdtempSync(join(tmpdir(), 'jiko-bench-mem-'))
  const results = {}
  try {
    // memory: the sealed value (the Map's key and entry overhead aside).
    const memory = memoryStorage()
    const memoryAuth = createAuth(client, memory)
    const cookie = await signIn(memoryAuth, emulator)
    results.memory = (await memory.get(keyOf(cookie))).length
    memory.close()

    // SQLite: the pages the session rows take (dbstat), per session.
    const path = join(dir, 'mem.db')
    const sqlite = sqliteStorage({ path })
    const sqliteAuth = createAuth(client, sqlite)
    for (let i = 0; i < sessions; i++) await signIn(sqliteAuth, emulator)
    sqlite.close()
    const db = new Database(path)
    const rows = db
      .prepare(
        `SELECT COUNT(*) AS n, SUM(length(key) + length(value)) AS bytes FROM jiko_auth_store WHERE key LIKE 'jiko:session:%'`,
      )
      .get()
    results.sqlite = Math.round(rows.bytes / rows.n)
    db.close()

    // Redis: MEMORY USAGE of a session's key.
    const store = redisStorage({ url: redis.url, prefix: 'm:' })
    const redisAuth = createAuth(client, store)
    const redisCookie = await signIn(redisAuth, emulator)
    const raw = createClient({ url: redis.url })
    await raw.connect()
    results.redis = await raw.memoryUsage(`m:v:${keyOf(redisCookie)}`)
    await raw.close()
    await store.close()
  } finally {
    await redis.stop()
    await emulator.stop()
  }
  return results
}
