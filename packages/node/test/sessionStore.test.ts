import type { AuthStore } from '@jiko-auth/core'
import { memoryStorage } from '@jiko-auth/storage-memory'
import { describe, expect, it, vi } from 'vitest'
import { deriveKey } from '../src/sealRecord.js'
import { type SessionRecord, SessionStore } from '../src/sessionStore.js'
import { SECRET } from './harness.js'

const KEY = 'jiko:session:abc'

const recordWith = (marker: string): SessionRecord => ({
  v: 1,
  flow: { status: 'active', value: 'authenticated', context: { marker } } as never,
  createdAt: 0,
  absoluteExpiresAt: Number.MAX_SAFE_INTEGER,
  touchedAt: 0,
})
const markerOf = (record: SessionRecord | undefined) =>
  (record?.flow.context as unknown as { marker: string } | undefined)?.marker

/** A memory store whose reads are held back until `releaseReads()`, counting every read it receives. */
function slowReadStore() {
  const inner = memoryStorage()
  let release = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  let reads = 0
  const store: AuthStore = {
    ...inner,
    async get(key) {
      reads++
      const value = await inner.get(key)
      await gate
      return value
    },
  }
  return { store, reads: () => reads, releaseReads: () => release(), close: () => inner.close?.() }
}

describe('SessionStore reads', () => {
  it('concurrent loads of one session share one read and one decryption', async () => {
    const slow = slowReadStore()
    const sessions = new SessionStore(slow.store, deriveKey(SECRET, 'session-encryption'))
    await sessions.saveSession(KEY, recordWith('a'), 60)
    const loads = Array.from({ length: 50 }, () => sessions.loadSession(KEY))
    slow.releaseReads()
    const records = await Promise.all(loads)
    expect(slow.reads()).toBe(1)
    expect(new Set(records).size).toBe(1)
    expect(markerOf(records[0])).toBe('a')
    slow.close()
  })

  it('a load after a write never joins a read that started before it', async () => {
    const slow = slowReadStore()
    const sessions = new SessionStore(slow.store, deriveKey(SECRET, 'session-encryption'))
    await sessions.saveSession(KEY, recordWith('old'), 60)
    const early = sessions.loadSession(KEY) // reads 'old', held back
    await sessions.saveSession(KEY, recordWith('new'), 60)
    const late = sessions.loadSession(KEY)
    slow.releaseReads()
    expect(markerOf(await early)).toBe('old')
    expect(markerOf(await late)).toBe('new')
    expect(slow.reads()).toBe(2)
    slow.close()
  })

  it('latest: true starts a read of its own while another is in flight', async () => {
    const slow = slowReadStore()
    const sessions = new SessionStore(slow.store, deriveKey(SECRET, 'session-encryption'))
    await sessions.saveSession(KEY, recordWith('a'), 60)
    const shared = [sessions.loadSession(KEY), sessions.loadSession(KEY)]
    const own = sessions.loadSession(KEY, { latest: true })
    slow.releaseReads()
    await Promise.all([...shared, own])
    expect(slow.reads()).toBe(2)
    slow.close()
  })

  it('a sealed session copied under another key does not open, even once opened under its own', async () => {
    const store = memoryStorage()
    const sessions = new SessionStore(store, deriveKey(SECRET, 'session-encryption'))
    await sessions.saveSession(KEY, recordWith('a'), 60)
    expect(markerOf(await sessions.loadSession(KEY))).toBe('a')
    await store.set('jiko:session:other', (await store.get(KEY)) as string, 60)
    expect(await sessions.loadSession('jiko:session:other')).toBeUndefined()
    store.close?.()
  })

  it('a read that has not settled within a second is not joined: one stuck request stays one', async () => {
    vi.useFakeTimers({ toFake: ['performance'] })
    try {
      const slow = slowReadStore()
      const sessions = new SessionStore(slow.store, deriveKey(SECRET, 'session-encryption'))
      await sessions.saveSession(KEY, recordWith('a'), 60)
      const stuck = sessions.loadSession(KEY)
      vi.advanceTimersByTime(999)
      const joined = sessions.loadSession(KEY)
      expect(slow.reads()).toBe(1)
      vi.advanceTimersByTime(1)
      const own = sessions.loadSession(KEY)
      expect(slow.reads()).toBe(2)
      slow.releaseReads()
      await Promise.all([stuck, joined, own])
      slow.close()
    } finally {
      vi.useRealTimers()
    }
  })

  it('a failed read fails its sharers, and the next load reads again', async () => {
    let reads = 0
    const failing: AuthStore = {
      ...memoryStorage(),
      async get() {
        reads++
        if (reads === 1) throw new Error('connection reset')
        return undefined
      },
    }
    const sessions = new SessionStore(failing, deriveKey(SECRET, 'session-encryption'))
    const loads = await Promise.allSettled([sessions.loadSession(KEY), sessions.loadSession(KEY)])
    expect(loads.map((l) => l.status)).toEqual(['rejected', 'rejected'])
    expect(await sessions.loadSession(KEY)).toBeUndefined()
    expect(reads).toBe(2)
  })
})
