import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { ErrorCode, JikoAuthError, type VersionedAuthStore } from '@jiko-auth/core'
import Database from 'better-sqlite3'

export interface SqliteStorageOptions {
  /**
   * The database file; created when missing, with its folder, on first use. Every process of the app on this host
   * may share it.
   */
  path: string
  /** How often expired rows are swept, in milliseconds (default 60 000). The timer never keeps Node alive. */
  sweepIntervalMs?: number
  /** Milliseconds since the epoch (default `Date.now`); tests pass a simulated clock. */
  now?: () => number
}

// Lock rows live in the same table, under a prefix no caller key can have (it starts with a NUL).
const LOCK_PREFIX = '\u0000lock:'

/**
 * An `AuthStore` in a SQLite file (better-sqlite3, WAL): the embedded default. It survives restarts and is shared
 * by every process on the host that opens the same file; the refresh lock is a row taken inside an immediate
 * transaction, so it holds across those processes. Fenced writes are one conditional `UPDATE` (or `DELETE`).
 *
 * @example
 * ```ts
 * import { sqliteStorage } from '@jiko-auth/storage-sqlite'
 * const auth = createJikoAuth({ ...options, storage: sqliteStorage({ path: '.data/sessions.db' }) })
 * ```
 */
export function sqliteStorage(options: SqliteStorageOptions): VersionedAuthStore {
  const now = options.now ?? Date.now
  // Opened on first use: creating the store (at import, or during a build such as `next build`) touches no file.
  let opened: ReturnType<typeof openStore> | undefined
  const store = () => {
    opened ??= openStore(options.path, options.sweepIntervalMs ?? 60_000, now, guard)
    return opened
  }

  return {
    get(key) {
      return guard(() => store().select.get(key, now())?.value)
    },
    set(key, value, ttlSeconds) {
      if (!(ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive')
      guard(() => store().upsert.run(key, value, now() + Math.round(ttlSeconds * 1000)))
    },
    delete(key) {
      guard(() => store().remove.run(key))
    },
    compareAndSet(key, value, ttlSeconds, expected) {
      if (!(ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive')
      const at = now()
      return guard(
        () =>
          store().swap.run(value, at + Math.round(ttlSeconds * 1000), key, expected, value, at).changes === 1,
      )
    },
    compareAndDelete(key, expected) {
      return guard(() => store().removeIfHolds.immediate(key, expected))
    },
    acquireLock(key, ttlMs) {
      const owner = randomUUID()
      return guard(() => store().takeLock.immediate(LOCK_PREFIX + key, owner, ttlMs)) ? owner : undefined
    },
    // No onLockReleased: SQLite cannot tell another process sharing the file of a release, so waiters poll.
    releaseLock(key, owner) {
      return guard(() => store().removeLiveHolding.run(LOCK_PREFIX + key, owner, now()).changes === 1)
    },
    close() {
      if (!opened) return
      clearInterval(opened.sweep)
      if (opened.db.open) opened.db.close()
    },
  }

  function guard<T>(operation: () => T): T {
    try {
      return operation()
    } catch (cause) {
      if (cause instanceof JikoAuthError) throw cause
      throw new JikoAuthError(ErrorCode.StorageError, 'The SQLite session store failed', {
        hint: `Check that ${options.path} is writable and not locked by another program`,
        cause,
      })
    }
  }
}

/** The database, its table and its statements, and the sweep of expired rows. */
function openStore(
  path: string,
  sweepIntervalMs: number,
  now: () => number,
  guard: <T>(operation: () => T) => T,
) {
  const db = open(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  db.exec(`CREATE TABLE IF NOT EXISTS jiko_auth_store (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID`)

  const select = db.prepare<[string, number], { value: string }>(
    'SELECT value FROM jiko_auth_store WHERE key = ? AND expires_at > ?',
  )
  const upsert = db.prepare<[string, string, number]>(
    `INSERT INTO jiko_auth_store (key, value, expires_at) VALUES (?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
  )
  const remove = db.prepare<[string]>('DELETE FROM jiko_auth_store WHERE key = ?')
  const removeLiveHolding = db.prepare<[string, string, number]>(
    'DELETE FROM jiko_auth_store WHERE key = ? AND value = ? AND expires_at > ?',
  )
  const sweepExpired = db.prepare<[number]>('DELETE FROM jiko_auth_store WHERE expires_at <= ?')
  // One statement: the compare and the write are atomic across every process on the file.
  const swap = db.prepare<[string, number, string, string, string, number]>(
    `UPDATE jiko_auth_store SET value = ?, expires_at = ?
     WHERE key = ? AND (value = ? OR value = ?) AND expires_at > ?`,
  )

  const removeIfHolds = db.transaction((key: string, expected: string): boolean => {
    const at = now()
    if (removeLiveHolding.run(key, expected, at).changes === 1) return true
    return select.get(key, at) === undefined
  })

  const takeLock = db.transaction((key: string, owner: string, ttlMs: number): boolean => {
    const at = now()
    if (select.get(key, at)) return false
    upsert.run(key, owner, at + ttlMs)
    return true
  })

  const sweep = setInterval(() => guard(() => sweepExpired.run(now())), sweepIntervalMs)
  sweep.unref()
  return { db, select, upsert, remove, removeLiveHolding, swap, removeIfHolds, takeLock, sweep }
}

function open(path: string): Database.Database {
  try {
    // A fresh project has no `.data/` yet: the folder is made, as the file is.
    if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true })
    return new Database(path)
  } catch (cause) {
    throw new JikoAuthError(ErrorCode.StorageError, `Cannot open the SQLite database ${path}`, {
      hint: 'Check that its folder can be created and written to by this process',
      cause,
    })
  }
}
