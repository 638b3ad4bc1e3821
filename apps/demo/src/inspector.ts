import { redactForInspector } from '@jiko-auth/core/machine'
import type { InspectionEvent } from 'xstate'

/** Where `createBrowserInspector` opens Stately's inspector (its default). */
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect'

/**
 * Whether this browser reaches Stately's inspector: an opaque (no-cors) request that resolves when the site
 * answers and fails when it cannot be reached (offline, blocked). Short, so that the click that asked for the
 * inspector still allows its pop-up.
 */
export async function canReachStately(timeoutMs = 2500): Promise<boolean> {
  try {
    await fetch(STATELY_INSPECTOR_URL, {
      mode: 'no-cors',
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs),
    })
    return true
  } catch {
    return false
  }
}

/** One inspection event as the local view shows it, already redacted. */
export interface LocalRecord {
  id: number
  at: number
  kind: 'actor' | 'event' | 'snapshot'
  actor: string
  summary: string
  detail: string
}

const MAX = 80
const listeners = new Set<() => void>()
let records: LocalRecord[] = []
let nextId = 1

function actorName(event: InspectionEvent): string {
  const ref = event.actorRef as { id?: string; sessionId: string }
  return event.actorRef.sessionId === event.rootId ? 'jikoAuth' : (ref.id ?? ref.sessionId)
}

function toRecord(event: InspectionEvent): Omit<LocalRecord, 'id' | 'at'> | undefined {
  const actor = actorName(event)
  switch (event.type) {
    case '@xstate.actor':
      return { kind: 'actor', actor, summary: `${actor} started`, detail: '' }
    case '@xstate.event': {
      const sent = redactForInspector(event.event)
      return {
        kind: 'event',
        actor,
        summary: `${actor} received ${sent.type}`,
        detail: JSON.stringify(sent, null, 2),
      }
    }
    case '@xstate.snapshot': {
      const snapshot = event.snapshot as {
        value?: unknown
        status?: string
        context?: unknown
        output?: unknown
      }
      const shown = redactForInspector({
        status: snapshot.status,
        ...('value' in snapshot ? { value: snapshot.value } : {}),
        ...('context' in snapshot ? { context: snapshot.context } : {}),
        ...(snapshot.output === undefined ? {} : { output: snapshot.output }),
      })
      const state = 'value' in snapshot ? ` is ${String(snapshot.value)}` : ` ${snapshot.status ?? ''}`
      return { kind: 'snapshot', actor, summary: `${actor}${state}`, detail: JSON.stringify(shown, null, 2) }
    }
    default:
      return undefined
  }
}

/**
 * The local view of the inspector: the last inspection events of the page's machine, redacted as Stately's
 * inspector would receive them. Works offline.
 */
export const localInspector = {
  subscribe(listener: () => void) {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  getSnapshot: () => records,
  inspect(event: InspectionEvent) {
    const record = toRecord(event)
    if (!record) return
    records = [...records.slice(-(MAX - 1)), { id: nextId++, at: Date.now(), ...record }]
    for (const listener of listeners) listener()
  },
}
