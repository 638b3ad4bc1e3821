import { redactForInspector } from '@jiko-auth/core/machine'
import { JikoAuthProvider, serverAdapter, useJikoAuth } from '@jiko-auth/react'
import { createBrowserInspector } from '@statelyai/inspect'
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react'
import type { InspectionEvent } from 'xstate'
import { canReachStately, localInspector, STATELY_INSPECTOR_URL } from './inspector.js'
import { Machines } from './Machines.js'
import { Timeline } from './Timeline.js'
import { timeline } from './timeline.js'

const adapter = serverAdapter({ baseUrl: '/auth' })
const INSPECTOR_KEY = 'jiko-demo:inspector'
const LOCAL_VIEW_KEY = 'jiko-demo:local-inspector'
let reconnected = false

interface Pocket {
  id: string
  name: string
  currency: string
  balance: string
}

/** Errors in words, with what to do. */
function describeError(code: string | undefined): string {
  switch (code) {
    case 'JIKO_AUTHORIZATION_ERROR':
      return 'You declined access on Jiko’s consent page, so you are not signed in.'
    case 'JIKO_SESSION_EXPIRED':
      return 'Your session has expired. Please sign in again.'
    case 'JIKO_NETWORK_ERROR':
    case 'JIKO_HTTP_ERROR':
    case 'JIKO_TIMEOUT':
      return 'The Jiko emulator did not answer. Check that it is running, then try again.'
    case 'JIKO_STATE_MISMATCH':
    case 'JIKO_TRANSACTION_EXPIRED':
      return 'This sign-in link has expired or was already used. Please sign in again.'
    default:
      return 'Something went wrong while signing in.'
  }
}

function useCountdown(expiresAt: number | undefined) {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [])
  return expiresAt === undefined ? undefined : Math.max(0, Math.round((expiresAt - now) / 1000))
}

/** How the server signed its call to the pockets API (RFC 9421), as it reports it. */
interface SignedWith {
  alg: string
  keyId: string
  components: string[]
}

