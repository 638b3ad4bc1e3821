import { ErrorCode, JikoAuthError, type SessionUser, toJikoAuthError } from '@jiko-auth/core'
import type { ResolvedOptions } from './options.js'
import { type PersistedFlow, type SessionRecord, sessionOf } from './sessionStore.js'

/** The most an `onSession` hook may add to a session, serialised. */
export const MAX_SESSION_EXTRA_BYTES = 4096

/** What an `onSession` hook is given: who signed in and the tokens, on the server only. */
export interface SessionHookEvent {
  /** `signIn` at the callback, `refresh` after a refresh has been stored. */
  reason: 'signIn' | 'refresh'
  /** The validated id_token's claims (undefined without the `openid` scope). */
  user: SessionUser | undefined
  tokens: { accessToken: string; scope: string | undefined; expiresAt: number }
}

/** Fields an app adds to `session.user`: a plain JSON object of at most 4 KB. */
export type SessionExtra = Record<string, unknown>

export type SessionHook = (
  event: SessionHookEvent,
) => SessionExtra | undefined | Promise<SessionExtra | undefined>

/**
 * Runs the app's `onSession` hook for a signed-in flow and checks what it returns: a plain JSON object of at most
 * 4 KB, or nothing. Throws `JIKO_CONFIG_INVALID` (field `onSession`) otherwise.
 */
export async function runSessionHook(
  hook: SessionHook,
  flow: PersistedFlow,
  reason: SessionHookEvent['reason'],
): Promise<SessionExtra | undefined> {
  const session = sessionOf({ flow } as SessionRecord)
  const tokens = session?.tokens
  if (!session || !tokens) return undefined
  const extra = await hook({
    reason,
    user: session.user,
    tokens: { accessToken: tokens.accessToken, scope: tokens.scope, expiresAt: tokens.expiresAt },
  })
  if (extra === undefined) return undefined
  const serialised =
    typeof extra === 'object' && extra !== null && !Array.isArray(extra) ? JSON.stringify(extra) : ''
  if (!serialised || new TextEncoder().encode(serialised).length > MAX_SESSION_EXTRA_BYTES) {
    throw new JikoAuthError(
      ErrorCode.ConfigInvalid,
      'onSession must return a plain JSON object of at most 4 KB',
      {
        field: 'onSession',
        hint: 'Return only what the page needs, e.g. { roles: ["admin"] }; keep tokens out of it',
      },
    )
  }
  return JSON.parse(serialised) as SessionExtra
}

/**
 * After a refresh has been stored: the hook's fields for the new tokens, or the previous ones when the hook fails
 * (a refresh is never undone by the app's hook; the failure is logged).
 */
export async function refreshedExtra(
  options: ResolvedOptions,
  record: SessionRecord,
): Promise<SessionExtra | undefined> {
  if (!options.onSession) return record.extra
  try {
    return await runSessionHook(options.onSession, record.flow, 'refresh')
  } catch (error) {
    options.logger.warn?.('jiko-auth: onSession failed at a refresh; the session keeps its fields', {
      code: toJikoAuthError(error).code,
    })
    return record.extra
  }
}
