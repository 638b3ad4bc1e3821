import { describe, expect, it } from 'vitest'
import { fromPromise } from 'xstate'
import {
  type AuthSession,
  authMachine,
  createMachineStepper,
  type ExchangeCodeInput,
  JikoAuthError,
  type RefreshTokensInput,
  type StartAuthorizationInput,
  type StartAuthorizationOutput,
  type StepInspectionEvent,
} from '../src/index.js'
import { session, started, T0 } from './machineHarness.js'

const signedIn = {
  status: 'active',
  value: 'authenticated',
  historyValue: {},
  context: { leewayMs: 60_000, session: session(T0) },
  children: {},
}

describe('createMachineStepper', () => {
  it('gives up a step past its deadline: cancels the effect and stores nothing', async () => {
    let signal: AbortSignal | undefined
    const machine = authMachine.provide({
      actors: {
        refreshTokens: fromPromise<AuthSession, RefreshTokensInput>(({ signal: s }) => {
          signal = s
          return new Promise(() => {})
        }),
      },
    })
    const stepper = createMachineStepper(machine, { timeoutMs: 20 })
    const error = await stepper.step(signedIn as never, { type: 'REFRESH' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(JikoAuthError)
    expect((error as JikoAuthError).code).toBe('JIKO_TIMEOUT')
    expect(signal?.aborted).toBe(true)
  })

  it('feeds a failed effect back to the machine as its error event', async () => {
    const machine = authMachine.provide({
      actors: {
        startAuthorization: fromPromise<StartAuthorizationOutput, StartAuthorizationInput>(async () => {
          throw new JikoAuthError('JIKO_NETWORK_ERROR', 'down')
        }),
      },
    })
    const { snapshot } = await createMachineStepper(machine).step(undefined, { type: 'LOGIN', returnTo: '/' })
    expect(snapshot.value).toBe('error')
    expect(snapshot.context.error?.code).toBe('JIKO_NETWORK_ERROR')
  })

  it('reports each event and snapshot in the inspector protocol’s shape', async () => {
    const seen: StepInspectionEvent[] = []
    const machine = authMachine.provide({
      actors: {
        startAuthorization: fromPromise<StartAuthorizationOutput, StartAuthorizationInput>(
          async () => started,
        ),
        exchangeCode: fromPromise<AuthSession, ExchangeCodeInput>(async () => session(T0)),
      },
    })
    const stepper = createMachineStepper(machine, { inspect: (e) => seen.push(e) })
    const first = await stepper.step(undefined, { type: 'LOGIN', returnTo: '/' })
    await stepper.step(first.persisted, { type: 'CALLBACK', url: '?code=c&state=st' })
    const snapshots = seen.filter((e) => e.type === '@xstate.snapshot')
    expect(snapshots.map((e) => [e.event.type, (e.snapshot as unknown as { value: string }).value])).toEqual([
      ['LOGIN', 'redirecting'],
      ['xstate.done.actor.startAuthorization', 'awaitingCallback'],
      ['CALLBACK', 'exchanging'],
      ['xstate.done.actor.exchangeCode', 'authenticated'],
    ])
  })
})
