import { ErrorCode, JikoAuthError } from '@jiko-auth/core'
import type { JikoAuthLogger } from './options.js'
import { type SessionRecord, sessionOf } from './sessionStore.js'

/** How often a refused refresh looks for another process's newer record during its grace. */
const REFUSED_POLL_MS = 50
/** How many times a refreshed record is written over a record that changed without a refresh. */
const REWRITES = 3

const refreshTokenOf = (record: SessionRecord) => sessionOf(record)?.tokens?.refreshToken
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What the settler needs of the session manager: reads under the lock, fenced writes, revocation. */
export interface RefreshSettlerContext {
  /** The stored record, read afresh (never a shared read). */
  read(sessionKey: string): Promise<SessionRecord | undefined>
  /** Stores `record` only over version `replaces`; its version, or `undefined` when the store holds another. */
  save(sessionKey: string, record: SessionRecord, replaces: string): Promise<string | undefined>
  /** Deletes the session only while it holds version `expected`; `false` when it holds another. */
  deleteIf(sessionKey: string, expected: string): Promise<boolean>
  versionOf(record: SessionRecord): string
  /** Revokes a record's refresh token (best effort, never throws). */
  revoke(record: SessionRecord): Promise<void>
  logger: JikoAuthLogger
  /** How long a refused refresh waits for another process's write before it ends the session. */
  graceMs: number
}

/** Where a refresh ended: the record now stored (`version` set when it is this refresh's own). */
export interface Settled {
  record: SessionRecord
  version?: string
}

/**
 * The end of a refresh held under a lock that may have been lost (a Redis failover that promoted a replica which
 * never saw the lock, a process paused past the lock's TTL): then two processes refresh one session at once. Two
 * rules keep the session: a write never replaces a record newer than the one the refresh started from (fencing),
 * and a refused refresh token ends the session only when no other process has stored newer tokens. Which record is
 * newer is decided by the refresh token it holds, compared in memory and never logged.
 */
export function createRefreshSettler(context: RefreshSettlerContext) {
  const { read, save, versionOf, logger } = context

  function lockWasLost(outcome: string) {
    logger.warn?.(
      'jiko-auth: the refresh lock of a session was lost and another process refreshed it too; the newest tokens are kept',
      { outcome },
    )
  }

  return {
    /**
     * Stores the refreshed `next` over `current`, the record it was refreshed from. When the store holds another
     * record: one with other tokens (another process refreshed) is the session and `next` is revoked; one with the
     * same tokens (an idle-timeout slide) is overwritten; none (the session ended) stays none, and `next` is revoked.
     */
    async stored(sessionKey: string, current: SessionRecord, next: SessionRecord): Promise<Settled> {
      let replaces = versionOf(current)
      for (let attempt = 0; attempt <= REWRITES; attempt++) {
        const version = await save(sessionKey, next, replaces)
        if (version !== undefined) {
          if (attempt > 0) lockWasLost('rewritten over a record with the same tokens')
          return { record: next, version }
        }
        const stored = await read(sessionKey)
        if (!stored) {
          await context.revoke(next)
          throw new JikoAuthError(
            ErrorCode.SessionExpired,
            'The session ended while it was being refreshed',
            {
              hint: 'Sign in again',
            },
          )
        }
        if (refreshTokenOf(stored) !== refreshTokenOf(current)) {
          lockWasLost('another process stored its refresh first')
          // A server that rotates refresh tokens never answers both refreshes; one that does leaves ours live.
          if (refreshTokenOf(next) !== refreshTokenOf(stored)) await context.revoke(next)
          return { record: stored }
        }
        replaces = versionOf(stored)
      }
      throw new JikoAuthError(
        ErrorCode.StorageError,
        'The session kept changing while a refresh was stored',
        {
          hint: 'Check that nothing else writes the session keys; the refreshed tokens were not stored',
        },
      )
    },

    /**
     * After the server refused `current`'s refresh token (`refusal`, JIKO_SESSION_EXPIRED): another process may
     * have spent it a moment ago under a lost lock, and be about to store its tokens. The store is read again
     * (during `graceMs` when a token was sent); a record with another refresh token is the session. Otherwise the
     * session is deleted, unless a newer record lands at that very moment, and `refusal` is thrown.
     */
    async refused(sessionKey: string, current: SessionRecord, refusal: unknown): Promise<SessionRecord> {
      const spent = refreshTokenOf(current)
      const giveUpAt = Date.now() + (spent === undefined ? 0 : context.graceMs)
      for (;;) {
        const stored = await read(sessionKey)
        if (!stored) break
        if (refreshTokenOf(stored) !== spent) {
          lockWasLost('adopted the tokens another process stored')
          return stored
        }
        if (Date.now() >= giveUpAt) {
          if (await context.deleteIf(sessionKey, versionOf(stored))) break
        } else {
          await sleep(REFUSED_POLL_MS)
        }
      }
      logger.info?.('jiko-auth: session expired', { code: ErrorCode.SessionExpired })
      throw refusal
    },
  }
}

export type RefreshSettler = ReturnType<typeof createRefreshSettler>
