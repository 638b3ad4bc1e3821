import {
  type AuthSession,
  createDirectMachine,
  ErrorCode,
  fromSerializedError,
  JikoAuthError,
  type MetadataCache,
  type SerializedAuthError,
  type TokenClient,
} from '@jiko-auth/core'
import { createActor, type SnapshotFrom, waitFor } from 'xstate'
import type { ResolvedOptions } from './options.js'
import type { PersistedFlow } from './sessionStore.js'

/** How long one step of the flow (a token request included) may take before it is given up. */
const STEP_TIMEOUT_MS = 30_000

/**
 * Runs the core machine one step at a time, as HTTP requests arrive: each step restores the persisted snapshot,
 * sends one event, waits for the state that ends the step, and persists again.
 */
export function createFlowRunner(
  options: ResolvedOptions,
  shared: { tokenClient: TokenClient; metadata: MetadataCache },
) {
  const machine = createDirectMachine({
    config: options.client,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.http ? { http: options.http } : {}),
    crypto: options.crypto,
    ...shared,
  })
  type Flow = SnapshotFrom<typeof machine>
  const input = { leewaySeconds: options.leewaySeconds }

  async function step(
    from: PersistedFlow | undefined,
    event: Parameters<ReturnType<typeof createActor<typeof machine>>['send']>[0],
    done: (snapshot: Flow) => boolean,
    timeoutMs = STEP_TIMEOUT_MS,
  ): Promise<{ snapshot: Flow; persisted: PersistedFlow }> {
    const actor = createActor(machine, {
      input,
      ...(from ? { snapshot: from as never } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    })
    actor.start()
    try {
      actor.send(event)
      const snapshot = await waitFor(actor, done, { timeout: timeoutMs }).catch((error: unknown) => {
        // Stopping the actor (below) cancels the request in flight.
        throw new JikoAuthError(ErrorCode.Timeout, `The sign-in step did not finish within ${timeoutMs} ms`, {
          hint: 'Check that the authorization server answers; for refreshes, refreshLockMs bounds the time',
          cause: error,
        })
      })
      return { snapshot, persisted: actor.getPersistedSnapshot() as PersistedFlow }
    } finally {
      actor.stop()
    }
  }

  const failure = (snapshot: Flow): JikoAuthError =>
    snapshot.context.error
      ? fromSerializedError(snapshot.context.error as SerializedAuthError)
      : new JikoAuthError(ErrorCode.Unknown, 'The sign-in flow stopped unexpectedly')

  return {
    /** idle → redirecting → awaitingCallback: the URL to send the browser to, and the flow to keep. */
    async startLogin(returnTo: string) {
      const { snapshot, persisted } = await step(
        undefined,
        { type: 'LOGIN', returnTo },
        (s) => s.matches('awaitingCallback') || s.matches('error'),
      )
      const { authorizationUrl, transaction } = snapshot.context
      if (!snapshot.matches('awaitingCallback') || !authorizationUrl || !transaction) throw failure(snapshot)
      return { authorizationUrl, state: transaction.state, flow: persisted }
    },

    /** awaitingCallback → exchanging → authenticated: the signed-in flow, or the typed error. */
    async completeLogin(flow: PersistedFlow, callbackQuery: string) {
      const { snapshot, persisted } = await step(
        flow,
        { type: 'CALLBACK', url: callbackQuery },
        (s) => s.matches('authenticated') || s.matches('error'),
      )
      if (!snapshot.matches('authenticated')) throw failure(snapshot)
      return persisted
    },

    /** authenticated → refreshing → authenticated; a refused refresh token ends the session (`JIKO_SESSION_EXPIRED`). */
    async refresh(flow: PersistedFlow, { timeoutMs = STEP_TIMEOUT_MS } = {}) {
      const before = (flow.context.session as AuthSession | undefined)?.tokens?.accessToken
      const { snapshot, persisted } = await step(
        flow,
        { type: 'REFRESH' },
        (s) =>
          (s.matches('authenticated') && s.context.session?.tokens?.accessToken !== before) ||
          s.matches('idle') ||
          s.matches('error'),
        timeoutMs,
      )
      if (snapshot.matches('authenticated')) return persisted
      if (snapshot.matches('idle')) {
        throw new JikoAuthError(ErrorCode.SessionExpired, 'The session has expired', {
          hint: 'Sign in again',
          cause: snapshot.context.error,
        })
      }
      throw failure(snapshot)
    },
  }
}

export type FlowRunner = ReturnType<typeof createFlowRunner>
