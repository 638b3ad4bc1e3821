import layout from 'virtual:machine-layout'
import { shortEventName } from './machineGraph.js'
import type { Step } from './timeline.js'

/** Where the demo server streams its machine's steps for this browser (Server-Sent Events). */
export const SERVER_MACHINE_URL = '/api/demo/server-machine'

/** What the page knows of the server's machine for this browser. */
export interface ServerMachineView {
  /** Whether the stream is open. */
  live: boolean
  /** The state the server's machine is in for this browser; undefined until the stream says. */
  current: string | undefined
  /** Oldest first. */
  steps: Step[]
}

/** An inspection event as @jiko-auth/node sends it (XState's shape, secrets already redacted). */
interface InspectionMessage {
  id: string
  at: number
  event: {
    type: string
    actorRef: { id: string; sessionId: string }
    event?: { type: string }
    snapshot?: { value?: unknown; context?: { error?: { code?: string } } }
  }
}

interface SessionMessage {
  /** None on the `connected` message: it is not kept for replay. */
  id?: string
  at: number
  state: string
  /** `connected`: what the server held when the page connected; `signed-out`: the session was deleted. */
  why: 'connected' | 'signed-out'
}

/** A step of the server's machine in plain words: what the server did. */
export function describeServerStep(
  step: Pick<Step, 'from' | 'to' | 'event'>,
  details: { errorCode?: string } = {},
): string {
  const { from, to, event } = step
  const kind = shortEventName(event)
  if (to === 'error') {
    const what = from === 'refreshing' ? 'refresh failed' : 'sign-in failed'
    return details.errorCode ? `${what} (${details.errorCode})` : what
  }
  switch (`${from}→${to}:${kind}`) {
    case 'idle→redirecting:LOGIN':
      return 'GET /auth/login — a new sign-in: PKCE verifier, state and nonce made'
    case 'redirecting→awaitingCallback:done':
      return 'authorization URL ready — the browser goes to Jiko, the server keeps the transaction'
    case 'awaitingCallback→exchanging:CALLBACK':
      return 'the callback from Jiko — checked, then its code exchanged at the token endpoint'
    case 'exchanging→authenticated:done':
      return 'tokens received, kept encrypted in the session — signed in'
    case 'authenticated→refreshing:REFRESH':
      return 'refreshing — the refresh token sent to Jiko’s token endpoint'
    case 'refreshing→authenticated:done':
      return 'new tokens kept (the refresh token rotated)'
    case 'refreshing→idle:failed':
      return 'Jiko refused the refresh token — session over'
    default:
      return `${to} after ${kind}`
  }
}

/**
 * The state a step started from, for the first transition of a request's step (the server restores a stored
 * snapshot and does not announce it): the last state seen when the diagram has that edge, else the one state with
 * an edge to `to` on that event, else the initial state (a step without a stored flow starts there).
 */
function sourceOf(to: string, type: string, previous: string | undefined): string | undefined {
  const sources = layout.edges
    .filter((edge) => edge.to === to && edge.events.some((event) => event.type === type))
    .map((edge) => edge.from)
  if (previous && sources.includes(previous)) return previous
  if (sources.length === 1) return sources[0]
  return sources.includes(layout.initial) ? layout.initial : undefined
}

const MAX = 50
const listeners = new Set<() => void>()
let view: ServerMachineView = { live: false, current: undefined, steps: [] }
let source: EventSource | undefined
let closing: ReturnType<typeof setTimeout> | undefined
/** The last state of each request's step (its inspected actor). */
const lastOfStep = new Map<string, string>()
/** Messages already taken: a reconnection may replay some. */
const seen = new Set<string>()

/** The message, unless it was taken already. */
function fresh<T extends { id?: string }>(message: MessageEvent<string>): T | undefined {
  const data = JSON.parse(message.data) as T
  if (data.id === undefined) return data
  if (seen.has(data.id)) return undefined
  seen.add(data.id)
  return data
}

function update(next: Partial<ServerMachineView>) {
  view = { ...view, ...next }
  for (const listener of listeners) listener()
}

function addStep(step: Step) {
  update({ current: step.to, steps: [...view.steps.slice(-(MAX - 1)), step] })
}

function onInspection(message: MessageEvent<string>) {
  const data = fresh<InspectionMessage>(message)
  if (!data) return
  const { at, event } = data
  if (event.type !== '@xstate.snapshot' || !event.event || !event.snapshot) return
  const to = String(event.snapshot.value)
  const type = event.event.type
  const from = lastOfStep.get(event.actorRef.sessionId) ?? sourceOf(to, type, view.current)
  lastOfStep.set(event.actorRef.sessionId, to)
  const errorCode = event.snapshot.context?.error?.code
  const step: Step = {
    at,
    to,
    event: type,
    label: shortEventName(type),
    words: describeServerStep({ from, to, event: type }, errorCode ? { errorCode } : {}),
  }
  if (from !== undefined) step.from = from
  addStep(step)
}

function onSession(message: MessageEvent<string>) {
  const data = fresh<SessionMessage>(message)
  if (!data) return
  const { at, state, why } = data
  if (why === 'connected') return update({ live: true, current: state })
  addStep({
    at,
    to: state,
    event: 'sign-out',
    label: 'sign-out',
    words: 'signed out — the server deleted the session (no step of the machine)',
  })
}

function open() {
  source = new EventSource(SERVER_MACHINE_URL)
  source.addEventListener('inspection', onInspection)
  source.addEventListener('session', onSession)
  // EventSource reconnects by itself (and sends Last-Event-ID): only say that the stream is down meanwhile.
  source.addEventListener('error', () => update({ live: false }))
}

/**
 * The server's machine for this browser, from the demo server's stream: each step @jiko-auth/node took for a request
 * of this browser, redacted. The stream opens with the first subscriber and closes with the last.
 */
export const serverMachine = {
  subscribe(listener: () => void) {
    listeners.add(listener)
    clearTimeout(closing)
    if (!source) open()
    return () => {
      listeners.delete(listener)
      // Not at once: StrictMode unsubscribes and subscribes again straight away.
      closing = setTimeout(() => {
        if (listeners.size > 0 || !source) return
        source.close()
        source = undefined
        update({ live: false })
      }, 1000)
    }
  },
  getSnapshot: () => view,
}
