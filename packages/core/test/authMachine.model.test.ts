import { getAdjacencyMap, getShortestPaths } from '@xstate/graph'
import { describe, expect, it } from 'vitest'
import { createActor, fromPromise, type SnapshotFrom } from 'xstate'
import {
  type AuthMachineEvent,
  type AuthSession,
  authMachine,
  type EndSessionInput,
  ErrorCode,
  type ExchangeCodeInput,
  type RefreshTokensInput,
  type StartAuthorizationInput,
  type StartAuthorizationOutput,
} from '../src/index.js'
import { EFFECT_OUTCOMES, OUTSIDE_EVENTS, STATE_NAMES } from './machineHarness.js'

// The machine's own invoke/after events, as the model drives them.
const AFTER_REFRESH = authMachine.getStateNodeById('jikoAuth.authenticated').after[0]?.eventType ?? 'missing'

type ModelEvent = AuthMachineEvent | { type: string; output?: unknown; error?: unknown }

const events: ModelEvent[] = [...OUTSIDE_EVENTS, ...EFFECT_OUTCOMES, { type: AFTER_REFRESH }]

const describeEvent = (e: ModelEvent) =>
  e.type.startsWith('xstate.error.actor.refreshTokens')
    ? `${e.type}:${(e as { error: { code: string } }).error.code}`
    : e.type

/** Every transition of the flow as DESIGN.md draws it: [from, event, to]. */
const SPEC = [
  ['idle', 'LOGIN', 'redirecting'],
  ['idle', 'SESSION', 'authenticated'],
  ['redirecting', 'xstate.done.actor.startAuthorization', 'awaitingCallback'],
  ['redirecting', 'xstate.error.actor.startAuthorization', 'error'],
  ['awaitingCallback', 'CALLBACK', 'exchanging'],
  ['awaitingCallback', 'LOGIN', 'redirecting'],
  ['awaitingCallback', 'RESET', 'idle'],
  ['exchanging', 'xstate.done.actor.exchangeCode', 'authenticated'],
  ['exchanging', 'xstate.error.actor.exchangeCode', 'error'],
  ['authenticated', AFTER_REFRESH, 'refreshing'],
  ['authenticated', 'REFRESH', 'refreshing'],
  ['authenticated', 'LOGOUT', 'idle'],
  ['refreshing', 'xstate.done.actor.refreshTokens', 'authenticated'],
  ['refreshing', `xstate.error.actor.refreshTokens:${ErrorCode.OAuthError}`, 'idle'],
  ['refreshing', `xstate.error.actor.refreshTokens:${ErrorCode.HttpError}`, 'error'],
  ['refreshing', 'LOGOUT', 'idle'],
  ['error', 'RETRY', 'refreshing'],
  ['error', 'RETRY', 'idle'],
  ['error', 'RESET', 'idle'],
  ['error', 'LOGOUT', 'idle'],
].map((t) => t.join(' → '))

// States are told apart by value and by whether a session is held (RETRY depends on it).
const serializeState = (s: SnapshotFrom<typeof authMachine>) =>
  `${String(s.value)}${s.context.session ? '+session' : ''}`
// An actor's done/error events exist only while the state that invokes it is active.
const INVOKER: Record<string, string> = {
  startAuthorization: 'redirecting',
  exchangeCode: 'exchanging',
  refreshTokens: 'refreshing',
}
const eventsIn = (s: SnapshotFrom<typeof authMachine>) =>
  events.filter((e) => {
    const actor = /^xstate\.(?:done|error)\.actor\.(\w+)/.exec(e.type)?.[1]
    return actor === undefined || INVOKER[actor] === s.value
  }) as AuthMachineEvent[]
const options = { events: eventsIn, serializeState }

describe('authMachine, model-based', () => {
  const adjacency = getAdjacencyMap(authMachine, options)

  it('has exactly the transitions of the design, and every state is reachable', () => {
    const found = new Set<string>()
    for (const node of Object.values(adjacency)) {
      for (const step of Object.values(node.transitions) as {
        event: ModelEvent
        state: typeof node.state
      }[]) {
        const from = String(node.state.value)
        const to = String(step.state.value)
        if (from !== to) found.add([from, describeEvent(step.event as ModelEvent), to].join(' → '))
      }
    }
    expect([...found].sort()).toEqual([...SPEC].sort())
    const reached = new Set(Object.values(adjacency).map((n) => String(n.state.value)))
    expect([...reached].sort()).toEqual(STATE_NAMES)
  })

  /** Replays a path on a live actor whose actors never settle on their own, asserting each state on the way. */
  function replay(path: { steps: { event: ModelEvent; state: SnapshotFrom<typeof authMachine> }[] }) {
    const never = <Out, In>() => fromPromise<Out, In>(() => new Promise(() => {}))
    const machine = authMachine.provide({
      actors: {
        startAuthorization: never<StartAuthorizationOutput, StartAuthorizationInput>(),
        exchangeCode: never<AuthSession, ExchangeCodeInput>(),
        refreshTokens: never<AuthSession, RefreshTokensInput>(),
        endSession: never<void, EndSessionInput>(),
      },
    })
    const actor = createActor(machine, { input: {} }).start()
    const seen: string[] = [String(actor.getSnapshot().value)]
    const expected: string[] = [String(actor.getSnapshot().value)]
    for (const step of path.steps.slice(1)) {
      actor.send(step.event as AuthMachineEvent)
      seen.push(String(actor.getSnapshot().value))
      expected.push(String(step.state.value))
    }
    actor.stop()
    return { seen, expected }
  }

  it('replays the shortest path to every state on a live actor', () => {
    const paths = getShortestPaths(authMachine, options)
    expect(paths.length).toBeGreaterThanOrEqual(7)
    for (const path of paths) {
      const { seen, expected } = replay(path as never)
      expect(seen).toEqual(expected)
    }
  })

  it('replays every transition (shortest path to its source, then its event) on a live actor', () => {
    const toState = new Map(getShortestPaths(authMachine, options).map((p) => [serializeState(p.state), p]))
    const taken = new Set<string>()
    for (const [key, node] of Object.entries(adjacency)) {
      const prefix = toState.get(key)
      if (!prefix) throw new Error(`no path to ${key}`)
      for (const step of Object.values(node.transitions) as {
        event: ModelEvent
        state: typeof node.state
      }[]) {
        const path = { steps: [...prefix.steps, { event: step.event, state: step.state }] }
        const { seen, expected } = replay(path as never)
        expect(seen).toEqual(expected)
        const from = String(node.state.value)
        const to = String(step.state.value)
        if (from !== to) taken.add([from, describeEvent(step.event as ModelEvent), to].join(' → '))
      }
    }
    expect([...taken].sort()).toEqual([...SPEC].sort())
  })
})
