// Identity you can trust, against the emulator (oidc-provider) misbehaving on purpose: every id_token check of
// OIDC Core §3.1.3.7 refuses its tampering with its own code, stores nothing and tells the browser in words; the
// nonce round trip; discovery (mismatch, outage, once per process); JWKS rotation; claims in /session; revocation
// at logout by default.
import type { IdTokenTamper } from '@jiko-auth/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, bodyOf, postFromPage, requestFrom, signIn, startApp, type TestApp } from './harness.js'

let app: TestApp
beforeAll(async () => {
  app = await startApp({ scopes: ['openid', 'profile', 'email', 'pockets.read'] })
})
afterAll(() => app.stop())

/** The system clock, moved on by hand: backoffs and cooldowns pass without waiting. */
function movableClock() {
  let offsetMs = 0
  return {
    now: () => Date.now() + offsetMs,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (id: ReturnType<typeof setTimeout>) => clearTimeout(id),
    advance(ms: number) {
      offsetMs += ms
    },
  }
}

/** A login up to the callback, which is not followed yet. */
async function pendingCallback(target: TestApp, browser = new Browser()) {
  const login = await browser.fetch(`${target.origin}/auth/login`)
  const authorize = new URL(login.headers.get('location') as string)
  const { url } = await browser.navigate(authorize.href, (u) =>
    u.startsWith(`${target.origin}/auth/callback`),
  )
  return { browser, authorize, callback: url }
}

describe('OIDC Core §3.1.3.7: a tampered id_token is refused, and nothing is stored', () => {
  it.each<[IdTokenTamper, string]>([
    ['badSignature', 'JIKO_ID_TOKEN_SIGNATURE'],
    ['algNone', 'JIKO_ID_TOKEN_SIGNATURE'],
    ['hs256', 'JIKO_ID_TOKEN_SIGNATURE'],
    ['wrongIssuer', 'JIKO_ID_TOKEN_ISSUER'],
    ['wrongAudience', 'JIKO_ID_TOKEN_AUDIENCE'],
    ['multipleAudiencesNoAzp', 'JIKO_ID_TOKEN_AUDIENCE'],
    ['expired', 'JIKO_ID_TOKEN_EXPIRED'],
    ['wrongNonce', 'JIKO_NONCE_MISMATCH'],
    ['missing', 'JIKO_ID_TOKEN_MISSING'],
  ])('%s → %s', async (kind, code) => {
    const sizeBefore = app.storage.size
    const { browser, callback } = await pendingCallback(app)
    app.emulator.faults.tamperIdToken(kind)
    const response = await browser.fetch(callback)
    // The browser is told in words, with the code.
    expect(response.status).toBe(502)
    const page = await response.text()
    expect(page).toContain(`<code>${code}</code>`)
    expect(page).toContain('could not be verified')
    // Nothing stored, no session cookie.
    expect(browser.cookiesFor(app.origin).has('jiko-session')).toBe(false)
    expect(app.storage.size).toBe(sizeBefore)
    expect(app.logs.some((line) => line.includes(code))).toBe(true)
  })

  it('"alg": "none" with sub "mallory", a foreign iss, another aud and exp 1 never makes a subject', async () => {
    for (const kind of ['algNone', 'wrongIssuer', 'wrongAudience', 'expired'] as const) {
      const { browser, callback } = await pendingCallback(app)
      app.emulator.faults.tamperIdToken(kind)
      await browser.fetch(callback)
      const session = await bodyOf(await browser.fetch(`${app.origin}/auth/session`))
      expect(session).toEqual({ state: 'idle', authenticated: false, scopes: [], expiresAt: null })
    }
  })
})

