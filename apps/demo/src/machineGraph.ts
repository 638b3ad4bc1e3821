import { authMachine } from '@jiko-auth/core/machine'

/** One way from a state to another: the event that takes it, in the diagram's words. */
export interface GraphEvent {
  /** xstate's own event type (`LOGIN`, `xstate.done.actor.exchangeCode`, `xstate.after.refreshDelay…`). */
  type: string
  /** What the diagram prints: `LOGIN`, `done`, `failed`, `timer`, with `[guard]` when one decides. */
  label: string
}

export interface GraphEdge {
  id: string
  from: string
  to: string
  events: GraphEvent[]
}

/** Shortens xstate's names for the machine's own events: the state's request `done`/`failed`, the `timer`. */
export function shortEventName(type: string): string {
  if (type.startsWith('xstate.done.actor.')) return 'done'
  if (type.startsWith('xstate.error.actor.')) return 'failed'
  if (type.startsWith('xstate.after.')) return 'timer'
  return type
}

function guardName(guard: unknown): string | undefined {
  if (typeof guard === 'string') return guard
  if (guard && typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string')
    return guard.type
  return undefined
}

/**
 * The machine's states and transitions, read from `authMachine.root.states`: nothing here is drawn by hand. Two
 * transitions between the same states share one edge, one label line each.
 */
export function machineGraph(): {
  states: string[]
  initial: string
  edges: GraphEdge[]
  /** The request each state runs (its invoked actor): what `done` and `failed` leaving that state refer to. */
  requests: Record<string, string>
} {
  const states = Object.keys(authMachine.root.states)
  const edges = new Map<string, GraphEdge>()
  for (const [from, node] of Object.entries(authMachine.root.states)) {
    for (const [type, transitions] of node.transitions) {
      for (const transition of transitions) {
        const guard = guardName(transition.guard)
        const label = guard ? `${shortEventName(type)} [${guard}]` : shortEventName(type)
        for (const target of transition.target ?? []) {
          const id = `${from}→${target.key}`
          const edge = edges.get(id) ?? { id, from, to: target.key, events: [] }
          if (!edge.events.some((event) => event.label === label)) edge.events.push({ type, label })
          edges.set(id, edge)
        }
      }
    }
  }
  const requests: Record<string, string> = {}
  for (const [name, node] of Object.entries(authMachine.root.states)) {
    const src = node.invoke[0]?.src
    if (typeof src === 'string') requests[name] = src
  }
  const initial = authMachine.root.initial.target[0]?.key ?? states[0] ?? ''
  return { states, initial, edges: [...edges.values()], requests }
}
