import {
  type Actor,
  createActor,
  fromPromise,
  type InspectionEvent,
  type Observer,
  SimulatedClock,
  type Snapshot,
} from 'xstate'

type InspectionObserver = Observer<InspectionEvent>

import {
  type AuthMachineEvent,
  type AuthMachineInput,
  type AuthSession,
  authMachine,
  createRefreshDelay,
  type EndSessionInput,
  ErrorCode,
  type ExchangeCodeInput,
  JikoAuthError,
  OAuthResponseError,
  type RefreshTokensInput,
  type StartAuthorizationInput,
  type StartAuthorizationOutput,
} from '../src/index.js'

export const T0 = Date.UTC(2026, 0, 1)

interface Pending<T> {
  input: unknown
  signal: AbortSignal
  resolve: (value: T) => void
  reject: (error: unknown) => void
}

/** Fake actors the test settles by hand, a simulated clock, and the sequence of state values seen. */
export function machineHarness(
  options: {
    input?: AuthMachineInput
    snapshot?: Snapshot<unknown>
    inspect?: InspectionObserver | ((event: InspectionEvent) => void)
  } = {},
) {
  const clock = new SimulatedClock()
  clock.set(T0)
  const pending: Record<string, Pending<unknown>[]> = {
    startAuthorization: [],
    exchangeCode: [],
    refreshTokens: [],
    endSession: [],
  }
  function deferred<Out, In>(name: string) {
    return fromPromise<Out, In>(
      ({ input, signal }) =>
        new Promise<Out>((resolve, reject) => {
          pending[name]?.push({ input, signal, resolve: resolve as (v: unknown) => void, reject })
        }),
    )
  }
  const machine = authMachine.provide({
    actors: {
      startAuthorization: deferred<StartAuthorizationOutput, StartAuthorizationInput>('startAuthorization'),
      exchangeCode: deferred<AuthSession, ExchangeCodeInput>('exchangeCode'),
      refreshTokens: deferred<AuthSession, RefreshTokensInput>('refreshTokens'),
      endSession: deferred<void, EndSessionInput>('endSession'),
    },
    delays: { refreshDelay: createRefreshDelay(clock) },
  })
  const actor = createActor(machine, {
    clock,
    input: options.input ?? {},
    ...(options.snapshot ? { snapshot: options.snapshot as never } : {}),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  })
  const states: string[] = []
  actor.subscribe((snapshot) => {
    const value = String(snapshot.value)
    if (states.at(-1) !== value) states.push(value)
  })
  actor.start()

  /** Settles the oldest pending call of an actor and lets the machine react. */
  async function settle(name: keyof typeof pending, outcome: { output?: unknown; error?: unknown }) {
    const call = pending[name]?.shift()
    if (!call) throw new Error(`no pending ${name} call`)
    if ('error' in outcome) call.reject(outcome.error)
    else call.resolve(outcome.output)
    await new Promise((r) => setTimeout(r, 0))
  }

  return { actor: actor as Actor<typeof machine>, clock, states, pending, settle }
}

export function session(issuedAt: number, lifetimeSeconds = 900, refreshToken = 'rt-1'): AuthSession {
  return {
    issuedAt,
    expiresAt: issuedAt + lifetimeSeconds * 1000,
    scope: 'pockets.read',
    subject: 'alice',
    tokens: {
      accessToken: `at-${issuedAt}`,
      tokenType: 'Bearer',
      issuedAt,
      expiresAt: issuedAt + lifetimeSeconds * 1000,
      refreshToken,
    },
  }
}

export const transaction = { state: 'st', codeVerifier: 'verifier', createdAt: T0 }
export const started = { authorizationUrl: 'https://auth.jiko.test/api/oauth2/authorize?x', transaction }

/** Every event from outside the machine, as the model-based tests drive it. */
export const OUTSIDE_EVENTS: AuthMachineEvent[] = [
  { type: 'LOGIN', returnTo: '/' },
  { type: 'CALLBACK', url: '?code=c&state=st' },
  { type: 'SESSION', session: session(T0) },
  { type: 'REFRESH' },
  { type: 'LOGOUT' },
  { type: 'RETRY' },
  { type: 'RESET' },
]

/** Every outcome of the machine's effects the model tests: each actor's done, and its kinds of failure. */
export const EFFECT_OUTCOMES: { type: string; output?: unknown; error?: unknown }[] = [
  { type: 'xstate.done.actor.startAuthorization', output: started },
  { type: 'xstate.error.actor.startAuthorization', error: new JikoAuthError(ErrorCode.NetworkError, 'down') },
  { type: 'xstate.done.actor.exchangeCode', output: session(T0) },
  { type: 'xstate.error.actor.exchangeCode', error: new JikoAuthError(ErrorCode.StateMismatch, 'mismatch') },
  { type: 'xstate.done.actor.refreshTokens', output: session(T0 + 1) },
  {
    type: 'xstate.error.actor.refreshTokens',
    error: new OAuthResponseError(ErrorCode.OAuthError, { error: 'invalid_grant' }),
  },
  { type: 'xstate.error.actor.refreshTokens', error: new JikoAuthError(ErrorCode.HttpError, 'HTTP 502') },
]

/** The machine's seven states (DESIGN.md), sorted: every model-based test reaches each of them. */
export const STATE_NAMES = [
  'authenticated',
  'awaitingCallback',
  'error',
  'exchanging',
  'idle',
  'redirecting',
  'refreshing',
]
