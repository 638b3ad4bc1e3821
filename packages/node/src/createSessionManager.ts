import {
  ErrorCode,
  isIdTokenRejection,
  isSessionFresh,
  JikoAuthError,
  systemClock,
  toJikoAuthError,
} from '@jiko-auth/core'
import { BoundedMap } from './boundedMap.js'
import type { FlowRunner } from './createFlowRunner.js'
import { createRefreshSettler } from './createRefreshSettler.js'
import { BUSY, createStoreLock } from './createStoreLock.js'
import type { ResolvedOptions } from './options.js'
import { refreshedExtra } from './sessionHook.js'
import { type PersistedFlow, type SessionRecord, type SessionStore, sessionOf } from './sessionStore.js'

const accessTokenOf = (record: SessionRecord | undefined) => sessionOf(record)?.tokens?.accessToken

/** The share of the lock's time a refresh may take, leaving the rest to store its result. */
const REFRESH_SHARE_OF_LOCK = 0.8
/** How many sessions ended while the store refused their delete are remembered (refused, deleted on next access). */
const UNDELETED_ENDS = 10_000
/** At most how long a refused refresh token waits for another process's newer record (see `RefreshSettler`). */
const REFUSED_GRACE_MS = 1000

/**
 * Sessions: create, read, refresh (single-flight), end. Of N concurrent callers that find one session due for
 * refresh, exactly one calls the token endpoint: in this process they share one promise; across processes they
 * take the store's lock, and those that lose wait for the winner's persisted result instead of replaying the old
 * refresh token. `revoke` gets the records a session leaves behind when it ends without them (best effort; it never
 * throws).
 */
