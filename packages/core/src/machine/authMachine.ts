import { assign, createMachine, fromPromise, type PromiseActorLogic, spawnChild } from 'xstate'
import { ErrorCode, JikoAuthError, OAuthResponseError, toJikoAuthError } from '../errors.js'
import { createRefreshDelay, DEFAULT_LEEWAY_MS } from './refreshDelay.js'
import type {
  AuthMachineContext,
  AuthMachineEvent,
  AuthMachineInput,
  AuthSession,
  EndSessionInput,
  ExchangeCodeInput,
  RefreshTokensInput,
  StartAuthorizationInput,
  StartAuthorizationOutput,
} from './types.js'

function notProvided(name: string): never {
  throw new JikoAuthError(ErrorCode.NotImplemented, `The ${name} actor has no implementation`, {
    hint: 'Supply it with machine.provide({ actors }) or use createDirectMachine()',
  })
}

/** True when the failure means the session cannot go on: invalid_grant, or no refresh token. */
export function isSessionExpiredError(error: unknown): boolean {
  return (
    (error instanceof OAuthResponseError && error.error === 'invalid_grant') ||
    (error instanceof JikoAuthError && error.code === ErrorCode.SessionExpired)
  )
}

/**
 * The Jiko sign-in flow as one XState v5 machine. Side effects are typed placeholder actors; supply them with
 * `provide()` (core's direct actors, or the react package's server adapter). Context is data only, so
 * `actor.getPersistedSnapshot()` is a storable record.
 *
 * @example
 * ```ts
 * const actor = createActor(authMachine.provide({ actors: myActors }), { input: { leewaySeconds: 60 } })
 * actor.start()
 * actor.send({ type: 'LOGIN', returnTo: '/' })
 * ```
 */
const placeholders = {
  startAuthorization: fromPromise<StartAuthorizationOutput, StartAuthorizationInput>(async () =>
    notProvided('startAuthorization'),
  ),
  exchangeCode: fromPromise<AuthSession, ExchangeCodeInput>(async () => notProvided('exchangeCode')),
  refreshTokens: fromPromise<AuthSession, RefreshTokensInput>(async () => notProvided('refreshTokens')),
  endSession: fromPromise<void, EndSessionInput>(async () => notProvided('endSession')),
}

type Actors =
  | { src: 'startAuthorization'; logic: PromiseActorLogic<StartAuthorizationOutput, StartAuthorizationInput> }
  | { src: 'exchangeCode'; logic: PromiseActorLogic<AuthSession, ExchangeCodeInput> }
  | { src: 'refreshTokens'; logic: PromiseActorLogic<AuthSession, RefreshTokensInput> }
  | { src: 'endSession'; logic: PromiseActorLogic<void, EndSessionInput> }

type Actions =
  | { type: 'assignError'; params: { error: unknown } }
  | { type: 'clearFlow'; params: undefined }
  | { type: 'clearSession'; params: undefined }
  | { type: 'revokeInBackground'; params: undefined }
  | { type: 'forgetSession'; params: undefined }

type Guards =
  | { type: 'hasSession'; params: undefined }
  | { type: 'isSessionExpired'; params: { error: unknown } }

/**
 * The Jiko sign-in flow as one XState v5 machine. Side effects are typed placeholder actors; supply them with
 * `provide()` (core's direct actors, or the react package's server adapter). Context is data only, so
 * `actor.getPersistedSnapshot()` is a storable record.
 *
 * Built with `createMachine(config, implementations)` and explicit `types` rather than `setup()`: the same typing
 * of `provide()`, without pulling every action creator into browser bundles (see docs/architecture.md).
 *
 * @example
 * ```ts
 * const actor = createActor(authMachine.provide({ actors: myActors }), { input: { leewaySeconds: 60 } })
 * actor.start()
 * actor.send({ type: 'LOGIN', returnTo: '/' })
 * ```
 */
