import { getAdjacencyMap } from '@xstate/graph'
import { describe, expect, it } from 'vitest'
import { createActor, fromPromise, SimulatedClock, type Snapshot, type SnapshotFrom, waitFor } from 'xstate'
import {
  type AuthMachineEvent,
  type AuthSession,
  authMachine,
  createMachineStepper,
  type EndSessionInput,
  type ExchangeCodeInput,
  type RefreshTokensInput,
  type StartAuthorizationInput,
  type StartAuthorizationOutput,
} from '../src/index.js'
import { EFFECT_OUTCOMES, OUTSIDE_EVENTS, STATE_NAMES, session, started, T0 } from './machineHarness.js'

// The server stepper and a real actor, driven through every simple path of the flow, must store the same record
// after every request. A path is cut into requests: one outside event, then the outcomes of the effects it invokes.

type Outcome = { done: unknown } | { error: unknown }
type ModelEvent = AuthMachineEvent | { type: string; output?: unknown; error?: unknown }

const OUTSIDE = OUTSIDE_EVENTS
const OUTCOMES: ModelEvent[] = EFFECT_OUTCOMES
const INVOKER: Record<string, string> = {
  startAuthorization: 'redirecting',
  exchangeCode: 'exchanging',
  refreshTokens: 'refreshing',
}
const WAITING = new Set(Object.values(INVOKER))

type State = SnapshotFrom<typeof authMachine>
const serializeState = (s: State) => `${String(s.value)}${s.context.session ? '+session' : ''}`
const eventsIn = (s: State) =>
  [...OUTSIDE, ...OUTCOMES].filter((e) => {
    const actor = /^xstate\.(?:done|error)\.actor\.(\w+)/.exec(e.type)?.[1]
    return actor === undefined ? !WAITING.has(String(s.value)) : INVOKER[actor] === s.value
  }) as AuthMachineEvent[]

interface Request {
  event: AuthMachineEvent
  outcomes: Outcome[]
}

/** Cuts a path into requests; a path that ends while an effect is in flight is not a request's end. */
function requestsOf(steps: { event: ModelEvent; state: State }[]): Request[] | undefined {
  const requests: Request[] = []
  for (const { event } of steps.slice(1)) {
    const settled = event as { type: string; output?: unknown; error?: unknown }
    if (/^xstate\.done\.actor\./.test(event.type)) requests.at(-1)?.outcomes.push({ done: settled.output })
    else if (/^xstate\.error\.actor\./.test(event.type))
      requests.at(-1)?.outcomes.push({ error: settled.error })
    else requests.push({ event: event as AuthMachineEvent, outcomes: [] })
  }
  const last = steps.at(-1)?.state
  return last && WAITING.has(String(last.value)) ? undefined : requests
}

/** The machine with effects that answer from a script, as the next request's outcomes say. */
function scripted() {
  const script: Outcome[] = []
  const background: string[] = []
  const next = <Out, In>(name: string) =>
    fromPromise<Out, In>(async () => {
      const outcome = script.shift()
      if (!outcome) throw new Error(`${name} ran with no outcome scripted`)
      if ('error' in outcome) throw outcome.error
      return outcome.done as Out
    })
  const machine = authMachine.provide({
    actors: {
      startAuthorization: next<StartAuthorizationOutput, StartAuthorizationInput>('startAuthorization'),
      exchangeCode: next<AuthSession, ExchangeCodeInput>('exchangeCode'),
      refreshTokens: next<AuthSession, RefreshTokensInput>('refreshTokens'),
      endSession: fromPromise<void, EndSessionInput>(async () => {
        background.push('endSession')
      }),
    },
  })
  return { machine, script, background }
}

/**
 * An actor keeps a background effect (the revocation spawned at logout) among its children; the stepper stores no
 * background effect (its input holds the refresh token being revoked), so records are compared without them.
 */
