import {
  type AuthSession,
  type AuthStateName,
  authMachine,
  DEFAULT_LEEWAY_MS,
  redactingInspector,
  type SerializedAuthError,
  type SessionUser,
} from '@jiko-auth/core/machine'
import { type Actor, createActor, type InspectionEvent, type Observer, type SnapshotFrom } from 'xstate'
import type { AuthAdapter } from './serverAdapter.js'

/** The session as the page may know it: no token. */
export interface PublicSession {
  /** Who signed in, as your server validated it (the id_token's claims: `sub`, `name`, `email`, … as granted). */
  user?: SessionUser
  /** `user.sub`, kept as an alias. */
  subject?: string
  scopes: string[]
  /** Milliseconds since the epoch when the access token expires (the server refreshes it). */
  expiresAt: number
}

/** What `useJikoAuth()` reads. */
export interface AuthView {
  /** The machine's state name. */
  state: AuthStateName
  isAuthenticated: boolean
  /** True until the first answer about the session, and while a login is under way. */
  isLoading: boolean
  session: PublicSession | undefined
  error: SerializedAuthError | undefined
}

export interface AuthControllerOptions {
  adapter: AuthAdapter
  /**
   * An XState inspector, e.g. `createBrowserInspector().inspect`. It sees every event through `redact` (the code,
   * state and verifier of a login are replaced by "[redacted]") unless `inspectUnredacted` is set.
   */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void)
  /** Shows the inspector the login's secrets as they are: for debugging on your own machine only. */
  inspectUnredacted?: boolean
  /** Seconds before expiry to refresh (default 60, at most half the token's lifetime). */
  leewaySeconds?: number
}

type TabMessage = { type: 'session'; session: AuthSession } | { type: 'signedOut' }

const CALLBACK_PARAMS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri']

export const SERVER_VIEW: AuthView = {
  state: 'idle',
  isAuthenticated: false,
  isLoading: true,
  session: undefined,
  error: undefined,
}

function viewOf(snapshot: SnapshotFrom<typeof authMachine>, ready: boolean): AuthView {
  const state = snapshot.value as AuthStateName
  const session = snapshot.context.session
  const isAuthenticated = session !== undefined && (state === 'authenticated' || state === 'refreshing')
  return {
    state,
    isAuthenticated,
    isLoading: !ready || state === 'redirecting' || state === 'awaitingCallback' || state === 'exchanging',
    session: session
      ? {
          scopes: session.scope ? session.scope.split(' ') : [],
          expiresAt: session.expiresAt,
          ...(session.user ? { user: session.user } : {}),
          ...(session.subject ? { subject: session.subject } : {}),
        }
      : undefined,
    error: snapshot.context.error,
  }
}

/**
 * The browser's auth state, framework-free: runs core's machine with the server adapter's actors, learns the
 * session on start (or finishes a login when the page is the redirect target), and keeps tabs in step. React binds
 * to it through `subscribe`/`getSnapshot` (useSyncExternalStore).
 */
export function createAuthController(options: AuthControllerOptions) {
  const { adapter } = options
  const machine = authMachine.provide({ actors: adapter.actors })
  const leewaySeconds = options.leewaySeconds ?? DEFAULT_LEEWAY_MS / 1000
  const listeners = new Set<() => void>()
  let view = SERVER_VIEW
  let actor: Actor<typeof machine> | undefined
  let channel: BroadcastChannel | undefined
  let ready = false

  const emit = () => {
    for (const listener of listeners) listener()
  }

  function run(initial?: SnapshotFrom<typeof machine>) {
    actor?.stop()
    const current = createActor(machine, {
      input: { leewaySeconds },
      ...(initial ? { snapshot: initial } : {}),
      ...(options.inspect
        ? { inspect: options.inspectUnredacted ? options.inspect : redactingInspector(options.inspect) }
        : {}),
    })
    let previous: AuthStateName | undefined
    current.subscribe((snapshot) => {
      if (actor !== current) return
      const state = snapshot.value as AuthStateName
      if (previous === 'exchanging' && state !== 'exchanging') cleanCallbackUrl()
      if (state === 'authenticated' && (previous === 'exchanging' || previous === 'refreshing')) {
        post({ type: 'session', session: snapshot.context.session as AuthSession })
      }
      if (state === 'idle' && previous !== undefined && previous !== 'idle' && snapshot.context.endReason) {
        post({ type: 'signedOut' })
      }
      previous = state
      view = viewOf(snapshot, ready)
      emit()
    })
    actor = current
    current.start()
    return current
  }

  function post(message: TabMessage) {
    channel?.postMessage(message)
  }

  function markReady() {
    ready = true
    if (actor) view = viewOf(actor.getSnapshot(), ready)
    emit()
  }

  function onTabMessage(message: TabMessage) {
    if (message.type === 'signedOut') {
      if (actor?.getSnapshot().value !== 'idle') run()
      return
    }
    const state = actor?.getSnapshot().value
    if (state === 'idle' || state === 'authenticated')
      run().send({ type: 'SESSION', session: message.session })
  }

  return {
    subscribe(listener: () => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    getSnapshot: () => view,

    /** Starts (or restarts) in the browser: never called during server rendering. */
    start() {
      if (actor) return
      ready = false
      if (typeof BroadcastChannel !== 'undefined') {
        channel = new BroadcastChannel(`jiko-auth:${adapter.baseUrl}`)
        channel.onmessage = (event: MessageEvent<TabMessage>) => onTabMessage(event.data)
      }
      const callbackUrl = pendingCallback()
      if (callbackUrl) {
        const { context } = createActor(machine, { input: { leewaySeconds } }).getSnapshot()
        const waiting = machine.resolveState({ value: 'awaitingCallback', context })
        ready = true
        run(waiting).send({ type: 'CALLBACK', url: callbackUrl })
        return
      }
      const started = run()
      adapter.fetchSession().then(
        (session) => {
          if (actor !== started) return
          if (session && started.getSnapshot().value === 'idle') started.send({ type: 'SESSION', session })
          markReady()
        },
        () => {
          if (actor === started) markReady()
        },
      )
    },

    stop() {
      actor?.stop()
      actor = undefined
      channel?.close()
      channel = undefined
    },

    login(options: { returnTo?: string } = {}) {
      actor?.send({ type: 'LOGIN', ...(options.returnTo ? { returnTo: options.returnTo } : {}) })
    },
    logout() {
      actor?.send({ type: 'LOGOUT' })
    },
    refresh() {
      const state = actor?.getSnapshot().value
      actor?.send(state === 'error' ? { type: 'RETRY' } : { type: 'REFRESH' })
    },
    reset() {
      actor?.send({ type: 'RESET' })
    },
  }
}

export type AuthController = ReturnType<typeof createAuthController>

/** The callback URL when this page is the redirect target (`state` with `code` or `error`). */
function pendingCallback(): string | undefined {
  const params = new URLSearchParams(window.location.search)
  return params.has('state') && (params.has('code') || params.has('error')) ? window.location.href : undefined
}

/** Removes the callback's parameters from the address bar, so a reload or a shared link does not carry them. */
function cleanCallbackUrl() {
  const url = new URL(window.location.href)
  for (const name of CALLBACK_PARAMS) url.searchParams.delete(name)
  window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`)
}