describe('OIDC Core §12.2: a refresh must keep the issuer and the user', () => {
  it('an id_token naming another sub at refresh fails the refresh, never becomes the user, and ends the session (its new refresh token revoked)', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const cookie = requestFrom(app, browser).headers.get('cookie') as string
    const sent = app.sentRefreshTokens.length
    const revoked = app.revokedTokens.length
    app.emulator.faults.tamperIdToken('otherSubject', { grant: 'refresh_token' })
    const refresh = await postFromPage(app, browser, 'refresh')
    expect(refresh.status).toBe(502)
    expect((await bodyOf(refresh)).error.code).toBe('JIKO_ID_TOKEN_SUBJECT_CHANGED')
    expect(refresh.headers.getSetCookie().join()).toMatch(/jiko-session=;.*Max-Age=0/)
    expect(app.sentRefreshTokens.length).toBe(sent + 1)
    // The refresh token Jiko rotated to (for "mallory") is not left live.
    expect(app.revokedTokens.slice(revoked)).toEqual([app.refreshTokens.at(-1)])
    // The session never became mallory's: it is over (its stored refresh token was spent).
    const after = await bodyOf(await fetch(`${app.origin}/auth/session`, { headers: { cookie } }))
    expect(after.authenticated).toBe(false)
  })

  it('a refresh whose id_token is valid keeps the user', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const refresh = await postFromPage(app, browser, 'refresh')
    expect(refresh.status).toBe(200)
    expect((await bodyOf(refresh)).user).toMatchObject({ sub: 'alice', name: 'Alice Martin' })
  })
})

describe('nonce', () => {
  it('is sent with every openid login, differs from the state, and comes back in the id_token', async () => {
    const { browser, authorize, callback } = await pendingCallback(app)
    const nonce = authorize.searchParams.get('nonce')
    expect(nonce).toMatch(/^[\w-]{43}$/)
    expect(nonce).not.toBe(authorize.searchParams.get('state'))
    expect((await browser.fetch(callback)).status).toBe(303)
    const { authorize: second } = await pendingCallback(app)
    expect(second.searchParams.get('nonce')).not.toBe(nonce)
  })

  it('is not sent without openid, and there is then no identity (sub is never read from the access token)', async () => {
    const plain = await startApp({ scopes: ['pockets.read'] })
    try {
      const { browser, authorize, callback } = await pendingCallback(plain)
      expect(authorize.searchParams.has('nonce')).toBe(false)
      expect((await browser.fetch(callback)).status).toBe(303)
      const session = await bodyOf(await browser.fetch(`${plain.origin}/auth/session`))
      expect(session.authenticated).toBe(true)
      expect(session).not.toHaveProperty('user')
      expect(session).not.toHaveProperty('subject')
    } finally {
      await plain.stop()
    }
  })
})

describe('claims in the session', () => {
  it('GET /session and getSession() answer who signed in, as granted, and never a token', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const response = await browser.fetch(`${app.origin}/auth/session`)
    const session = await bodyOf(response)
    expect(session).toEqual({
      state: 'authenticated',
      authenticated: true,
      scopes: ['pockets.read'],
      expiresAt: expect.any(Number),
      user: { sub: 'alice', name: 'Alice Martin', email: 'alice@example.test', email_verified: true },
      subject: 'alice',
    })
    const text = JSON.stringify(session)
    for (const secret of app.secrets) expect(text.includes(secret)).toBe(false)
  })
})