export const authMachine = createMachine(
  {
    types: {} as {
      context: AuthMachineContext
      events: AuthMachineEvent
      input: AuthMachineInput | undefined
      actors: Actors
      actions: Actions
      guards: Guards
      delays: 'refreshDelay'
    },

    id: 'jikoAuth',
    context: ({ input }) => ({
      leewayMs: input?.leewaySeconds === undefined ? DEFAULT_LEEWAY_MS : input.leewaySeconds * 1000,
      returnTo: undefined,
      authorizationUrl: undefined,
      transaction: undefined,
      callbackUrl: undefined,
      session: undefined,
      error: undefined,
      endReason: undefined,
    }),
    initial: 'idle',
    states: {
      idle: {
        on: {
          LOGIN: {
            target: 'redirecting',
            actions: assign({
              returnTo: ({ event }) => event.returnTo,
              error: undefined,
              endReason: undefined,
            }),
          },
          SESSION: {
            target: 'authenticated',
            actions: assign({
              session: ({ event }) => event.session,
              error: undefined,
              endReason: undefined,
            }),
          },
        },
      },
      redirecting: {
        invoke: {
          id: 'startAuthorization',
          src: 'startAuthorization',
          input: ({ context }) => ({ returnTo: context.returnTo }),
          onDone: {
            target: 'awaitingCallback',
            actions: assign({
              authorizationUrl: ({ event }) => event.output.authorizationUrl,
              transaction: ({ event }) => event.output.transaction,
            }),
          },
          onError: { target: 'error', actions: { type: 'assignError', params: ({ event }) => event } },
        },
      },
      awaitingCallback: {
        on: {
          CALLBACK: {
            target: 'exchanging',
            actions: assign({ callbackUrl: ({ event }) => event.url }),
          },
          LOGIN: {
            target: 'redirecting',
            actions: ['clearFlow', assign({ returnTo: ({ event }) => event.returnTo })],
          },
          RESET: { target: 'idle', actions: ['clearFlow', assign({ returnTo: undefined })] },
        },
      },
      exchanging: {
        invoke: {
          id: 'exchangeCode',
          src: 'exchangeCode',
          input: ({ context }) => {
            requireCallback(context.callbackUrl)
            return { callbackUrl: context.callbackUrl, transaction: context.transaction }
          },
          onDone: {
            target: 'authenticated',
            actions: assign({ session: ({ event }) => event.output }),
          },
          onError: { target: 'error', actions: { type: 'assignError', params: ({ event }) => event } },
        },
        // The code and the verifier are single-use: forget them whatever the outcome.
        exit: 'clearFlow',
      },
      authenticated: {
        after: { refreshDelay: 'refreshing' },
        on: {
          REFRESH: 'refreshing',
          LOGOUT: { target: 'idle', actions: ['revokeInBackground', 'forgetSession'] },
        },
      },
      refreshing: {
        invoke: {
          id: 'refreshTokens',
          src: 'refreshTokens',
          input: ({ context }) => ({ session: context.session as AuthSession }),
          onDone: {
            target: 'authenticated',
            actions: assign({ session: ({ event }) => event.output, error: undefined }),
          },
          onError: [
            {
              guard: { type: 'isSessionExpired', params: ({ event }) => event },
              target: 'idle',
              actions: [
                { type: 'assignError', params: ({ event }) => event },
                'clearSession',
                assign({ endReason: 'session_expired' }),
              ],
            },
            { target: 'error', actions: { type: 'assignError', params: ({ event }) => event } },
          ],
        },
        on: { LOGOUT: { target: 'idle', actions: ['revokeInBackground', 'forgetSession'] } },
      },
      error: {
        on: {
          RETRY: [
            { guard: 'hasSession', target: 'refreshing' },
            { target: 'idle', actions: assign({ error: undefined }) },
          ],
          RESET: {
            target: 'idle',
            actions: ['clearFlow', 'clearSession', assign({ error: undefined, returnTo: undefined })],
          },
          LOGOUT: { target: 'idle', actions: ['revokeInBackground', 'forgetSession'] },
        },
      },
    },
  },
  {
    actors: placeholders,
    delays: {
      /** Until `expiresAt - leeway`, by the wall clock; `createRefreshDelay(clock)` swaps in an injected clock. */
      refreshDelay: createRefreshDelay({ now: () => Date.now() }),
    },
    guards: {
      hasSession: ({ context }) => context.session !== undefined,
      isSessionExpired: (_, params) => isSessionExpiredError(params.error),
    },
    actions: {
      assignError: assign({
        error: (_, params: { error: unknown }) => toJikoAuthError(params.error).toJSON(),
      }),
      clearFlow: assign({ authorizationUrl: undefined, transaction: undefined, callbackUrl: undefined }),
      clearSession: assign({ session: undefined }),
      /** Revokes in the background: a failed revocation never keeps a session alive. */
      revokeInBackground: spawnChild('endSession', {
        input: ({ context }: { context: AuthMachineContext }) => ({ session: context.session }),
      }),
      forgetSession: assign({ session: undefined, error: undefined, endReason: 'logout' as const }),
    },
  },
)

function requireCallback(value: string | undefined): asserts value is string {
  if (value === undefined) {
    throw new JikoAuthError(ErrorCode.CallbackInvalid, 'No callback to exchange', {
      hint: 'Send a CALLBACK event with the callback URL',
    })
  }
}

export type AuthMachine = typeof authMachine
