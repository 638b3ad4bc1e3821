import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ErrorCode } from '@jiko-auth/core'
import { describeAuthStoreContract } from '@jiko-auth/storage-contract'
import { describe, expect, it } from 'vitest'
import { sqliteStorage } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'jiko-sqlite-'))

describeAuthStoreContract(
  'sqliteStorage (a real SQLite file)',
  async () => {
    let now = Date.now()
    const path = join(dir, 'contract.db')
    const clock = () => now
    return {
      store: sqliteStorage({ path, now: clock }),
      advance: (ms) => {
        now += ms
      },
      reopen: async () => sqliteStorage({ path, now: clock }),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    }
  },
  { survivesRestart: true, fencing: true, releases: false },
)

describe('sqliteStorage', () => {
  it('shares locks and data between two handles on one file (as two processes would)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jiko-sqlite-')), 'shared.db')
    const a = sqliteStorage({ path })
    const b = sqliteStorage({ path })
    a.set('k', 'from a', 60)
    expect(b.get('k')).toBe('from a')
    const owner = a.acquireLock('l', 5000)
    expect(owner).toBeDefined()
    expect(b.acquireLock('l', 5000)).toBeUndefined()
    expect(b.releaseLock('l', 'not-owner')).toBe(false)
    expect(a.releaseLock('l', owner as string)).toBe(true)
    expect(b.acquireLock('l', 5000)).toBeDefined()
    a.close?.()
    b.close?.()
  })

  it('creates the file’s folder when it is missing (a fresh project has no .data/ yet)', () => {
    const store = sqliteStorage({ path: join(dir, 'no/such/folder/x.db') })
    store.set('k', 'v', 60)
    expect(store.get('k')).toBe('v')
    store.close?.()
  })

  it('answers a typed error, on first use, when the file cannot be opened', () => {
    // A folder where the file should be: neither the folder nor the file can be made.
    const store = sqliteStorage({ path: dir })
    expect(() => store.get('k')).toThrow(expect.objectContaining({ code: ErrorCode.StorageError }))
  })

  it('touches no file until first use (a build that imports the app opens nothing)', () => {
    const path = join(dir, 'lazy/sessions.db')
    const store = sqliteStorage({ path })
    expect(existsSync(path)).toBe(false)
    store.set('k', 'v', 60)
    expect(existsSync(path)).toBe(true)
    store.close?.()
  })

  it('keeps lock rows apart from caller keys', () => {
    const store = sqliteStorage({ path: join(mkdtempSync(join(tmpdir(), 'jiko-sqlite-')), 'ns.db') })
    store.set('l', 'data', 60)
    expect(store.acquireLock('l', 5000)).toBeDefined()
    expect(store.get('l')).toBe('data')
    store.close?.()
  })
})