export function createSessionManager(
  options: ResolvedOptions,
  sessions: SessionStore,
  flows: FlowRunner,
  revoke: (record: SessionRecord) => Promise<void>,
) {
  const clock = options.clock ?? systemClock
  const leewayMs = options.leewaySeconds * 1000
  const inFlight = new Map<string, Promise<SessionRecord>>()
  /**
   * Refreshed sessions this process could not store (the store failed after Jiko had rotated the refresh token),
   * with the access token of the record they replace. They are written on the next access, under the session's
   * lock, and only over that very record: the rotated token is never lost while this process lives, a session
   * ended meanwhile stays ended, and a newer record is never overwritten (see docs/security.md for the window that
   * remains).
   */
  const unsaved = new Map<string, { record: SessionRecord; replaces: string | undefined }>()
  /** Writes of `unsaved` records in progress, shared by the callers that wait for them. */
  const storing = new Map<string, Promise<void>>()
  const locks = createStoreLock(sessions, {
    lockMs: options.refreshLockMs,
    logger: options.logger,
    what: 'refresh',
  })
  /**
   * Sessions ended in this process (logout) whose delete the store refused: from then on this process treats them as
   * gone, and deletes them on their next access once the store takes writes again.
   */
  const undeleted = new BoundedMap<string, true>(UNDELETED_ENDS)

  const isFresh = (record: SessionRecord) => {
    const session = sessionOf(record)
    return session !== undefined && isSessionFresh(session, leewayMs, clock.now())
  }

  function ttlOf(record: SessionRecord) {
    const remaining = (record.absoluteExpiresAt - clock.now()) / 1000
    return Math.min(options.idleTimeoutSeconds, remaining)
  }

  /**
   * Stores the session; with `replaces` (a version), only over that version (fencing). Resolves to the version
   * written, or `undefined` when the store holds another.
   */
  async function save(sessionKey: string, full: SessionRecord, replaces?: string) {
    const record = storedForm(full, options.keepIdToken)
    const ttl = ttlOf(record)
    if (ttl <= 0) {
      await sessions.deleteSession(sessionKey)
      throw expired()
    }
    return replaces === undefined
      ? sessions.saveSession(sessionKey, record, ttl)
      : sessions.replaceSession(sessionKey, record, ttl, replaces)
  }

  // A record without a version (never the case for one read from the store) matches no stored value: fail closed.
  const versionOf = (record: SessionRecord) => sessions.versionOf(record) ?? ''
  const settler = createRefreshSettler({
    read: (sessionKey) => read(sessionKey, true),
    save,
    deleteIf: (sessionKey, expected) => sessions.deleteSessionIf(sessionKey, expected),
    versionOf,
    revoke,
    logger: options.logger,
    graceMs: Math.min(REFUSED_GRACE_MS, options.refreshLockMs / 5),
  })

  /** The stored session (a read shared with concurrent ones unless `latest`); an expired one is deleted. */
  async function read(sessionKey: string, latest: boolean): Promise<SessionRecord | undefined> {
    const record = await sessions.loadSession(sessionKey, { latest })
    if (!record) return undefined
    if (record.absoluteExpiresAt <= clock.now()) {
      await sessions.deleteSession(sessionKey)
      return undefined
    }
    return record
  }

  /** The session, after writing a refreshed one this process still holds (see `unsaved`). */
  async function load(sessionKey: string): Promise<SessionRecord | undefined> {
    if (undeleted.has(sessionKey)) {
      await finishEnd(sessionKey)
      return undefined
    }
    if (unsaved.has(sessionKey)) {
      let shared = storing.get(sessionKey)
      if (!shared) {
        shared = underLock(sessionKey, () => storeUnsaved(sessionKey)).finally(() =>
          storing.delete(sessionKey),
        )
        storing.set(sessionKey, shared)
      }
      await shared
    }
    return read(sessionKey, false)
  }

  /**
   * With the session's lock held: the stored record, and this process's unsaved one when it is newer (only if the
   * store still holds the very record it replaces).
   */
  async function newest(sessionKey: string) {
    const stored = await read(sessionKey, true)
    const entry = unsaved.get(sessionKey)
    const newer = entry && stored && accessTokenOf(stored) === entry.replaces ? entry.record : undefined
    return { stored, pending: newer }
  }

  /** With the session's lock held: writes the refreshed session the store refused, if it is still the newest. */
  async function storeUnsaved(sessionKey: string) {
    const entry = unsaved.get(sessionKey)
    if (!entry) return
    const { stored, pending } = await newest(sessionKey)
    if (pending && stored) {
      // Refused (undefined) only when another writer slipped in: its record is then the newer one.
      if (await save(sessionKey, pending, versionOf(stored))) {
        options.logger.info?.('jiko-auth: stored a refreshed session the store had refused earlier')
      }
    } else if (!stored) {
      // Its rotated refresh token is live at Jiko and now belongs to nothing.
      await revoke(entry.record)
      options.logger.info?.(
        'jiko-auth: a refreshed session the store had refused belongs to an ended session',
      )
    }
    unsaved.delete(sessionKey)
  }

  /** Runs `work` holding the session's lock if nobody holds it; `BUSY` otherwise (see `StoreLock.ifFree`). */
  const ifLockFree = <T>(sessionKey: string, work: () => Promise<T>) =>
    locks.ifFree(sessions.lockKey(sessionKey), work)

  /** Runs `work` holding the session's lock, waiting while another caller holds it (see `StoreLock.hold`). */
  const underLock = <T>(sessionKey: string, work: () => Promise<T>, settled?: () => Promise<T | undefined>) =>
    locks.hold(sessions.lockKey(sessionKey), work, settled)

  /** Refreshes under the session's lock; a caller that does not get the lock waits for the holder's result. */
  function refreshAcrossProcesses(sessionKey: string, seen: SessionRecord, force: boolean) {
    return underLock(
      sessionKey,
      async () => {
        // The refresh must end while the lock is surely ours: another process may take it once it expires.
        const deadline = Date.now() + options.refreshLockMs * REFRESH_SHARE_OF_LOCK
        await storeUnsaved(sessionKey)
        // A read of its own: one that started before the lock was taken may predate another process's refresh.
        const current = await read(sessionKey, true)
        if (!current) throw expired()
        const refreshedByOther = accessTokenOf(current) !== accessTokenOf(seen)
        if ((refreshedByOther || !force) && isFresh(current)) return current
        let flow: PersistedFlow
        try {
          flow = await refreshFlow(sessionKey, current.flow, deadline - Date.now())
        } catch (error) {
          if (isSessionEnd(error)) return settler.refused(sessionKey, current, error)
          throw error
        }
        const next: SessionRecord = { ...current, flow, touchedAt: clock.now() }
        // Persisted before anyone is given the new tokens: the old refresh token is spent from here on. Fenced: a
        // process whose lock was lost never writes over a newer refresh, nor brings back a session that ended.
        let settled: Awaited<ReturnType<typeof settler.stored>>
        try {
          settled = await settler.stored(sessionKey, current, next)
        } catch (error) {
          // Unless the session ended meanwhile, the rotated tokens are kept in memory and written on next access.
          if (!isSessionEnd(error)) {
            unsaved.set(sessionKey, { record: next, replaces: accessTokenOf(current) })
          }
          throw error
        }
        if (settled.version === undefined) return settled.record
        options.logger.info?.('jiko-auth: session refreshed')
        // The app's fields for the new tokens, after the tokens are safe: a slow hook never widens that window.
        if (!options.onSession) return next
        const withExtra: SessionRecord = { ...next, extra: await refreshedExtra(options, next) }
        const stored = await save(sessionKey, withExtra, settled.version).catch(() => undefined)
        if (!stored) options.logger.warn?.('jiko-auth: could not store the onSession fields of a refresh')
        return withExtra
      },
      async () => {
        const current = await read(sessionKey, false)
        if (!current) throw expired()
        return accessTokenOf(current) !== accessTokenOf(seen) && isFresh(current) ? current : undefined
      },
    )
  }

  async function refreshFlow(
    sessionKey: string,
    flow: PersistedFlow,
    timeoutMs: number,
  ): Promise<PersistedFlow> {
    try {
      // Records may be shared (the opened-session cache): the machine gets its own copy.
      return await flows.refresh(structuredClone(flow), { timeoutMs: Math.max(1, timeoutMs) })
    } catch (error) {
      // A refused refresh token is settled by the caller (`settler.refused`): it may have been spent by another process.
      if (isSessionEnd(error)) throw error
      if (isIdTokenRejection(error)) {
        // The refresh's id_token was refused: its refresh token is revoked and the stored one is spent.
        await sessions.deleteSession(sessionKey)
        options.logger.warn?.('jiko-auth: session ended: the refreshed id_token was refused', {
          code: (error as JikoAuthError).code,
        })
      } else {
        options.logger.warn?.('jiko-auth: refresh failed; session kept', {
          code: error instanceof JikoAuthError ? error.code : 'unknown',
        })
      }
      throw error
    }
  }

  /** Deletes a session ended earlier whose delete the store refused; on failure it waits for the next access. */
  async function finishEnd(sessionKey: string) {
    try {
      const done = await ifLockFree(sessionKey, async () => {
        await sessions.deleteSession(sessionKey)
        unsaved.delete(sessionKey)
      })
      if (done === BUSY) return
      undeleted.delete(sessionKey)
      options.logger.info?.('jiko-auth: deleted a logged-out session the store had refused to delete')
    } catch (error) {
      options.logger.debug?.('jiko-auth: a logged-out session is still stored', {
        code: toJikoAuthError(error).code,
      })
    }
  }

  /**
   * The newest record this process can find of a session whose end the store refused, for revocation: a refreshed
   * one it could not store, a read without the lock, or the last one it opened.
   */
  async function lastKnown(sessionKey: string): Promise<SessionRecord | undefined> {
    const pending = unsaved.get(sessionKey)?.record
    if (pending) return pending
    return (
      (await sessions.loadSession(sessionKey, { latest: true }).catch(() => undefined)) ??
      sessions.lastOpened(sessionKey)
    )
  }

  function expired() {
    return new JikoAuthError(ErrorCode.SessionExpired, 'The session has expired', { hint: 'Sign in again' })
  }

  return {
    load,

    /** Stores a new signed-in flow under a fresh session id. */
    async create(
      sessionKey: string,
      flow: PersistedFlow,
      extra?: Record<string, unknown>,
    ): Promise<SessionRecord> {
      const now = clock.now()
      const record: SessionRecord = {
        v: 1,
        flow,
        createdAt: now,
        absoluteExpiresAt: now + options.absoluteTimeoutSeconds * 1000,
        touchedAt: now,
        ...(extra ? { extra } : {}),
      }
      await save(sessionKey, record)
      return record
    },

    /**
     * Ends the session: deletes it under its lock, so that a refresh in flight (in any process) finishes first and
     * cannot write it back. Resolves to the last record (for revocation). When the store fails, the session is ended
     * all the same in this process (refused from now on, deleted on its next access) and `failure` says why the
     * store may still hold it; `last` is then the newest record this process could find.
     */
    async end(sessionKey: string): Promise<{ last: SessionRecord | undefined; failure?: JikoAuthError }> {
      try {
        const last = await underLock(sessionKey, async () => {
          const { stored, pending } = await newest(sessionKey)
          const orphan = unsaved.get(sessionKey)?.record
          await sessions.deleteSession(sessionKey)
          unsaved.delete(sessionKey)
          // A refreshed record the store refused, and that is not the newest: its rotated token is live, so revoke it.
          if (orphan && orphan !== pending) await revoke(orphan)
          return pending ?? stored
        })
        undeleted.delete(sessionKey)
        return { last }
      } catch (error) {
        undeleted.set(sessionKey, true)
        return { last: await lastKnown(sessionKey), failure: toJikoAuthError(error) }
      }
    },

    /**
     * The session after Jiko refused its access token `stale` (a 401 from the API): refreshed once however many
     * callers report the same token (one refresh in flight is shared; a caller that finds a newer token takes it).
     */
    async replace(sessionKey: string, stale: string): Promise<SessionRecord | undefined> {
      const record = await load(sessionKey)
      if (!record || accessTokenOf(record) !== stale) return record
      let shared = inFlight.get(sessionKey)
      if (!shared) {
        shared = refreshAcrossProcesses(sessionKey, record, true).finally(() => inFlight.delete(sessionKey))
        inFlight.set(sessionKey, shared)
      }
      return shared
    },

    /**
     * The session with an access token valid for at least the leeway, refreshing it first when due (or always,
     * with `force`). Undefined when there is no session.
     */
    async fresh(sessionKey: string, { force = false } = {}): Promise<SessionRecord | undefined> {
      const record = await load(sessionKey)
      if (!record) return undefined
      if (!force && isFresh(record)) {
        await touch(sessionKey, record)
        return record
      }
      let shared = inFlight.get(sessionKey)
      if (!shared) {
        shared = refreshAcrossProcesses(sessionKey, record, force).finally(() => inFlight.delete(sessionKey))
        inFlight.set(sessionKey, shared)
      }
      return shared
    },
  }

  /**
   * Slides the idle timeout, at most once per quarter of it, under the refresh lock so that it can never write
   * back an older record over a refreshed one. Skipped when the lock is busy.
   */
  async function touch(sessionKey: string, record: SessionRecord) {
    if (clock.now() - record.touchedAt < (options.idleTimeoutSeconds * 1000) / 4) return
    await ifLockFree(sessionKey, async () => {
      await storeUnsaved(sessionKey)
      const current = await read(sessionKey, true)
      // Fenced: with a lost lock, a refresh may have been stored since this read; its record is kept.
      if (current) await save(sessionKey, { ...current, touchedAt: clock.now() }, versionOf(current))
    })
  }
}

export type SessionManager = ReturnType<typeof createSessionManager>

/** A refused refresh token, or a session without one: the session ends (unless another process refreshed it). */
const isSessionEnd = (error: unknown) =>
  error instanceof JikoAuthError && error.code === ErrorCode.SessionExpired

/**
 * The record as it is stored: without the login's `returnTo` (spent at the callback) and, unless `keepIdToken`,
 * without the id token (its claims are already in `session.user`, and it is a third of a session's bytes).
 */
function storedForm(record: SessionRecord, keepIdToken: boolean): SessionRecord {
  const { returnTo: _spent, ...context } = record.flow.context
  const session = sessionOf(record)
  if (keepIdToken || !session?.tokens?.idToken) {
    return { ...record, flow: { ...record.flow, context: { ...context, returnTo: undefined } } }
  }
  const { idToken: _dropped, ...tokens } = session.tokens
  return {
    ...record,
    flow: { ...record.flow, context: { ...context, returnTo: undefined, session: { ...session, tokens } } },
  }
}
