import { Fragment, StrictMode } from 'react'
import { describe } from 'vitest'
import { serverAdapter } from '../src/index.js'

export interface FakeSession {
  subject: string
  user?: { sub: string; name?: string; email?: string }
  scopes: string[]
  expiresAt: number
}

/** A fake @jiko-auth/node server behind the adapter's fetch: it answers the five routes and counts the calls. */
export function fakeServer(initial?: FakeSession) {
  let session = initial
  const calls: string[] = []
  const state = {
    refreshAnswer: 'ok' as 'ok' | 'expired' | 'down',
    exchangeAnswer: 'ok' as 'ok' | 'denied',
  }
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
  const info = () =>
    session
      ? { state: 'authenticated', authenticated: true, ...session }
      : { state: 'idle', authenticated: false, scopes: [], expiresAt: null }

  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const path = String(input).replace(/^.*\/auth/, '')
    const call = `${init.method ?? 'GET'} ${path}`
    calls.push(call)
    switch (call) {
      case 'GET /session':
        return json(info())
      case 'POST /callback': {
        if (state.exchangeAnswer === 'denied') {
          return json(
            {
              error: {
                code: 'JIKO_AUTHORIZATION_ERROR',
                message: 'The authorization request failed with access_denied',
              },
            },
            400,
          )
        }
        session = {
          subject: 'alice',
          user: { sub: 'alice', name: 'Alice Martin', email: 'alice@example.test' },
          scopes: ['pockets.read'],
          expiresAt: Date.now() + 900_000,
        }
        return json({ session: info(), returnTo: '/' })
      }
      case 'POST /refresh':
        if (state.refreshAnswer === 'expired') {
          session = undefined
          return json({ error: { code: 'JIKO_SESSION_EXPIRED', message: 'The session has expired' } }, 401)
        }
        if (state.refreshAnswer === 'down') {
          return json(
            { error: { code: 'JIKO_HTTP_ERROR', message: 'The authorization server answered HTTP 502' } },
            502,
          )
        }
        if (session) session = { ...session, expiresAt: Date.now() + 900_000 }
        return json(info())
      case 'POST /logout':
        session = undefined
        return json(info())
    }
    return json({ error: { code: 'JIKO_NOT_FOUND', message: 'no route' } }, 404)
  }

  const navigations: string[] = []
  const adapter = serverAdapter({ baseUrl: '/auth', fetch, navigate: (url) => navigations.push(url) })
  return {
    adapter,
    calls,
    navigations,
    state,
    count: (call: string) => calls.filter((c) => c === call).length,
  }
}

/** Runs a describe block twice: plain, and under StrictMode (double mount, double effects). */
export function describeEachReactMode(
  name: string,
  body: (Wrapper: typeof Fragment | typeof StrictMode) => void,
) {
  describe.each([
    ['plain', Fragment],
    ['StrictMode', StrictMode],
  ] as const)(`${name} (%s)`, (_mode, Wrapper) => body(Wrapper))
}
