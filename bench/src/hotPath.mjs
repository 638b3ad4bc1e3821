// 2. The authenticated request's hot path: getAccessToken() for a valid session vs its floor — a raw read of the
// same store, one AES-256-GCM decryption of the same bytes and one cookie signature check, by hand with node:crypto —
// for memory, SQLite and Redis; beside it iron-session's unsealData on the same payload.
import { createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRedisServer } from '@jiko-auth/storage-contract'
import { memoryStorage } from '@jiko-auth/storage-memory'
import { redisStorage } from '@jiko-auth/storage-redis'
import { sqliteStorage } from '@jiko-auth/storage-sqlite'
import { sealData, unsealData } from 'iron-session'
import { compare } from './measure.mjs'
import { createAuth, SECRET, signIn, startBenchEmulator } from './session.mjs'

/** `measure`: the rounds of `compare` (tests pass small ones). */
export async function hotPath(measure = {}) {
  const { emulator, client } = await startBenchEmulator()
  const redis = await startRedisServer()
  const stores = {
    memory: memoryStorage(),
    sqlite: sqliteStorage({ path: join(mkdtempSync(join(tmpdir(), 'jiko-bench-')), 'bench.db') }),
    redis: redisStorage({ url: redis.url }),
  }
  const encryptionKey = Buffer.from(hkdfSync('sha256', SECRET, 'jiko-auth', 'session-encryption v1', 32))
  const cookieKey = Buffer.from(hkdfSync('sha256', SECRET, 'jiko-auth', 'cookie-signing v1', 32))
  const results = {}
  try {
    for (const [name, store] of Object.entries(stores)) {
      const auth = createAuth(client, store)
      const cookie = await signIn(auth, emulator)
      const request = new Request('http://localhost:3999/api', { headers: { cookie } })
      const signed = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
      const id = signed.slice(0, signed.lastIndexOf('.'))
      const key = `jiko:session:${createHash('sha256').update(id).digest('base64url')}`
      const sealed = await store.get(key)
      const [protectedHeader, , iv, ciphertext, tag] = sealed.split('.')
      const plaintext = floorOpen(encryptionKey, protectedHeader, iv, ciphertext, tag)
      const ironSealed = await sealData(JSON.parse(plaintext), { password: SECRET })

      const floor = async () => {
        const dot = signed.lastIndexOf('.')
        const expected = createHmac('sha256', cookieKey)
          .update(signed.slice(0, dot))
          .digest('base64')
          .replace(/=+$/, '')
        const given = signed.slice(dot + 1)
        if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected)))
          throw new Error('bad cookie')
        const value = await store.get(key)
        const [h, , i, c, t] = value.split('.')
        JSON.parse(floorOpen(encryptionKey, h, i, c, t))
      }
      results[name] = await compare(
        [
          { name: 'jiko', run: () => auth.getAccessToken(request) },
          { name: 'floor', run: floor },
          { name: 'iron-session unsealData', run: () => unsealData(ironSealed, { password: SECRET }) },
        ],
        measure,
      )
    }
  } finally {
    for (const store of Object.values(stores)) await store.close?.()
    await redis.stop()
    await emulator.stop()
  }
  return results
}

function floorOpen(key, protectedHeader, iv, ciphertext, tag) {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
  decipher.setAAD(Buffer.from(protectedHeader, 'ascii'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
    'utf8',
  )
}
