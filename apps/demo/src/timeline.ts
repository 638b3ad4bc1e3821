import type { InspectionEvent } from 'xstate'

export interface TimelineEntry {
  /** Milliseconds since the epoch. */
  at: number
  state: string
  /** The event that caused the transition, shortened (done/error/after for the machine's own). */
  event: string
}

const KEY = 'jiko-demo:timeline'
const listeners = new Set<() => void>()
let entries: TimelineEntry[] = load()

function load(): TimelineEntry[] {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as TimelineEntry[]
  } catch {
    return []
  }
}

/** Shortens xstate's internal event names for display. */
export function eventLabel(type: string): string {
  if (type.startsWith('xstate.done.actor.')) return `${type.slice('xstate.done.actor.'.length)} done`
  if (type.startsWith('xstate.error.actor.')) return `${type.slice('xstate.error.actor.'.length)} failed`
  if (type.startsWith('xstate.after.')) return 'timer'
  if (type === 'xstate.init') return 'start'
  return type
}

/**
 * The transitions of the page's machine, with timestamps. Kept in sessionStorage so the login's round trip through
 * Jiko (which reloads the page) keeps the whole story.
 */
export const timeline = {
  subscribe(listener: () => void) {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  getSnapshot: () => entries,
  clear() {
    entries = []
    sessionStorage.removeItem(KEY)
    for (const listener of listeners) listener()
  },
  /** The provider's `inspect` observer: records every state change of the root machine. */
  inspect(event: InspectionEvent) {
    if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return
    const state = String((event.snapshot as { value?: unknown }).value)
    if (entries.at(-1)?.state === state) return
    entries = [...entries.slice(-49), { at: Date.now(), state, event: eventLabel(event.event.type) }]
    sessionStorage.setItem(KEY, JSON.stringify(entries))
    for (const listener of listeners) listener()
  },
}
