import { createHash, randomBytes } from 'node:crypto'
import {
  type AuthMachineContext,
  type AuthSession,
  type AuthStore,
  ErrorCode,
  JikoAuthError,
} from '@jiko-auth/core'
import type { Snapshot } from 'xstate'
import { BoundedMap } from './boundedMap.js'
import { importSealingKey, openRecord, type SealingKey, sealRecord } from './sealRecord.js'

/** The machine's persisted snapshot, as stored. */
export type PersistedFlow = Snapshot<unknown> & { value: string; context: AuthMachineContext }

/** A signed-in session at rest (encrypted). */
export interface SessionRecord {
  v: 1
  flow: PersistedFlow
  createdAt: number
  absoluteExpiresAt: number
  touchedAt: number
  /** What the app's `onSession` hook added (shown in `session.user`). */
  extra?: Record<string, unknown>
}

/** The signed-in session a record holds (tokens, times, scope), if any. */
export const sessionOf = (record: SessionRecord | undefined) =>
  record?.flow.context.session as AuthSession | undefined

/** A login in flight at rest (encrypted): the snapshot holds state, verifier and returnTo. */
export interface TransactionRecord {
  v: 1
  flow: PersistedFlow
}

export const TRANSACTION_TTL_SECONDS = 600

const hash = (value: string) => createHash('sha256').update(value).digest('base64url')

/** A new session id: 256 random bits. */
export const newSessionId = () => randomBytes(32).toString('base64url')

/**
 * Sessions and login transactions over an AuthStore. Keys are hashes (the store never sees a cookie value or a
 * state), values are sealed. Store failures become `JIKO_STORAGE_ERROR`.
 */
/** How long a read in flight may be joined by other loads of the same session. */
const SHARED_READ_WINDOW_MS = 1000

/** How many opened sessions are kept decrypted (one per storage key) to spare the hot path a decryption. */
const OPENED_CACHE_SIZE = 1000

