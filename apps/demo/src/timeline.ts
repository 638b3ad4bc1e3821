import type { InspectionEvent } from 'xstate'
import { shortEventName } from './machineGraph.js'

/** One transition of the page's machine. */
export interface Step {
  /** Milliseconds since the epoch. */
  at: number
  /** The state it left; none when the machine (re)started, on a page load. */
  from?: string
  to: string
  /** xstate's event type (`LOGIN`, `xstate.done.actor.exchangeCode`, …). */
  event: string
  /** The event as the diagram prints it (`LOGIN`, `done`, `failed`, `timer`). */
  label: string
  /** What happened, in plain words. */
  words: string
}

const KEY = 'jiko-demo:timeline'
const MAX = 50
const listeners = new Set<() => void>()
let steps: Step[] = load()
/** The last state seen, per running machine: the `from` of the next step. */
let last: { root: string; state: string } | undefined
/** The first machine this page ran: a session found by it was restored by a page load, not sent by a tab. */
let firstRoot: string | undefined
/** Set when the page restarts its machine on purpose (the inspector switch). */
let restarting = false
let restartRoot: string | undefined

function load(): Step[] {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as Step[]
    return Array.isArray(stored) ? stored.filter((step) => typeof step?.words === 'string') : []
  } catch {
    return []
  }
}

/** A step in plain words: what the user did or what the flow did, not the machine's vocabulary. */
export function describeStep(
  step: Pick<Step, 'from' | 'to' | 'event'>,
  details: { errorCode?: string; started?: 'page' | 'tab' | 'restart' } = {},
): string {
  const { from, to, event } = step
  const kind = shortEventName(event)
  if (event === 'xstate.init') {
    if (to === 'awaitingCallback') return 'back from Jiko — finishing the sign-in'
    return details.started === 'restart' ? 'machine restarted (inspector switched)' : 'page loaded'
  }
  if (to === 'error') {
    const what = from === 'refreshing' ? 'token refresh failed' : 'sign-in failed'
    return details.errorCode ? `${what} (${details.errorCode})` : what
  }
  switch (`${from}→${to}:${kind}`) {
    case 'idle→authenticated:SESSION':
      if (details.started === 'tab') return 'signed in from another tab'
      return details.started === 'restart' ? 'session restored' : 'page reloaded — session restored'
    case 'idle→redirecting:LOGIN':
      return 'sign-in started — off to Jiko’s sign-in page'
    case 'awaitingCallback→redirecting:LOGIN':
      return 'sign-in started again'
    case 'redirecting→awaitingCallback:done':
      return 'sent to Jiko’s sign-in page'
    case 'awaitingCallback→exchanging:CALLBACK':
      return 'back from Jiko — the server exchanges the code for tokens'
    case 'exchanging→authenticated:done':
      return 'signed in'
    case 'authenticated→refreshing:REFRESH':
    case 'error→refreshing:RETRY':
      return 'refreshing the token (asked)'
    case 'authenticated→refreshing:timer':
      return 'the token is about to expire — refreshing it'
    case 'refreshing→authenticated:done':
      return 'token refreshed'
    case 'refreshing→idle:failed':
      return 'session over — Jiko no longer accepts the refresh token'
    case 'authenticated→idle:LOGOUT':
    case 'refreshing→idle:LOGOUT':
    case 'error→idle:LOGOUT':
      return 'signed out'
    case 'error→idle:RESET':
    case 'error→idle:RETRY':
      return 'error dismissed — signed out'
    case 'awaitingCallback→idle:RESET':
      return 'sign-in abandoned'
    default:
      return `${to} after ${kind}`
  }
}

function save() {
  sessionStorage.setItem(KEY, JSON.stringify(steps))
  for (const listener of listeners) listener()
}

/**
 * The transitions of the page's machine, with timestamps and plain words. Kept in sessionStorage so the login's
 * round trip through Jiko (which reloads the page) keeps the whole story.
 */
export const timeline = {
  subscribe(listener: () => void) {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  /** Oldest first. */
  getSnapshot: () => steps,
  /** The next machine to start is the page's own restart (not another tab's session). */
  restart() {
    restarting = true
  },
  clear() {
    steps = []
    save()
  },
  /** The provider's `inspect` observer: records every state change of the root machine. */
  inspect(event: InspectionEvent) {
    if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return
    const snapshot = event.snapshot as { value?: unknown; context?: { error?: { code?: string } } }
    const root = event.rootId
    const to = String(snapshot.value)
    const from = last?.root === root ? last.state : undefined
    if (from === to) return
    if (from === undefined && restarting) {
      restarting = false
      firstRoot = root
      restartRoot = root
    }
    firstRoot ??= root
    last = { root, state: to }
    const type = event.event.type
    const words = describeStep(
      { from, to, event: type },
      {
        ...(snapshot.context?.error?.code ? { errorCode: snapshot.context.error.code } : {}),
        started: root === restartRoot ? 'restart' : root === firstRoot ? 'page' : 'tab',
      },
    )
    const step: Step = { at: Date.now(), to, event: type, label: shortEventName(type), words }
    if (from !== undefined) step.from = from
    steps = [...steps.slice(-(MAX - 1)), step]
    save()
  },
}
