import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { createAdapter } from '../src/createAdapter.js'
import { TtlStore } from '../src/ttlStore.js'
import { login, refresh, startTestEmulator } from './handClient.js'

const dir = mkdtempSync(join(tmpdir(), 'jiko-emulator-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('storage without eviction', () => {
  it('keeps 5,000 refresh tokens (the bundled LRU keeps 1,000)', async () => {
    const Adapter = createAdapter(new TtlStore())
    const tokens = new Adapter('RefreshToken')
    for (let i = 0; i < 5000; i++) await tokens.upsert(`rt-${i}`, { grantId: `g-${i}` }, 3600)
    expect(await tokens.find('rt-0')).toEqual({ grantId: 'g-0' })
    await tokens.revokeByGrantId('g-0')
    expect(await tokens.find('rt-0')).toBeUndefined()
    expect(await tokens.find('rt-1')).toBeDefined()
  })

  it('expires entries by TTL', () => {
    let now = 0
    const store = new TtlStore({ now: () => now })
    store.set('a', 1, 10)
    now = 9_999
    expect(store.get('a')).toBe(1)
    now = 10_000
    expect(store.get('a')).toBeUndefined()
  })

  it('survives a restart when persisted to a file', async () => {
    const file = join(dir, 'emulator.json')
    const signingKey = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)
    const first = await startTestEmulator({ persistFile: file, signingKey, port: 0 })
    const { body } = await login(first)
    await first.stop()
    const second = await startTestEmulator({
      persistFile: file,
      signingKey,
      port: Number(new URL(first.issuer).port),
    })
    expect(second.issuer).toBe(first.issuer)
    const again = await refresh(second, body.refresh_token as string)
    expect(again.status).toBe(200)
    await second.stop()
  })
})