export class SessionStore {
  readonly #key: Promise<SealingKey>
  /**
   * The last opened record of each storage key, with the sealed value it came from: the same bytes under the same
   * key always open to the same record, so the cache is never stale. Records are shared: treat them as immutable.
   */
  readonly #opened = new BoundedMap<string, { sealed: string; record: Promise<SessionRecord | undefined> }>(
    OPENED_CACHE_SIZE,
  )
  /**
   * Each opened record's version: the sealed value it was read as. A seal has a fresh random IV, so no two writes
   * store the same string, and "the store still holds what I read" is an exact version check (see `replaceSession`).
   */
  readonly #versions = new WeakMap<SessionRecord, string>()
  /** Reads in flight by storage key: concurrent readers of one session share one request to the store. */
  readonly #reads = new Map<string, { read: Promise<string | undefined>; startedAt: number }>()

  /** The store's wake-up at a lock's release, when it has one (see `createStoreLock`). */
  readonly onLockReleased: ((lockKey: string, listener: () => void) => () => void) | undefined

  constructor(
    private readonly store: AuthStore,
    rawKey: Uint8Array,
  ) {
    this.#key = importSealingKey(rawKey)
    this.onLockReleased = store.onLockReleased?.bind(store)
  }

  sessionKey(sessionId: string) {
    return `jiko:session:${hash(sessionId)}`
  }

  lockKey(sessionKey: string) {
    return `${sessionKey}:refresh`
  }

  acquireLock(lockKey: string, ttlMs: number): Promise<string | undefined> {
    return this.#call(() => this.store.acquireLock(lockKey, ttlMs))
  }

  releaseLock(lockKey: string, owner: string): Promise<boolean> {
    return this.#call(() => this.store.releaseLock(lockKey, owner))
  }

  /**
   * The stored session, opened. Concurrent loads of one key share one read; `latest: true` starts a read of its
   * own, for callers that must see every write completed before the call (under the refresh lock).
   */
  async loadSession(sessionKey: string, { latest = false } = {}): Promise<SessionRecord | undefined> {
    const sealed = await this.#read(sessionKey, latest)
    if (sealed === undefined) return undefined
    // Keyed by storage key, so a value copied under another key never opens from the cache; compared by value
    // (a shared read hands every caller the same string, so the comparison is usually by reference).
    const cached = this.#opened.get(sessionKey)
    if (cached?.sealed === sealed) return cached.record
    // The promise is cached, so concurrent readers of one session decrypt it once.
    const record = this.#key
      .then((key) => openRecord<SessionRecord>(key, sessionKey, sealed))
      .then((opened) => {
        if (opened) this.#versions.set(opened, sealed)
        return opened
      })
    this.#opened.set(sessionKey, { sealed, record })
    return record
  }

  /** The version of a record `loadSession` gave: what `replaceSession` and `deleteSessionIf` compare with. */
  versionOf(record: SessionRecord): string | undefined {
    return this.#versions.get(record)
  }

  /** The last record this process opened for the key, without asking the store (which may be down). */
  lastOpened(sessionKey: string): Promise<SessionRecord | undefined> | undefined {
    return this.#opened.get(sessionKey)?.record
  }

  /** Stores the session, whatever the store holds; resolves to the version written. */
  async saveSession(sessionKey: string, record: SessionRecord, ttlSeconds: number): Promise<string> {
    const sealed = await sealRecord(await this.#key, sessionKey, record)
    await this.#write(sessionKey, () =>
      this.store.set(sessionKey, sealed, Math.max(1, Math.ceil(ttlSeconds))),
    )
    return sealed
  }

  /**
   * Fencing: stores the session only over the version `expected`. Resolves to the version written, or `undefined`
   * (nothing written) when the store holds anything else: a newer record, or none (the session ended). One atomic
   * step on a store with `compareAndSet`; on one without, a read, a compare and a write, which only the refresh
   * lock protects (a writer whose lock was lost can slip in between).
   */
  async replaceSession(
    sessionKey: string,
    record: SessionRecord,
    ttlSeconds: number,
    expected: string,
  ): Promise<string | undefined> {
    const sealed = await sealRecord(await this.#key, sessionKey, record)
    const ttl = Math.max(1, Math.ceil(ttlSeconds))
    const store = this.store
    const written = await this.#write(sessionKey, async () => {
      if (store.compareAndSet) return store.compareAndSet(sessionKey, sealed, ttl, expected)
      if ((await store.get(sessionKey)) !== expected) return false
      await store.set(sessionKey, sealed, ttl)
      return true
    })
    return written ? sealed : undefined
  }

  /**
   * Fencing: deletes the session only while it holds version `expected`. Resolves `false` (nothing deleted) when it
   * holds another, newer, record; as `replaceSession`, atomic only on a store with `compareAndDelete`.
   */
  async deleteSessionIf(sessionKey: string, expected: string): Promise<boolean> {
    const store = this.store
    const deleted = await this.#write(sessionKey, async () => {
      if (store.compareAndDelete) return store.compareAndDelete(sessionKey, expected)
      const current = await store.get(sessionKey)
      if (current !== undefined && current !== expected) return false
      await store.delete(sessionKey)
      return true
    })
    if (deleted) this.#opened.delete(sessionKey)
    return deleted
  }

  async deleteSession(sessionKey: string): Promise<void> {
    await this.#write(sessionKey, () => this.store.delete(sessionKey))
    // Its tokens need not stay decrypted in memory.
    this.#opened.delete(sessionKey)
  }

  async saveTransaction(state: string, record: TransactionRecord): Promise<void> {
    const key = `jiko:tx:${hash(state)}`
    const sealed = await sealRecord(await this.#key, key, record)
    await this.#call(() => this.store.set(key, sealed, TRANSACTION_TTL_SECONDS))
  }

  /**
   * Takes a login transaction exactly once, across processes: the first caller claims it with the store's lock
   * (never released, it expires with the transaction), reads it and deletes it; any other caller gets undefined.
   */
  async takeTransaction(state: string): Promise<TransactionRecord | undefined> {
    const key = `jiko:tx:${hash(state)}`
    const claimed = await this.#call(() =>
      this.store.acquireLock(`${key}:claim`, TRANSACTION_TTL_SECONDS * 1000),
    )
    if (claimed === undefined) return undefined
    const sealed = await this.#call(() => this.store.get(key))
    if (sealed === undefined) return undefined
    await this.#call(() => this.store.delete(key))
    return openRecord<TransactionRecord>(await this.#key, key, sealed)
  }

  /** A read of the stored value, shared with a read of the same key started less than a second ago. */
  #read(sessionKey: string, latest: boolean): Promise<string | undefined> {
    const now = performance.now()
    const pending = latest ? undefined : this.#reads.get(sessionKey)
    // A read that has not settled within the window is not joined: one stuck request stays one stuck request.
    if (pending && now - pending.startedAt < SHARED_READ_WINDOW_MS) return pending.read
    const read = this.#call(() => this.store.get(sessionKey))
    const entry = { read, startedAt: now }
    this.#reads.set(sessionKey, entry)
    const settled = () => {
      if (this.#reads.get(sessionKey) === entry) this.#reads.delete(sessionKey)
    }
    read.then(settled, settled)
    return read
  }

  /**
   * A write; once it is done, no later load in this process joins a read that started before it. (Writes by other
   * processes are seen by the next read that starts after them.)
   */
  async #write<T>(sessionKey: string, operation: () => T | Promise<T>): Promise<T> {
    try {
      return await this.#call(operation)
    } finally {
      this.#reads.delete(sessionKey)
    }
  }

  #call<T>(operation: () => T | Promise<T>): Promise<T> {
    return callStore(operation)
  }
}

/** One call to an AuthStore: a failure that is not ours becomes `JIKO_STORAGE_ERROR` (nothing was changed). */
export async function callStore<T>(operation: () => T | Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (cause) {
    if (cause instanceof JikoAuthError) throw cause
    throw new JikoAuthError(ErrorCode.StorageError, 'The session store failed', {
      hint: 'Check that the storage backend is reachable; nothing was changed',
      cause,
    })
  }
}
