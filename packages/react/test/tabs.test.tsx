import { act, cleanup, renderHook, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import { afterEach, expect, it } from 'vitest'
import { JikoAuthProvider, useJikoAuth } from '../src/index.js'
import { describeEachReactMode, fakeServer } from './fakeServer.js'

afterEach(() => {
  cleanup()
  window.history.replaceState(null, '', '/')
})

describeEachReactMode('tabs stay in step (BroadcastChannel)', (Mode) => {
  function tab(server: ReturnType<typeof fakeServer>) {
    const wrapper = ({ children }: { children: ReactNode }) => (
      <Mode>
        <JikoAuthProvider adapter={server.adapter}>{children}</JikoAuthProvider>
      </Mode>
    )
    return renderHook(() => useJikoAuth(), { wrapper }).result
  }

  it('logout in one tab → every tab idle', async () => {
    const server = fakeServer({ subject: 'alice', scopes: ['pockets.read'], expiresAt: Date.now() + 900_000 })
    const one = tab(server)
    const two = tab(server)
    await waitFor(() =>
      expect([one.current.state, two.current.state]).toEqual(['authenticated', 'authenticated']),
    )
    act(() => one.current.logout())
    await waitFor(() => expect(two.current.state).toBe('idle'))
    expect(two.current.isAuthenticated).toBe(false)
  })

  it('a refresh in one tab updates the others', async () => {
    const server = fakeServer({ subject: 'alice', scopes: ['pockets.read'], expiresAt: Date.now() + 600_000 })
    const one = tab(server)
    const two = tab(server)
    await waitFor(() => expect(two.current.state).toBe('authenticated'))
    const before = two.current.session?.expiresAt ?? 0
    act(() => one.current.refresh())
    await waitFor(() => expect(two.current.session?.expiresAt).toBeGreaterThan(before))
    expect(server.count('POST /refresh')).toBe(1)
  })

  it('login in one tab → the others pick the session up', async () => {
    const server = fakeServer()
    const other = tab(server)
    await waitFor(() => expect(other.current.isLoading).toBe(false))
    window.history.replaceState(null, '', `/?code=${crypto.randomUUID()}&state=s`)
    const target = tab(server)
    await waitFor(() => expect(target.current.state).toBe('authenticated'))
    await waitFor(() => expect(other.current.state).toBe('authenticated'))
    expect(other.current.session?.subject).toBe('alice')
  })
})
