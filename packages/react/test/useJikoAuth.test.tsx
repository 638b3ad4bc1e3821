import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import type { InspectionEvent } from 'xstate'
import { JikoAuthProvider, useJikoAuth, useJikoAuthSelector } from '../src/index.js'
import { describeEachReactMode, fakeServer } from './fakeServer.js'

const subjectRenders = { count: 0 }

function Subject() {
  const subject = useJikoAuthSelector((auth) => auth.session?.subject)
  subjectRenders.count += 1
  return <p>{subject ?? 'nobody'}</p>
}

function Refresher() {
  const { refresh, session } = useJikoAuth()
  return (
    <button type="button" onClick={refresh}>
      {session?.expiresAt}
    </button>
  )
}

const fresh = () => ({ subject: 'alice', scopes: ['pockets.read'], expiresAt: Date.now() + 900_000 })

afterEach(() => {
  cleanup()
  vi.useRealTimers()
  window.history.replaceState(null, '', '/')
})

describeEachReactMode('useJikoAuth', (Mode) => {
  function setup(server: ReturnType<typeof fakeServer>) {
    const states: string[] = []
    const machineStates = new Map<string, string[]>()
    const inspect = (event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return
      const seen = machineStates.get(event.actorRef.sessionId) ?? []
      const value = String((event.snapshot as { value?: unknown }).value)
      if (seen.at(-1) !== value) seen.push(value)
      machineStates.set(event.actorRef.sessionId, seen)
    }
    const wrapper = ({ children }: { children: ReactNode }) => (
      <Mode>
        <JikoAuthProvider adapter={server.adapter} inspect={inspect}>
          {children}
        </JikoAuthProvider>
      </Mode>
    )
    const hook = renderHook(
      () => {
        const auth = useJikoAuth()
        if (states.at(-1) !== auth.state) states.push(auth.state)
        return auth
      },
      { wrapper },
    )
    /** The state sequence of the machine that is live now (StrictMode starts one, stops it, starts another). */
    const machine = () => [...machineStates.values()].at(-1) ?? []
    return { ...hook, states, machine }
  }

  it('is loading until the server answers, then idle without a session', async () => {
    const server = fakeServer()
    const { result } = setup(server)
    expect(result.current).toMatchObject({ state: 'idle', isLoading: true, isAuthenticated: false })
    await waitFor(() => expect(result.current.isLoading).toBe(false))
    expect(result.current).toMatchObject({ state: 'idle', isAuthenticated: false, session: undefined })
  })

  it('picks up an existing session on load: authenticated, never a token', async () => {
    const server = fakeServer(fresh())
    const { result } = setup(server)
    await waitFor(() => expect(result.current.state).toBe('authenticated'))
    expect(result.current).toMatchObject({
      isAuthenticated: true,
      isLoading: false,
      session: { subject: 'alice', scopes: ['pockets.read'] },
    })
    expect(JSON.stringify(result.current.session)).not.toMatch(/token/i)
  })

  it('login() goes to redirecting and sends the browser to the server’s login URL', async () => {
    const server = fakeServer()
    const { result, states } = setup(server)
    await waitFor(() => expect(result.current.isLoading).toBe(false))
    act(() => result.current.login({ returnTo: '/accounts?tab=1' }))
    await waitFor(() => expect(result.current.state).toBe('redirecting'))
    expect(server.navigations).toEqual([`/auth/login?returnTo=${encodeURIComponent('/accounts?tab=1')}`])
    expect(states).toEqual(['idle', 'redirecting'])
  })

  it('finishes a login on the redirect target: awaitingCallback → exchanging → authenticated, once, URL cleaned', async () => {
    // A unique code per test: the adapter remembers exchanges for the page's lifetime.
    window.history.replaceState(null, '', `/welcome?code=${crypto.randomUUID()}&state=s1&iss=x&keep=1#top`)
    const server = fakeServer()
    const { result, machine } = setup(server)
    await waitFor(() => expect(result.current.state).toBe('authenticated'))
    expect(machine()).toEqual(['awaitingCallback', 'exchanging', 'authenticated'])
    expect(server.count('POST /callback')).toBe(1)
    expect(`${window.location.pathname}${window.location.search}${window.location.hash}`).toBe(
      '/welcome?keep=1#top',
    )
    expect(result.current.session?.subject).toBe('alice')
    // Who signed in, as the server validated it: claims, never a token.
    expect(result.current.session?.user).toEqual({
      sub: 'alice',
      name: 'Alice Martin',
      email: 'alice@example.test',
    })
    expect(result.current.session).not.toHaveProperty('tokens')
  })

  it('a denied consent on the redirect target ends in error, with the typed code', async () => {
    window.history.replaceState(null, '', `/?error=access_denied&state=${crypto.randomUUID()}`)
    const server = fakeServer()
    server.state.exchangeAnswer = 'denied'
    const { result } = setup(server)
    await waitFor(() => expect(result.current.state).toBe('error'))
    expect(result.current.error?.code).toBe('JIKO_AUTHORIZATION_ERROR')
    expect(window.location.search).toBe('')
    act(() => result.current.reset())
    expect(result.current.state).toBe('idle')
  })

  it('refresh() walks authenticated → refreshing → authenticated with the new expiry', async () => {
    const server = fakeServer({ ...fresh(), expiresAt: Date.now() + 600_000 })
    const { result, states } = setup(server)
    await waitFor(() => expect(result.current.state).toBe('authenticated'))
    const before = result.current.session?.expiresAt ?? 0
    act(() => result.current.refresh())
    await waitFor(() => expect(result.current.session?.expiresAt).toBeGreaterThan(before))
    expect(states.slice(-3)).toEqual(['authenticated', 'refreshing', 'authenticated'])
  })

  it('refreshes ahead of expiry by itself (simulated time)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const server = fakeServer({ ...fresh(), expiresAt: Date.now() + 120_000 })
    const { result } = setup(server)
    await vi.waitFor(() => expect(result.current.state).toBe('authenticated'))
    expect(server.count('POST /refresh')).toBe(0)
    await act(async () => {
      await vi.advanceTimersByTimeAsync(59_000)
    })
    expect(server.count('POST /refresh')).toBe(0)
    await act(async () => {
      await vi.advanceTimersByTimeAsync(2_000)
    })
    expect(server.count('POST /refresh')).toBe(1)
    await vi.waitFor(() => expect(result.current.state).toBe('authenticated'))
  })

  it('a refused refresh ends the session: idle, JIKO_SESSION_EXPIRED', async () => {
    const server = fakeServer(fresh())
    server.state.refreshAnswer = 'expired'
    const { result } = setup(server)
    await waitFor(() => expect(result.current.state).toBe('authenticated'))
    act(() => result.current.refresh())
    await waitFor(() => expect(result.current.state).toBe('idle'))
    expect(result.current).toMatchObject({ isAuthenticated: false, error: { code: 'JIKO_SESSION_EXPIRED' } })
  })

  it('a failed refresh goes to error and refresh() retries it', async () => {
    const server = fakeServer(fresh())
    server.state.refreshAnswer = 'down'
    const { result } = setup(server)
    await waitFor(() => expect(result.current.state).toBe('authenticated'))
    act(() => result.current.refresh())
    await waitFor(() => expect(result.current.state).toBe('error'))
    expect(result.current.error).toMatchObject({ code: 'JIKO_HTTP_ERROR', status: 502 })
    server.state.refreshAnswer = 'ok'
    act(() => result.current.refresh())
    await waitFor(() => expect(result.current.state).toBe('authenticated'))
  })

  it('logout() goes idle at once and tells the server', async () => {
    const server = fakeServer(fresh())
    const { result } = setup(server)
    await waitFor(() => expect(result.current.state).toBe('authenticated'))
    act(() => result.current.logout())
    expect(result.current).toMatchObject({ state: 'idle', isAuthenticated: false })
    await waitFor(() => expect(server.count('POST /logout')).toBe(1))
  })

  it('useJikoAuthSelector re-renders only when its slice changes', async () => {
    const server = fakeServer({ ...fresh(), expiresAt: Date.now() + 600_000 })
    subjectRenders.count = 0
    render(
      <Mode>
        <JikoAuthProvider adapter={server.adapter}>
          <Subject />
          <Refresher />
        </JikoAuthProvider>
      </Mode>,
    )
    await screen.findByText('alice')
    const before = subjectRenders.count
    act(() => screen.getByRole('button').click())
    await waitFor(() => expect(server.count('POST /refresh')).toBe(1))
    await waitFor(() => expect(Number(screen.getByRole('button').textContent)).toBeGreaterThan(0))
    expect(subjectRenders.count).toBe(before)
  })

  it('passes inspect to createActor', async () => {
    const inspect = vi.fn()
    const server = fakeServer()
    render(
      <Mode>
        <JikoAuthProvider adapter={server.adapter} inspect={inspect}>
          <span />
        </JikoAuthProvider>
      </Mode>,
    )
    await waitFor(() =>
      expect(inspect).toHaveBeenCalledWith(expect.objectContaining({ type: '@xstate.actor' })),
    )
  })

  it('the inspector sees a login callback redacted, unless inspectUnredacted is set', async () => {
    const seenBy = async (inspectUnredacted: boolean) => {
      const events: string[] = []
      const inspect = (event: InspectionEvent) => {
        if (event.type === '@xstate.event') events.push(JSON.stringify(event.event))
      }
      window.history.replaceState(null, '', '/?code=the-code&state=the-state')
      const server = fakeServer()
      const view = render(
        <Mode>
          <JikoAuthProvider adapter={server.adapter} inspect={inspect} inspectUnredacted={inspectUnredacted}>
            <span />
          </JikoAuthProvider>
        </Mode>,
      )
      await waitFor(() => expect(events.some((e) => e.includes('CALLBACK'))).toBe(true))
      view.unmount()
      return events.filter((e) => e.includes('CALLBACK')).join('\n')
    }
    const redacted = await seenBy(false)
    expect(redacted).not.toMatch(/the-code|the-state/)
    expect(redacted).toContain('[redacted]')
    expect(await seenBy(true)).toContain('the-code')
  })
})

it('useJikoAuth outside the provider says to wrap the tree', () => {
  vi.spyOn(console, 'error').mockImplementation(() => {})
  expect(() => renderHook(() => useJikoAuth())).toThrow(/inside <JikoAuthProvider>/)
})

beforeEach(() => {
  window.history.replaceState(null, '', '/')
})