function withoutBackground(snapshot: Snapshot<unknown>) {
  const { children, ...rest } = snapshot as Snapshot<unknown> & { children: Record<string, { src: string }> }
  return {
    ...rest,
    children: Object.fromEntries(Object.entries(children).filter(([, c]) => c.src !== 'endSession')),
  }
}

/** Each request on a real actor (restored from the last record, as a server would): the records it stores. */
async function onActor(requests: Request[]) {
  const { machine, script, background } = scripted()
  const records: string[] = []
  let stored: Snapshot<unknown> | undefined
  for (const request of requests) {
    script.push(...request.outcomes)
    const clock = new SimulatedClock()
    clock.set(T0)
    const actor = createActor(machine, { input: {}, clock, ...(stored ? { snapshot: stored } : {}) }).start()
    actor.send(request.event)
    await waitFor(actor, (s) => !WAITING.has(String(s.value)))
    stored = actor.getPersistedSnapshot()
    records.push(JSON.stringify(withoutBackground(stored)))
    actor.stop()
  }
  return { records, background }
}

async function onStepper(requests: Request[]) {
  const { machine, script, background } = scripted()
  const stepper = createMachineStepper(machine)
  const records: string[] = []
  let stored: Snapshot<unknown> | undefined
  for (const request of requests) {
    script.push(...request.outcomes)
    const { persisted } = await stepper.step(stored, request.event, { input: {} })
    stored = persisted
    records.push(JSON.stringify(stored))
  }
  await new Promise((resolve) => setImmediate(resolve))
  return { records, background }
}

/**
 * Every simple path through @xstate/graph's adjacency map (no state twice), each also closed by every transition
 * out of its last state, so that every transition of the flow is taken, loops back included.
 */
function everyPath() {
  const adjacency = getAdjacencyMap(authMachine, { events: eventsIn, serializeState }) as unknown as Record<
    string,
    { state: State; transitions: Record<string, unknown> }
  >
  type Step = { event: ModelEvent; state: State }
  const initial = Object.values(adjacency)[0]
  if (!initial) throw new Error('empty model')
  const paths: Step[][] = []
  const walk = (key: string, steps: Step[], seen: Set<string>) => {
    for (const { event, state } of Object.values(adjacency[key]?.transitions ?? {}) as Step[]) {
      const next = serializeState(state)
      const path = [...steps, { event, state }]
      paths.push(path)
      if (!seen.has(next)) walk(next, path, new Set([...seen, next]))
    }
  }
  const start = serializeState(initial.state)
  walk(start, [{ event: { type: 'xstate.init' }, state: initial.state }], new Set([start]))
  return paths
}

describe('createMachineStepper, model-based against a real actor', () => {
  const paths = everyPath()
  const cases = paths.map((p) => requestsOf(p)).filter((r) => r !== undefined)

  it('covers every path of the flow that ends between requests', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50)
    const reached = new Set(paths.map((p) => String(p.at(-1)?.state.value)))
    expect([...reached].sort()).toEqual(STATE_NAMES)
  })

  it('stores the same record after every request of every path', async () => {
    for (const requests of cases) {
      const actor = await onActor(requests)
      const stepper = await onStepper(requests)
      expect(stepper.records, requests.map((r) => r.event.type).join(' ')).toEqual(actor.records)
      expect(stepper.background).toEqual(actor.background)
    }
  })

  it('stores no token after a logout: the revocation runs in the background, outside the record', async () => {
    const login = { done: started }
    const requests: Request[] = [
      { event: { type: 'LOGIN', returnTo: '/' }, outcomes: [login] },
      { event: { type: 'CALLBACK', url: '?code=c&state=st' }, outcomes: [{ done: session(T0) }] },
      { event: { type: 'LOGOUT' }, outcomes: [] },
    ]
    const { records, background } = await onStepper(requests)
    expect(background).toEqual(['endSession'])
    expect(records.at(-1)).not.toContain('rt-1')
    expect(JSON.parse(records.at(-1) ?? '{}').value).toBe('idle')
  })
})
