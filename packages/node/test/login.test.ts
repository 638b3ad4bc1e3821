import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, bodyOf, signIn, startApp, type TestApp } from './harness.js'

let app: TestApp
beforeAll(async () => {
  app = await startApp()
})
afterAll(() => app.stop())

const get = (browser: Browser, path: string) => browser.fetch(`${app.origin}${path}`)

describe('login', () => {
  it('signs in through the emulator and lands on returnTo with only a session cookie', async () => {
    const browser = new Browser()
    expect(await signIn(app, browser, '/accounts?tab=2')).toBe(`${app.origin}/accounts?tab=2`)
    const cookies = browser.cookiesFor(app.origin)
    expect([...cookies.keys()]).toEqual(['jiko-session'])
    const session = await (await get(browser, '/auth/session')).json()
    expect(session).toEqual({
      state: 'authenticated',
      authenticated: true,
      scopes: ['pockets.read'],
      expiresAt: expect.any(Number),
      user: { sub: 'alice' },
      subject: 'alice',
    })
  })

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/ (not Secure on http://localhost)', async () => {
    const browser = new Browser()
    const login = await get(browser, '/auth/login')
    expect(login.status).toBe(303)
    const tx = login.headers.getSetCookie()[0] ?? ''
    expect(tx).toMatch(/^jiko-tx-[\w-]{16}=/)
    expect(tx).toMatch(/HttpOnly/)
    expect(tx).toMatch(/SameSite=Lax/)
    expect(tx).toMatch(/Path=\//)
    expect(tx).toMatch(/Max-Age=600/)
    expect(tx).not.toMatch(/Secure/)
    const { url } = await browser.navigate(login.headers.get('location') as string, (u) =>
      u.startsWith(`${app.origin}/auth/callback`),
    )
    const [clearedTx, session = ''] = (await browser.fetch(url)).headers.getSetCookie()
    expect(clearedTx).toMatch(/^jiko-tx-[\w-]{16}=; Max-Age=0/)
    expect(session).toMatch(/^jiko-session=/)
    for (const attribute of [/HttpOnly/, /SameSite=Lax/, /Path=\//]) expect(session).toMatch(attribute)
    expect(session).not.toMatch(/Secure/)
  })

  it('completes two logins started in parallel in one browser (two tabs)', async () => {
    const browser = new Browser()
    const first = await get(browser, '/auth/login?returnTo=/one')
    const second = await get(browser, '/auth/login?returnTo=/two')
    const toCallback = (u: string) => u.startsWith(`${app.origin}/auth/callback`)
    const callbackOne = (await browser.navigate(first.headers.get('location') as string, toCallback)).url
    const callbackTwo = (await browser.navigate(second.headers.get('location') as string, toCallback)).url
    const two = await browser.fetch(callbackTwo)
    const one = await browser.fetch(callbackOne)
    expect([two.status, two.headers.get('location')]).toEqual([303, '/two'])
    expect([one.status, one.headers.get('location')]).toEqual([303, '/one'])
    expect((await bodyOf(await get(browser, '/auth/session'))).authenticated).toBe(true)
  })

  it('rotates the session id at login (session fixation), and revokes the replaced session', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const before = browser.cookiesFor(app.origin).get('jiko-session')
    const oldCookie = `jiko-session=${before}`
    const replacedRefreshToken = app.refreshTokens.at(-1)
    const revokedBefore = app.revokedTokens.length
    await signIn(app, browser)
    const after = browser.cookiesFor(app.origin).get('jiko-session')
    expect(after).not.toBe(before)
    const stale = await fetch(`${app.origin}/auth/session`, { headers: { cookie: oldCookie } })
    expect((await bodyOf(stale)).authenticated).toBe(false)
    expect(app.revokedTokens.slice(revokedBefore)).toEqual([replacedRefreshToken])
  })

  it.each([
    ['an absolute URL', 'https://evil.example/'],
    ['a scheme-relative URL', '//evil.example/x'],
    ['a backslash', '/\\evil.example'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a dot segment', '/.//evil.example'],
    ['a parent segment', '/..//evil.example'],
    ['a segment and its parent', '/a/..//evil.example'],
    ['an encoded dot segment', '/%2e//evil.example'],
    ['an encoded parent segment', '/%2E%2E//evil.example'],
    ['a tab the parser strips', '/\t/evil.example'],
    ['15,000 characters', `/${'a'.repeat(15_000)}`],
  ])('never redirects off-site: returnTo with %s lands on "/"', async (_name, hostile) => {
    const browser = new Browser()
    const login = await get(browser, `/auth/login?returnTo=${encodeURIComponent(hostile)}`)
    const { url } = await browser.navigate(login.headers.get('location') as string, (u) =>
      u.startsWith(`${app.origin}/auth/callback`),
    )
    const callback = await browser.fetch(url)
    expect(callback.status).toBe(303)
    // Exactly what the browser is told to follow.
    expect(callback.headers.get('location')).toBe('/')
  })

  it('a session cookie planted beside ours (e.g. by a sibling subdomain) neither signs the user out nor in', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const ours = browser.cookiesFor(app.origin).get('jiko-session') as string
    const planted = `${'x'.repeat(43)}.${'y'.repeat(43)}`
    const sessionWith = async (cookie: string) =>
      (await bodyOf(await fetch(`${app.origin}/auth/session`, { headers: { cookie } }))).authenticated
    expect(await sessionWith(`jiko-session=${planted}; jiko-session=${ours}`)).toBe(true)
    expect(await sessionWith(`jiko-session=${ours}; jiko-session=${planted}`)).toBe(true)
    expect(await sessionWith(`jiko-session=${planted}`)).toBe(false)
    const token = await app.auth.getAccessToken(
      new Request(app.origin, { headers: { cookie: `jiko-session=${planted}; jiko-session=${ours}` } }),
    )
    expect(token).toEqual(expect.any(String))
  })

  it('a login binding cookie planted beside ours does not break the callback', async () => {
    const browser = new Browser()
    const login = await get(browser, '/auth/login?returnTo=/planted')
    const { url } = await browser.navigate(login.headers.get('location') as string, (u) =>
      u.startsWith(`${app.origin}/auth/callback`),
    )
    const cookies = browser.cookiesFor(app.origin)
    const [name, value] = [...cookies].find(([n]) => n.startsWith('jiko-tx-')) as [string, string]
    const callback = await fetch(url, {
      headers: { cookie: `${name}=${'x'.repeat(43)}.${'y'.repeat(43)}; ${name}=${value}` },
      redirect: 'manual',
    })
    expect(callback.status).toBe(303)
    expect(callback.headers.get('location')).toBe('/planted')
  })
})

describe('callback errors: a clear page with the typed code, never a 5xx, no token request', () => {
  async function pendingCallback(browser: Browser) {
    const login = await get(browser, '/auth/login')
    return (
      await browser.navigate(login.headers.get('location') as string, (u) =>
        u.startsWith(`${app.origin}/auth/callback`),
      )
    ).url
  }

  async function expectRefused(response: Response, code: string) {
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toMatch(/text\/html/)
    // Every HTML answer: not sniffed, not framed, no referrer (the URL held a code), no script.
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/)
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/)
    expect(await response.text()).toContain(`<code>${code}</code>`)
  }

  it('a tampered state', async () => {
    const browser = new Browser()
    const url = new URL(await pendingCallback(browser))
    url.searchParams.set('state', `${url.searchParams.get('state')}x`)
    app.emulator.stats.reset()
    await expectRefused(await browser.fetch(url.href), 'JIKO_STATE_MISMATCH')
    expect(app.emulator.stats.tokenRequests).toBe(0)
  })

  it('a missing state', async () => {
    const browser = new Browser()
    const url = new URL(await pendingCallback(browser))
    url.searchParams.delete('state')
    await expectRefused(await browser.fetch(url.href), 'JIKO_CALLBACK_INVALID')
  })

  it('a callback replayed in another browser, and replayed in the same one', async () => {
    const alice = new Browser()
    const url = await pendingCallback(alice)
    app.emulator.stats.reset()
    await expectRefused(await new Browser().fetch(url), 'JIKO_STATE_MISMATCH')
    expect(app.emulator.stats.tokenRequests).toBe(0)
    expect((await alice.fetch(url)).status).toBe(303)
    expect(app.emulator.stats.tokenRequests).toBe(1)
  })

  it('a transaction used twice (same browser, cookie kept)', async () => {
    const browser = new Browser()
    const url = await pendingCallback(browser)
    const saved = new Map(browser.cookiesFor(app.origin))
    expect((await browser.fetch(url)).status).toBe(303)
    browser.jar.set(new URL(app.origin).host, saved)
    app.emulator.stats.reset()
    await expectRefused(await browser.fetch(url), 'JIKO_TRANSACTION_EXPIRED')
    expect(app.emulator.stats.tokenRequests).toBe(0)
  })

  it('access_denied from the consent page', async () => {
    app.emulator.setHeadless(false)
    try {
      const browser = new Browser()
      const login = await get(browser, '/auth/login')
      const callback = await app.emulator.signIn(login.headers.get('location') as string, {
        decision: 'deny',
      })
      const response = await browser.fetch(callback)
      expect(response.status).toBe(400)
      const html = await response.text()
      expect(html).toContain('<code>JIKO_AUTHORIZATION_ERROR</code>')
      expect(html).toContain('access_denied')
      expect(html).toContain('Sign-in was cancelled')
    } finally {
      app.emulator.setHeadless('alice')
    }
  })
})

