// @vitest-environment node
// The real server behind the adapter: @jiko-auth/node on node:http and the emulator. The page runs in a happy-dom
// window registered by hand, so that fetch, Request and Response stay Node's (the server side needs them).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type RunningEmulator, startEmulator } from '@jiko-auth/emulator'
import { createJikoAuth, toNodeHandler } from '@jiko-auth/node'
import { memoryStorage } from '@jiko-auth/storage-memory'
import { Window } from 'happy-dom'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { Fragment, type ReactNode, StrictMode } from 'react'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InspectionEvent } from 'xstate'

const win = new Window({ url: 'http://localhost/' })
for (const key of Object.getOwnPropertyNames(win)) {
  if (key in globalThis) continue
  const value = (win as unknown as Record<string, unknown>)[key]
  const bound = typeof value === 'function' && key[0] === key[0]?.toLowerCase() ? value.bind(win) : value
  Object.defineProperty(globalThis, key, { value: bound, configurable: true, writable: true })
}
Object.assign(globalThis, { window: win, document: win.document, IS_REACT_ACT_ENVIRONMENT: true })

const { act, cleanup, renderHook, waitFor } = await import('@testing-library/react')
const { JikoAuthProvider, serverAdapter, useJikoAuth } = await import('../src/index.js')

let emulator: RunningEmulator
let origin: string
let stopServer: () => void
const cookies = new Map<string, string>()

/** The browser's fetch to the app: same origin, cookies kept. */
async function appFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
  if (init.method === 'POST') headers.set('origin', origin)
  const response = await fetch(new URL(String(input), origin), { ...init, headers, redirect: 'manual' })
  for (const line of response.headers.getSetCookie()) {
    const [pair = ''] = line.split(';')
    const eq = pair.indexOf('=')
    if (/max-age=0/i.test(line)) cookies.delete(pair.slice(0, eq))
    else cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  return response
}

beforeAll(async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://localhost:${(server.address() as AddressInfo).port}`
  const keys = await generateKeyPair('PS256', { extractable: true })
  emulator = await startEmulator({
    headless: 'alice',
    clients: [
      { clientId: 'spa', redirectUris: [`${origin}/app`], publicKey: await exportSPKI(keys.publicKey) },
    ],
  })
  const storage = memoryStorage()
  const auth = createJikoAuth({
    issuer: emulator.issuer,
    revocationEndpoint: `${emulator.issuer}/api/oauth2/revoke`,
    clientId: 'spa',
    redirectUri: `${origin}/app`,
    scopes: ['openid', 'profile', 'email', 'pockets.read'],
    privateKey: await exportPKCS8(keys.privateKey),
    storage,
    secret: 'integration-secret-of-at-least-32-bytes!',
  })
  server.on('request', toNodeHandler(auth))
  stopServer = () => {
    storage.close?.()
    server.closeAllConnections()
    server.close()
  }
})

afterAll(async () => {
  await emulator?.stop()
  stopServer?.()
})

describe.each([
  ['plain', Fragment],
  ['StrictMode', StrictMode],
] as const)('the hook against the real server and the emulator (%s)', (_mode, Mode) => {
  it('walks idle → redirecting → awaitingCallback → exchanging → authenticated → refreshing → authenticated → idle', async () => {
    cookies.clear()
    win.happyDOM.setURL(`${origin}/app`)
    const states: string[] = []
    const inspect = (event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return
      const value = String((event.snapshot as { value?: unknown }).value)
      if (states.at(-1) !== value) states.push(value)
    }
    const navigations: string[] = []
    const adapter = serverAdapter({
      baseUrl: `${origin}/auth`,
      fetch: appFetch,
      navigate: (url) => navigations.push(url),
    })
    const wrapper = ({ children }: { children: ReactNode }) => (
      <Mode>
        <JikoAuthProvider adapter={adapter} inspect={inspect}>
          {children}
        </JikoAuthProvider>
      </Mode>
    )

    // The first page: signed out; login() sends the browser to the server's login route.
    const first = renderHook(() => useJikoAuth(), { wrapper })
    await waitFor(() => expect(first.result.current.isLoading).toBe(false))
    act(() => first.result.current.login({ returnTo: '/app' }))
    await waitFor(() => expect(navigations).toHaveLength(1))
    const login = await appFetch(navigations[0] as string)
    expect(login.status).toBe(303)
    const callbackUrl = await emulator.signIn(login.headers.get('location') as string)
    first.unmount()

    // The redirect target is this page: the provider finishes the login.
    win.happyDOM.setURL(callbackUrl)
    const second = renderHook(() => useJikoAuth(), { wrapper })
    await waitFor(() => expect(second.result.current.state).toBe('authenticated'))
    expect(second.result.current.session).toMatchObject({
      subject: 'alice',
      user: { sub: 'alice', name: 'Alice Martin', email: 'alice@example.test', email_verified: true },
      // The access token's scopes, as Jiko granted them (the OpenID scopes are the id_token's).
      scopes: ['pockets.read'],
    })
    expect(win.location.href).toBe(`${origin}/app`)

    emulator.stats.reset()
    act(() => second.result.current.refresh())
    await waitFor(() => expect(emulator.stats.grants.refresh_token).toBe(1))
    await waitFor(() => expect(second.result.current.state).toBe('authenticated'))

    act(() => second.result.current.logout())
    await waitFor(() => expect(cookies.has('jiko-session')).toBe(false))
    expect(second.result.current.state).toBe('idle')
    second.unmount()
    cleanup()

    const walked = states.filter((s, i) => s !== states[i - 1])
    for (const step of [
      'idle',
      'redirecting',
      'awaitingCallback',
      'exchanging',
      'authenticated',
      'refreshing',
      'idle',
    ]) {
      expect(walked).toContain(step)
    }
    expect(walked.slice(walked.indexOf('awaitingCallback'))).toEqual([
      'awaitingCallback',
      'exchanging',
      'authenticated',
      'refreshing',
      'authenticated',
      'idle',
    ])
  })
})
