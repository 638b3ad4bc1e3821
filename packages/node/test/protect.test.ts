// Route protection: auth.protect (Fetch), requireAuth (Express), requireAuthHono and protectNode (node:http), each
// against the real app and emulator: the session through, 401 for an API, 303 to login for a page (and back), 403
// without a scope.
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ProtectedSession, protectNode, requireAuth, requireAuthHono } from '../src/index.js'
import { Browser, bodyOf, requestFrom, signIn, startApp, type TestApp } from './harness.js'

let app: TestApp
let cookie: string
beforeAll(async () => {
  app = await startApp()
  const browser = new Browser()
  await signIn(app, browser)
  cookie = requestFrom(app, browser).headers.get('cookie') as string
})
afterAll(() => app.stop())

describe('auth.protect', () => {
  it('lets a signed-in session through, with who signed in and never a token', async () => {
    const session = await app.auth.protect(new Request(`${app.origin}/api/x`, { headers: { cookie } }))
    expect(session).not.toBeInstanceOf(Response)
    expect(session).toMatchObject({ authenticated: true, user: { sub: 'alice' }, scopes: ['pockets.read'] })
    expect(JSON.stringify(session)).not.toMatch(/"(access|refresh)Token"/)
  })

  it('without a session: 401 JSON for an API, a 303 to login that comes back for a page', async () => {
    const api = await app.auth.protect(new Request(`${app.origin}/api/x`))
    expect(api).toBeInstanceOf(Response)
    expect((api as Response).status).toBe(401)
    expect((await bodyOf(api as Response)).error.code).toBe('JIKO_UNAUTHENTICATED')
    const page = (await app.auth.protect(new Request(`${app.origin}/account?tab=2`), {
      mode: 'page',
    })) as Response
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toBe(
      `${app.origin}/auth/login?returnTo=${encodeURIComponent('/account?tab=2')}`,
    )
    // Following it signs in and lands on the page asked for.
    const browser = new Browser()
    const { url } = await browser.navigate(page.headers.get('location') as string, (u) =>
      u.startsWith(`${app.origin}/account`),
    )
    expect(url).toBe(`${app.origin}/account?tab=2`)
  })

  it('sends a page to the login of the app’s own origin, whatever Host the request claims', async () => {
    const forged = (await app.auth.protect(new Request('http://evil.example/account'), {
      mode: 'page',
    })) as Response
    expect(forged.headers.get('location')).toBe(`${app.origin}/auth/login?returnTo=%2Faccount`)
  })

  it('403 JIKO_INSUFFICIENT_SCOPE naming the scope the session lacks', async () => {
    const denied = (await app.auth.protect(new Request(`${app.origin}/api/x`, { headers: { cookie } }), {
      scopes: ['pockets.read', 'transfers.write'],
    })) as Response
    expect(denied.status).toBe(403)
    const { error } = await bodyOf(denied)
    expect(error).toMatchObject({
      code: 'JIKO_INSUFFICIENT_SCOPE',
      message: 'This needs the scope transfers.write',
    })
  })
})

describe('the middleware', () => {
  let server: Server | undefined
  afterAll(() => server?.close())

  async function listen(handler: RequestListener) {
    server?.close()
    server = createServer(handler)
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  it('Express: requireAuth puts the session on the request, or answers 401', async () => {
    const site = express()
    site.get('/api/me', requireAuth(app.auth), (_req, res) => {
      res.json({ name: res.locals.jikoSession.user?.sub })
    })
    const base = await listen(site as unknown as RequestListener)
    expect(await bodyOf(await fetch(`${base}/api/me`, { headers: { cookie } }))).toEqual({ name: 'alice' })
    expect((await fetch(`${base}/api/me`)).status).toBe(401)
  })

  it('Hono: requireAuthHono sets jikoSession, or answers with the guard’s Response', async () => {
    const site = new Hono<{ Variables: { jikoSession: ProtectedSession } }>()
    site.use('/app/*', requireAuthHono(app.auth, { mode: 'page' }))
    site.get('/app/home', (c) => c.json({ name: c.get('jikoSession').user?.sub }))
    const ok = await site.request(`${app.origin}/app/home`, { headers: { cookie } })
    expect(await bodyOf(ok)).toEqual({ name: 'alice' })
    const anonymous = await site.request(`${app.origin}/app/home`)
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe(`${app.origin}/auth/login?returnTo=%2Fapp%2Fhome`)
  })

  it('node:http: protectNode answers for the route, or gives the session', async () => {
    const base = await listen(async (req, res) => {
      const session = await protectNode(app.auth, req, res, { scopes: ['pockets.read'] })
      if (!session) return
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ scopes: session.scopes }))
    })
    expect(await bodyOf(await fetch(`${base}/x`, { headers: { cookie } }))).toEqual({
      scopes: ['pockets.read'],
    })
    expect((await fetch(`${base}/x`)).status).toBe(401)
  })
})
