import { redact } from '@jiko-auth/core/machine'
import { JikoAuthProvider, serverAdapter, useJikoAuth } from '@jiko-auth/react'
import { createBrowserInspector } from '@statelyai/inspect'
import { useEffect, useMemo, useState } from 'react'
import type { InspectionEvent } from 'xstate'
import { MachineDiagram } from './MachineDiagram.js'
import { Timeline } from './Timeline.js'
import { timeline } from './timeline.js'

const adapter = serverAdapter({ baseUrl: '/auth' })
const INSPECTOR_KEY = 'jiko-demo:inspector'

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

function Account() {
  const { state, isAuthenticated, isLoading, session, error, login, logout, refresh, reset } = useJikoAuth()
  const seconds = useCountdown(session?.expiresAt)
  return (
    <section aria-labelledby="account-title" className="card">
      <h2 id="account-title">Account</h2>
      <p>
        Machine state: <strong data-testid="state">{state}</strong>
      </p>
      {error && state !== 'authenticated' && (
        <div role="alert" className="error">
          <p>{describeError(error.code)}</p>
          <p className="muted">
            <code>{error.code}</code>
          </p>
          <button type="button" onClick={state === 'error' ? reset : () => login()}>
            {state === 'error' ? 'Back' : 'Sign in again'}
          </button>
        </div>
      )}
      {isAuthenticated && session ? (
        <>
          <dl>
            <dt>Signed in as</dt>
            <dd data-testid="user-name">{session.user?.name ?? '—'}</dd>
            <dt>Subject</dt>
            <dd data-testid="subject">{session.subject}</dd>
            <dt>Scopes</dt>
            <dd>{session.scopes.join(', ')}</dd>
            <dt>Access token expires in</dt>
            <dd data-testid="countdown" aria-live="off">
              {seconds} s
            </dd>
          </dl>
          <div className="row">
            <button type="button" onClick={refresh}>
              Refresh now
            </button>
            <button type="button" onClick={logout}>
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

function Diagram() {
  const { state } = useJikoAuth()
  return (
    <section aria-labelledby="diagram-title" className="card">
      <h2 id="diagram-title">The flow machine, live</h2>
      <MachineDiagram current={state} />
    </section>
  )
}

export function App() {
  const [inspecting, setInspecting] = useState(() => localStorage.getItem(INSPECTOR_KEY) === 'on')
  const inspect = useMemo(() => {
    const stately = inspecting ? createBrowserInspector({ serialize: redact }) : undefined
    return (event: InspectionEvent) => {
      timeline.inspect(event)
      stately?.inspect.next?.(event)
    }
  }, [inspecting])
  return (
    <main>
      <header className="row">
        <h1>jiko-auth demo</h1>
        <label className="switch">
          <input
            type="checkbox"
            checked={inspecting}
            onChange={(event) => {
              localStorage.setItem(INSPECTOR_KEY, event.target.checked ? 'on' : 'off')
              setInspecting(event.target.checked)
            }}
          />{' '}
          Connect the XState inspector
        </label>
      </header>
      <JikoAuthProvider key={String(inspecting)} adapter={adapter} inspect={inspect}>
        <div className="grid">
          <Account />
          <Diagram />
        </div>
        <Timeline />
      </JikoAuthProvider>
    </main>
  )
}