describe('discovery', () => {
  it('fetches the metadata once per process, lazily', async () => {
    const fresh = await startApp()
    try {
      expect(fresh.emulator.stats.discoveryRequests).toBe(0)
      await signIn(fresh, new Browser())
      await signIn(fresh, new Browser())
      expect(fresh.emulator.stats.discoveryRequests).toBe(1)
    } finally {
      await fresh.stop()
    }
  })

  it('metadata naming another issuer: a typed error naming the URL and what differed, not a browser 404', async () => {
    const mismatched = await startApp()
    try {
      mismatched.emulator.faults.discovery({ type: 'issuer', issuer: 'https://evil.example' })
      const login = await new Browser().fetch(`${mismatched.origin}/auth/login`)
      expect(login.status).toBe(502)
      expect((await bodyOf(login)).error.code).toBe('JIKO_DISCOVERY_FAILED')
      const logged = mismatched.logs.find((line) => line.includes('JIKO_DISCOVERY_FAILED')) ?? ''
      expect(logged).toContain(`${mismatched.emulator.issuer}/.well-known/openid-configuration`)
      expect(logged).toContain('https://evil.example')
    } finally {
      await mismatched.stop()
    }
  })

  it('an outage: a typed error at once, no request during the backoff, and sign-in works once it is over', async () => {
    const clock = movableClock()
    const outage = await startApp({ clock })
    try {
      outage.emulator.faults.discovery({ type: 'status', status: 503 })
      const first = await new Browser().fetch(`${outage.origin}/auth/login`)
      expect((await bodyOf(first)).error.code).toBe('JIKO_DISCOVERY_FAILED')
      expect(outage.logs.some((line) => line.includes('answered HTTP 503'))).toBe(true)
      const again = await new Browser().fetch(`${outage.origin}/auth/login`)
      expect((await bodyOf(again)).error.code).toBe('JIKO_DISCOVERY_FAILED')
      expect(outage.emulator.stats.discoveryRequests).toBe(1)
      outage.emulator.faults.discovery(undefined)
      clock.advance(1500)
      expect(await signIn(outage, new Browser())).toBe(`${outage.origin}/`)
      expect(outage.emulator.stats.discoveryRequests).toBe(2)
    } finally {
      await outage.stop()
    }
  })

  it('a dropped connection is the same typed error', async () => {
    const dropped = await startApp()
    try {
      dropped.emulator.faults.discovery({ type: 'drop' })
      const login = await new Browser().fetch(`${dropped.origin}/auth/login`)
      expect((await bodyOf(login)).error.code).toBe('JIKO_DISCOVERY_FAILED')
    } finally {
      await dropped.stop()
    }
  })
})

describe('JWKS', () => {
  it('a key rotated at the server is fetched once its cooldown has passed, then cached', async () => {
    const clock = movableClock()
    const rotating = await startApp({ scopes: ['openid', 'pockets.read'], clock })
    try {
      await signIn(rotating, new Browser())
      expect(rotating.emulator.stats.jwksRequests).toBe(1)
      await rotating.emulator.rotateSigningKey()
      // Within the cooldown an unknown kid is refused without a request: no storm reaches the server.
      const { browser, callback } = await pendingCallback(rotating)
      expect(await (await browser.fetch(callback)).text()).toContain('JIKO_ID_TOKEN_SIGNATURE')
      expect(rotating.emulator.stats.jwksRequests).toBe(1)
      clock.advance(31_000)
      expect(await signIn(rotating, new Browser())).toBe(`${rotating.origin}/`)
      expect(await signIn(rotating, new Browser())).toBe(`${rotating.origin}/`)
      expect(rotating.emulator.stats.jwksRequests).toBe(2)
    } finally {
      await rotating.stop()
    }
  })
})

describe('sign-out ends everything', () => {
  it('revokes the refresh token at the revocation endpoint from the metadata, with no revocationEndpoint set', async () => {
    const plain = await startApp({ revocationEndpoint: undefined })
    try {
      const browser = new Browser()
      await signIn(plain, browser)
      plain.emulator.stats.reset()
      expect((await postFromPage(plain, browser, 'logout')).status).toBe(200)
      expect(plain.emulator.stats.revocations).toBe(1)
    } finally {
      await plain.stop()
    }
  })
})

