import {
  type AuthMachineEvent,
  createDirectMachine,
  createMachineStepper,
  ErrorCode,
  fromSerializedError,
  JikoAuthError,
  type MetadataCache,
  type SerializedAuthError,
  type TokenClient,
} from '@jiko-auth/core'
import type { SnapshotFrom } from 'xstate'
import type { ResolvedOptions } from './options.js'
import type { PersistedFlow } from './sessionStore.js'

/**
 * Runs the core machine one request at a time, without an actor: each step restores the persisted snapshot, takes
 * one event, runs the effects it invokes (a token request) and hands back the snapshot to persist. The machine is
 * the flow's one definition; `createMachineStepper` only leaves out an actor's scheduling, which a server answering
 * requests does not need (a model-based test in core proves both store the same records on every path).
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
  const stepper = createMachineStepper(machine, options.inspect ? { inspect: options.inspect } : {})
  const input = { leewaySeconds: options.leewaySeconds }

  async function step(
    from: PersistedFlow | undefined,
    event: AuthMachineEvent,
    timeoutMs?: number,
  ): Promise<{ snapshot: Flow; persisted: PersistedFlow }> {
    const { snapshot, persisted } = await stepper.step(from as never, event, {
      input,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    })
    return { snapshot, persisted: persisted as PersistedFlow }
  }

  const failure = (snapshot: Flow): JikoAuthError =>
    snapshot.context.error
      ? fromSerializedError(snapshot.context.error as SerializedAuthError)
      : new JikoAuthError(ErrorCode.Unknown, 'The sign-in flow stopped unexpectedly')

  return {
    /** idle → redirecting → awaitingCallback: the URL to send the browser to, and the flow to keep. */
    async startLogin(returnTo: string) {
      const { snapshot, persisted } = await step(undefined, { type: 'LOGIN', returnTo })
      const { authorizationUrl, transaction } = snapshot.context
      if (!snapshot.matches('awaitingCallback') || !authorizationUrl || !transaction) throw failure(snapshot)
      return { authorizationUrl, state: transaction.state, flow: persisted }
    },

    /** awaitingCallback → exchanging → authenticated: the signed-in flow, or the typed error. */
    async completeLogin(flow: PersistedFlow, callbackQuery: string) {
      const { snapshot, persisted } = await step(flow, { type: 'CALLBACK', url: callbackQuery })
      if (!snapshot.matches('authenticated')) throw failure(snapshot)
      return persisted
    },

    /** authenticated → refreshing → authenticated; a refused refresh token ends the session (`JIKO_SESSION_EXPIRED`). */
    async refresh(flow: PersistedFlow, { timeoutMs }: { timeoutMs?: number } = {}) {
      const { snapshot, persisted } = await step(flow, { type: 'REFRESH' }, timeoutMs)
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