function Pockets({ expiresAt }: { expiresAt: number | undefined }) {
  const [pockets, setPockets] = useState<Pocket[] | undefined>()
  const [signedWith, setSignedWith] = useState<SignedWith | undefined>()
  const [error, setError] = useState<string | undefined>()
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload the pockets after each refresh
  useEffect(() => {
    let live = true
    fetch('/api/pockets')
      .then(async (response) => {
        const body = (await response.json()) as {
          data?: Pocket[]
          signature?: SignedWith
          error?: { code: string }
        }
        if (!live) return
        if (response.ok && body.data) {
          setPockets(body.data)
          setSignedWith(body.signature)
          setError(undefined)
        } else setError(describeError(body.error?.code))
      })
      .catch(() => live && setError(describeError('JIKO_NETWORK_ERROR')))
    return () => {
      live = false
    }
  }, [expiresAt])
  if (error) return <p role="alert">{error}</p>
  if (!pockets) return <p>Loading your pockets…</p>
  return (
    <>
      {signedWith ? (
        <p className="signed" data-testid="signed-request">
          signed request ✓{' '}
          <span className="hint">
            ({signedWith.alg}, covering {signedWith.components.join(' ')})
          </span>
        </p>
      ) : null}
      <table aria-label="Your pockets">
        <thead>
          <tr>
            <th scope="col">Pocket</th>
            <th scope="col">Balance</th>
          </tr>
        </thead>
        <tbody>
          {pockets.map((pocket) => (
            <tr key={pocket.id}>
              <td>{pocket.name}</td>
              <td>
                {pocket.balance} {pocket.currency}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

/** The OIDC scopes: they ask for who the user is (the id_token), not for access to an API. */
const IDENTITY_SCOPES = new Set(['openid', 'profile', 'email', 'phone', 'offline_access'])

const listOf = (words: string[]) => words.map((word) => `“${word}”`).join(' and ')

/** Why the access token's scopes differ from what the demo asked for, in a sentence; undefined when they don't. */
export function scopesNote(asked: string[], granted: string[]): string | undefined {
  const missing = asked.filter((scope) => !granted.includes(scope))
  if (missing.length === 0) return undefined
  const identity = missing.filter((scope) => IDENTITY_SCOPES.has(scope))
  const refused = missing.filter((scope) => !IDENTITY_SCOPES.has(scope))
  const sentences = [`The demo asked for ${asked.join(' ')}.`]
  if (identity.length > 0) {
    sentences.push(
      `${listOf(identity)} ${identity.length > 1 ? 'are identity scopes' : 'is an identity scope'}: ` +
        'they gave the server your id_token (who you are, above), not access to an API, so the access token ' +
        `carries ${granted.length > 0 ? granted.join(' ') : 'no API scope'}.`,
    )
  }
  if (refused.length > 0) sentences.push(`Jiko did not grant ${listOf(refused)}.`)
  return sentences.join(' ')
}

/** The scopes the demo server asks Jiko for (it says so at /api/demo). */
function useRequestedScopes(): string[] | undefined {
  const [scopes, setScopes] = useState<string[] | undefined>()
  useEffect(() => {
    let live = true
    fetch('/api/demo')
      .then((response) => response.json() as Promise<{ scopes?: string[] }>)
      .then((body) => live && setScopes(body.scopes))
      .catch(() => undefined)
    return () => {
      live = false
    }
  }, [])
  return scopes
}

function Account() {
  const { state, isAuthenticated, isLoading, session, error, login, logout, refresh, reset } = useJikoAuth()
  const seconds = useCountdown(session?.expiresAt)
  const requested = useRequestedScopes()
  const note = session && requested ? scopesNote(requested, session.scopes) : undefined
  return (
    <section aria-labelledby="account-title" className="card">
      <h2 id="account-title">Account</h2>
      <p>
        Machine state: <strong data-testid="state">{state}</strong>
      </p>
      {error && state !== 'authenticated' && (
        <div role="alert" className="error">
          <p>{describeError(error.code)}</p>
          {error.code === 'JIKO_AUTHORIZATION_ERROR' ? (
            <p className="hint">
              To use another account, choose “Not you? Use another account” on Jiko’s page after signing in
              again.
            </p>
          ) : null}
          <p className="hint">
            <code>{error.code}</code>
          </p>
          <div className="row start">
            <button
              type="button"
              onClick={() => {
                if (state === 'error') reset()
                login({ returnTo: '/' })
              }}
            >
              Sign in again
            </button>
            {state === 'error' ? (
              <button type="button" className="secondary" onClick={reset}>
                Dismiss
              </button>
            ) : null}
          </div>
        </div>
      )}
      {isAuthenticated && session ? (
        <>
          <dl>
            <dt>Signed in as</dt>
            <dd data-testid="user-name">{session.user?.name ?? '—'}</dd>
            <dt>Subject</dt>
            <dd data-testid="subject">{session.subject}</dd>
            <dt>Granted scopes</dt>
            <dd data-testid="granted-scopes">{session.scopes.join(' ') || '—'}</dd>
            <dt>Access token expires in</dt>
            <dd data-testid="countdown" aria-live="off">
              {seconds} s
            </dd>
          </dl>
          {note ? (
            <p className="hint" data-testid="scopes-note">
              {note}
            </p>
          ) : null}
          <div className="row start actions">
            <button type="button" onClick={refresh}>
              Refresh now
            </button>
            <button type="button" className="end" onClick={logout}>
              Sign out
            </button>
          </div>
          <h3>Pockets</h3>
          <Pockets expiresAt={session.expiresAt} />
        </>
      ) : (
        !error &&
        (isLoading ? (
          <p>Checking your session…</p>
        ) : (
          <button type="button" onClick={() => login({ returnTo: '/' })}>
            Sign in with Jiko
          </button>
        ))
      )}
    </section>
  )
}

function LocalInspectorView({ onHide }: { onHide: () => void }) {
  const records = useSyncExternalStore(
    localInspector.subscribe,
    localInspector.getSnapshot,
    localInspector.getSnapshot,
  )
  return (
    <section aria-labelledby="local-inspector-title" className="card" data-testid="local-inspector">
      <div className="row">
        <h2 id="local-inspector-title">Inspector, local view</h2>
        <button type="button" className="link" onClick={onHide}>
          Hide
        </button>
      </div>
      <p className="muted">
        What the XState inspector receives from the page's machine, newest first, passed through core's{' '}
        <code>redact</code>: tokens, codes, verifiers and <code>state</code> read “[redacted]”.
      </p>
      <ol
        className="inspection"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a list that scrolls must be reachable by keyboard
        tabIndex={0}
        aria-labelledby="local-inspector-title"
      >
        {[...records].reverse().map((record) => (
          <li key={record.id} className={`inspection-${record.kind}`}>
            <time dateTime={new Date(record.at).toISOString()}>
              {new Date(record.at).toLocaleTimeString()}
            </time>{' '}
            {record.detail ? (
              <details>
                <summary>{record.summary}</summary>
                <pre>{record.detail}</pre>
              </details>
            ) : (
              <span>{record.summary}</span>
            )}
          </li>
        ))}
      </ol>
    </section>
  )
}

type StatelyStatus = 'off' | 'checking' | 'connected' | 'unreachable' | 'blocked'

const STATELY_MESSAGES: Record<Exclude<StatelyStatus, 'off'>, string> = {
  checking: 'Checking that Stately’s inspector (stately.ai) can be reached…',
  connected:
    'Stately’s inspector is open in its own window. It receives every event and snapshot of the machine, with tokens, codes and verifiers redacted.',
  unreachable:
    'Stately’s inspector cannot be reached: stately.ai did not answer this browser (offline, or blocked by a firewall or an extension), so no window was opened.',
  blocked:
    'The browser blocked the inspector’s pop-up window. Allow pop-ups for this page and switch the inspector on again.',
}

/** Stately's inspector, connected only once stately.ai answers; otherwise the page says so and offers its own view. */
function useStatelyInspector() {
  const [status, setStatus] = useState<StatelyStatus>('off')
  const [inspector, setInspector] = useState<ReturnType<typeof createBrowserInspector> | undefined>()
  const connect = useCallback(async () => {
    setStatus('checking')
    const fail = (why: StatelyStatus) => {
      localStorage.setItem(INSPECTOR_KEY, 'off')
      setStatus(why)
    }
    if (!(await canReachStately())) return fail('unreachable')
    const opened = createBrowserInspector({ url: STATELY_INSPECTOR_URL, serialize: redactForInspector })
    if (!opened.adapter.targetWindow) {
      opened.stop()
      return fail('blocked')
    }
    localStorage.setItem(INSPECTOR_KEY, 'on')
    // The machine restarts so that the inspector sees it from its first event.
    timeline.restart()
    setInspector(opened)
    setStatus('connected')
  }, [])
  const disconnect = useCallback(() => {
    localStorage.setItem(INSPECTOR_KEY, 'off')
    setInspector((current) => {
      if (current) {
        current.stop()
        timeline.restart()
      }
      return undefined
    })
    setStatus('off')
  }, [])
  return { status, inspector, connect, disconnect }
}

export function App() {
  const stately = useStatelyInspector()
  const { connect } = stately
  const [localView, setLocalView] = useState(() => localStorage.getItem(LOCAL_VIEW_KEY) === 'on')
  const showLocalView = (on: boolean) => {
    localStorage.setItem(LOCAL_VIEW_KEY, on ? 'on' : 'off')
    setLocalView(on)
  }
  // The switch is remembered across the sign-in's round trip through Jiko (once per page: StrictMode runs effects twice).
  useEffect(() => {
    if (reconnected || localStorage.getItem(INSPECTOR_KEY) !== 'on') return
    reconnected = true
    void connect()
  }, [connect])
  const statelyInspector = stately.inspector
  const inspect = useMemo(
    () => (event: InspectionEvent) => {
      timeline.inspect(event)
      localInspector.inspect(event)
      statelyInspector?.inspect.next?.(event)
    },
    [statelyInspector],
  )
  const on = stately.status !== 'off' && stately.status !== 'unreachable' && stately.status !== 'blocked'
  return (
    <main>
      <header className="row">
        <h1>jiko-auth demo</h1>
        <div className="row inspector-controls">
          <label className="switch">
            <input
              type="checkbox"
              checked={on}
              disabled={stately.status === 'checking'}
              onChange={(event) => {
                if (event.target.checked) void stately.connect()
                else stately.disconnect()
              }}
            />{' '}
            Connect Stately’s XState inspector
          </label>
          {localView ? null : (
            <button type="button" className="link" onClick={() => showLocalView(true)}>
              Local inspector view
            </button>
          )}
        </div>
      </header>
      <div role="status" className="inspector-status" data-testid="inspector-status">
        {stately.status === 'off' ? null : (
          <p
            className={stately.status === 'connected' || stately.status === 'checking' ? 'note' : 'note warn'}
          >
            {STATELY_MESSAGES[stately.status]}{' '}
            {(stately.status === 'unreachable' || stately.status === 'blocked') && !localView ? (
              <button type="button" className="inline" onClick={() => showLocalView(true)}>
                Show the local view instead
              </button>
            ) : null}
          </p>
        )}
      </div>
      <JikoAuthProvider key={statelyInspector ? 'stately' : 'page'} adapter={adapter} inspect={inspect}>
        <div className="grid">
          <Account />
          <Timeline />
        </div>
        <Machines />
      </JikoAuthProvider>
      {localView ? <LocalInspectorView onHide={() => showLocalView(false)} /> : null}
    </main>
  )
}