describe('onSession: the app’s own fields in session.user', () => {
  it('adds them at sign-in and after each refresh; sub stays the id_token’s; a failing hook at refresh keeps them', async () => {
    const events: string[] = []
    let fail = false
    const hooked = await startApp({
      scopes: ['openid', 'profile', 'pockets.read'],
      onSession: ({ reason, user, tokens }) => {
        events.push(`${reason} ${user?.sub} ${typeof tokens.accessToken}`)
        if (fail) throw new Error('the roles service is down')
        return { roles: ['admin'], refreshes: events.length - 1, sub: 'mallory' }
      },
    })
    try {
      const browser = new Browser()
      await signIn(hooked, browser)
      const session = await bodyOf(await browser.fetch(`${hooked.origin}/auth/session`))
      expect(session.user).toEqual({ sub: 'alice', name: 'Alice Martin', roles: ['admin'], refreshes: 0 })
      expect((await bodyOf(await postFromPage(hooked, browser, 'refresh'))).user.refreshes).toBe(1)
      fail = true
      const refreshed = await postFromPage(hooked, browser, 'refresh')
      expect(refreshed.status).toBe(200)
      expect((await bodyOf(refreshed)).user).toMatchObject({ roles: ['admin'], refreshes: 1 })
      expect(events).toEqual(['signIn alice string', 'refresh alice string', 'refresh alice string'])
    } finally {
      await hooked.stop()
    }
  })

  it('a hook that returns something that is not a small JSON object fails the sign-in, and nothing is stored', async () => {
    const hooked = await startApp({ onSession: () => ({ blob: 'x'.repeat(5000) }) })
    try {
      const sizeBefore = hooked.storage.size
      const { browser, callback } = await pendingCallback(hooked)
      const response = await browser.fetch(callback)
      expect(await response.text()).toContain('JIKO_CONFIG_INVALID')
      expect(hooked.storage.size).toBe(sizeBefore)
    } finally {
      await hooked.stop()
    }
  })
})

describe('RP-initiated logout (idpLogout, opt-in)', () => {
  it('logout answers the end-session URL of the metadata, with client_id and no token; Jiko accepts it', async () => {
    const back = 'http://localhost:3000/signed-out'
    const ending = await startApp({
      idpLogout: { postLogoutRedirectUri: back },
      registration: { postLogoutRedirectUris: [back] },
    })
    try {
      const browser = new Browser()
      await signIn(ending, browser)
      const logout = await postFromPage(ending, browser, 'logout')
      const { endSessionUrl, authenticated } = await bodyOf(logout)
      expect(authenticated).toBe(false)
      const url = new URL(endSessionUrl)
      expect(`${url.origin}${url.pathname}`).toBe(`${ending.emulator.issuer}/api/oauth2/logout`)
      expect(Object.fromEntries(url.searchParams)).toEqual({
        client_id: 'app',
        post_logout_redirect_uri: back,
      })
      for (const secret of ending.secrets) expect(endSessionUrl.includes(secret)).toBe(false)
      // The emulator (oidc-provider) takes it: its logout confirmation page.
      const page = await browser.fetch(endSessionUrl)
      expect(page.status).toBe(200)
      // A page navigation (a form POST) is sent there directly.
      await signIn(ending, browser)
      const request = requestFrom(ending, browser, '/auth/logout')
      const headers = new Headers(request.headers)
      headers.set('origin', ending.origin)
      headers.set('sec-fetch-mode', 'navigate')
      const navigated = await ending.auth.handler(new Request(request.url, { method: 'POST', headers }))
      expect(navigated.status).toBe(303)
      expect(navigated.headers.get('location')).toBe(endSessionUrl)
    } finally {
      await ending.stop()
    }
  })

  it('is off by default: logout answers no end-session URL', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    expect(await bodyOf(await postFromPage(app, browser, 'logout'))).not.toHaveProperty('endSessionUrl')
  })
})

describe('a scope Jiko does not know', () => {
  it('is warned about at start; if the server ignores it, a route that needs it says it is missing', async () => {
    const typo = await startApp({ scopes: ['openid', 'pockets.raed'] })
    try {
      expect(
        typo.logs.some((line) => line.includes("pockets.raed is not among Jiko's documented scopes")),
      ).toBe(true)
      const browser = new Browser()
      await signIn(typo, browser)
      const guarded = (await typo.auth.protect(requestFrom(typo, browser), {
        scopes: ['pockets.raed'],
      })) as Response
      expect(guarded.status).toBe(403)
      expect((await bodyOf(guarded)).error.message).toBe('This needs the scope pockets.raed')
    } finally {
      await typo.stop()
    }
  })
})
