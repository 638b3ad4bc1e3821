// One named test per client requirement of RFC 9700 (OAuth 2.0 Security BCP) and of Jiko's rules, against the
// emulator. docs/security.md maps each threat to these names.
import { createHash } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deriveKey, openRecord } from '../src/sealRecord.js'
import {
  Browser,
  bodyOf,
  postFromPage,
  requestFrom,
  SECRET,
  signIn,
  startApp,
  type TestApp,
} from './harness.js'

let app: TestApp
beforeAll(async () => {
  app = await startApp()
})
afterAll(() => app.stop())

const toCallback = (u: string) => u.startsWith(`${app.origin}/auth/callback`)

async function pendingCallback(browser: Browser) {
  const login = await browser.fetch(`${app.origin}/auth/login`)
  return {
    login,
    callback: (await browser.navigate(login.headers.get('location') as string, toCallback)).url,
  }
}

describe('RFC 9700 client requirements', () => {
  it('§2.1.1 PKCE: every authorization request carries an S256 challenge; plain is never sent', async () => {
    const { login } = await pendingCallback(new Browser())
    const url = new URL(login.headers.get('location') as string)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
  })

  it('§4.7.1 state: single-use and bound to the browser that started the login', async () => {
    const browser = new Browser()
    const { callback } = await pendingCallback(browser)
    const other = await new Browser().fetch(callback)
    expect(await other.text()).toContain('JIKO_STATE_MISMATCH')
    const saved = new Map(browser.cookiesFor(app.origin))
    expect((await browser.fetch(callback)).status).toBe(303)
    browser.jar.set(new URL(app.origin).host, saved)
    expect(await (await browser.fetch(callback)).text()).toContain('JIKO_TRANSACTION_EXPIRED')
  })

  it('§2.1 exact redirect_uri: the registered one, byte for byte; another is refused by the server', async () => {
    const { login } = await pendingCallback(new Browser())
    const url = new URL(login.headers.get('location') as string)
    expect(url.searchParams.get('redirect_uri')).toBe(`${app.origin}/auth/callback`)
    url.searchParams.set('redirect_uri', `${app.origin}/auth/callback?x=1`)
    const response = await fetch(url, { redirect: 'manual' })
    expect(response.status).toBe(400)
  })

  it('§4.2.4 the authorization code is never logged, kept after the exchange, or stored', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const code = app.codes.at(-1) as string
    expect(code).toBeTruthy()
    expect(app.logs.join('\n')).not.toContain(code)
    const id = decodeURIComponent(browser.cookiesFor(app.origin).get('jiko-session') as string).split(
      '.',
    )[0] as string
    const key = `jiko:session:${createHash('sha256').update(id).digest('base64url')}`
    const sealed = (await app.storage.get(key)) as string
    const record = await openRecord<unknown>(deriveKey(SECRET, 'session-encryption'), key, sealed)
    expect(record).toBeDefined()
    expect(JSON.stringify(record)).not.toContain(code)
  })

  it('§4.3 tokens never travel in a URL or to the browser', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    await postFromPage(app, browser, 'refresh')
    await browser.fetch(`${app.origin}/auth/session`)
    const toBrowser = browser.seen.filter((r) => r.url.startsWith(app.origin))
    const text = toBrowser.map((r) => `${r.url}\n${r.headers}\n${r.body}`).join('\n')
    // The code does pass through the browser (that is the code flow); tokens, verifiers and assertions never do.
    const secrets = [...app.secrets].filter((s) => !app.codes.includes(s))
    expect(secrets.length).toBeGreaterThan(3)
    for (const secret of secrets) expect(text.includes(secret)).toBe(false)
  })

  it('RFC 9207 iss: a callback naming another issuer is refused before any token request', async () => {
    const browser = new Browser()
    const url = new URL((await pendingCallback(browser)).callback)
    expect(url.searchParams.get('iss')).toBe(app.emulator.issuer)
    url.searchParams.set('iss', 'https://evil.example')
    app.emulator.stats.reset()
    expect(await (await browser.fetch(url.href)).text()).toContain('JIKO_ISSUER_MISMATCH')
    expect(app.emulator.stats.tokenRequests).toBe(0)
  })

  it('RFC 9207 iss: compared exactly, so the issuer with a trailing slash is refused', async () => {
    const browser = new Browser()
    const url = new URL((await pendingCallback(browser)).callback)
    url.searchParams.set('iss', `${app.emulator.issuer}/`)
    app.emulator.stats.reset()
    expect(await (await browser.fetch(url.href)).text()).toContain('JIKO_ISSUER_MISMATCH')
    expect(app.emulator.stats.tokenRequests).toBe(0)
  })

  it('RFC 9207 §2.4: the server advertises iss in its metadata, so a callback without it is refused', async () => {
    const browser = new Browser()
    const url = new URL((await pendingCallback(browser)).callback)
    url.searchParams.delete('iss')
    app.emulator.stats.reset()
    expect(await (await browser.fetch(url.href)).text()).toContain('JIKO_ISSUER_MISMATCH')
    expect(app.emulator.stats.tokenRequests).toBe(0)
  })

  it.each([
    ['accepted when nothing says the server sends iss (Jiko’s documented callback has none)', {}, true],
    [
      'refused when the configuration says it does',
      { authorizationResponseIssParameterSupported: true },
      false,
    ],
  ])('RFC 9207 without discovery: a callback without iss is %s', async (_name, settings, accepted) => {
    const other = await startApp({ discovery: false, ...settings })
    try {
      const browser = new Browser()
      const login = await browser.fetch(`${other.origin}/auth/login`)
      const { url } = await browser.navigate(login.headers.get('location') as string, (u) =>
        u.startsWith(`${other.origin}/auth/callback`),
      )
      const withoutIss = new URL(url)
      withoutIss.searchParams.delete('iss')
      const callback = await browser.fetch(withoutIss.href)
      if (accepted) {
        expect(callback.headers.get('location')).toBe('/')
      } else {
        expect(await callback.text()).toContain('JIKO_ISSUER_MISMATCH')
        expect(other.emulator.stats.tokenRequests).toBe(0)
      }
    } finally {
      await other.stop()
    }
  })

  it('§4.14.2 refresh-token rotation honoured: the new token is kept, the old one is never sent again', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const refresh = () => postFromPage(app, browser, 'refresh')
    const sentBefore = app.sentRefreshTokens.length
    const issuedAtLogin = app.refreshTokens.at(-1)
    expect((await refresh()).status).toBe(200)
    const rotated = app.refreshTokens.at(-1)
    expect(rotated).not.toBe(issuedAtLogin)
    expect((await refresh()).status).toBe(200)
    // Each refresh sent the newest token it had been given, and no token twice.
    expect(app.sentRefreshTokens.slice(sentBefore)).toEqual([issuedAtLogin, rotated])
    expect(new Set(app.sentRefreshTokens).size).toBe(app.sentRefreshTokens.length)
  })

  it('§4.11 no open redirect: returnTo stays on this site', async () => {
    expect(await signIn(app, new Browser(), 'https://evil.example/phish')).toBe(`${app.origin}/`)
    expect(await signIn(app, new Browser(), '//evil.example')).toBe(`${app.origin}/`)
  })

  it('§4.16 cookies: HttpOnly, SameSite=Lax, Path=/; the session cookie holds only a signed id', async () => {
    const browser = new Browser()
    const login = await browser.fetch(`${app.origin}/auth/login`)
    const { url } = await browser.navigate(login.headers.get('location') as string, toCallback)
    const callback = await browser.fetch(url)
    const session = callback.headers.getSetCookie().find((c) => c.startsWith('jiko-session=')) ?? ''
    for (const attribute of [/HttpOnly/, /SameSite=Lax/, /Path=\//, /Max-Age=\d+/])
      expect(session).toMatch(attribute)
    // The value is a random id and its HMAC, nothing else: no token, no claim.
    const value = decodeURIComponent(session.slice('jiko-session='.length).split(';')[0] as string)
    expect(value).toMatch(/^[\w-]{43}\.[\w+/]{43}$/)
    for (const secret of app.secrets) expect(value.includes(secret)).toBe(false)
    const response = await postFromPage(app, browser, 'logout')
    const cleared = response.headers.getSetCookie()[0] ?? ''
    expect(cleared).toMatch(/HttpOnly/)
    expect(cleared).toMatch(/SameSite=Lax/)
    expect(cleared).toMatch(/Path=\//)
  })

  it('§4.4 CSRF: every state-changing endpoint refuses another origin, and GET cannot change state', async () => {
    for (const path of ['/auth/callback', '/auth/refresh', '/auth/logout']) {
      const foreign = await fetch(`${app.origin}${path}`, {
        method: 'POST',
        headers: { origin: 'https://evil.example' },
      })
      expect(foreign.status, path).toBe(403)
      expect((await bodyOf(foreign)).error.code).toBe('JIKO_FORBIDDEN_ORIGIN')
    }
    expect((await fetch(`${app.origin}/auth/logout`)).status).toBe(405)
    expect((await fetch(`${app.origin}/auth/refresh`)).status).toBe(405)
  })

  it('§4.1 session fixation: the session id is new at every login', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const first = browser.cookiesFor(app.origin).get('jiko-session')
    await signIn(app, browser)
    expect(browser.cookiesFor(app.origin).get('jiko-session')).not.toBe(first)
    const stale = new Request(`${app.origin}/`, { headers: { cookie: `jiko-session=${first}` } })
    expect((await app.auth.getSession(stale)).authenticated).toBe(false)
    expect((await app.auth.getSession(requestFrom(app, browser))).authenticated).toBe(true)
  })
})

describe('Jiko rules', () => {
  it('client_assertion: iss = sub = client_id, aud = the token endpoint, exp ≤ iat + 300, unique jti, PS256', async () => {
    await signIn(app, new Browser())
    const assertions = app.assertions.filter(Boolean)
    expect(assertions.length).toBeGreaterThan(0)
    const jtis = new Set<unknown>()
    for (const assertion of assertions) {
      expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'PS256', typ: 'JWT' })
      const claims = decodeJwt(assertion)
      expect(claims).toMatchObject({ iss: 'app', sub: 'app', aud: app.emulator.tokenEndpoint })
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(300)
      jtis.add(claims.jti)
    }
    expect(jtis.size).toBe(assertions.length)
  })
})