describe('SPA callback (POST JSON)', () => {
  it('exchanges the code posted by the page and answers the session as JSON', async () => {
    const browser = new Browser()
    const login = await get(browser, '/auth/login?returnTo=/spa')
    const callback = new URL(
      (
        await browser.navigate(login.headers.get('location') as string, (u) =>
          u.startsWith(`${app.origin}/auth/callback`),
        )
      ).url,
    )
    const response = await browser.fetch(`${app.origin}/auth/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.origin },
      body: JSON.stringify(Object.fromEntries(callback.searchParams)),
    })
    expect(response.status).toBe(200)
    const body = await bodyOf(response)
    expect(body).toMatchObject({ returnTo: '/spa', session: { authenticated: true, subject: 'alice' } })
  })

  it('refuses a foreign origin and a malformed body with typed JSON errors', async () => {
    const browser = new Browser()
    const foreign = await browser.fetch(`${app.origin}/auth/callback`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: '{}',
    })
    expect(foreign.status).toBe(403)
    expect((await bodyOf(foreign)).error.code).toBe('JIKO_FORBIDDEN_ORIGIN')
    const malformed = await browser.fetch(`${app.origin}/auth/callback`, { method: 'POST', body: '[1]' })
    expect(malformed.status).toBe(400)
    expect((await bodyOf(malformed)).error.code).toBe('JIKO_CALLBACK_INVALID')
  })
})

describe('routes', () => {
  it('answers 404 and 405 with typed JSON', async () => {
    const browser = new Browser()
    expect((await get(browser, '/auth/nope')).status).toBe(404)
    expect((await get(browser, '/auth/logout')).status).toBe(405)
  })

  it('GET /session without a session is idle', async () => {
    expect(await (await get(new Browser(), '/auth/session')).json()).toEqual({
      state: 'idle',
      authenticated: false,
      scopes: [],
      expiresAt: null,
    })
  })
})
