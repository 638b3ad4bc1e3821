import { type AuthStore, ErrorCode, JikoAuthError } from '@jiko-auth/core'
import { memoryStorage } from '@jiko-auth/storage-memory'
import { afterEach, describe, expect, it } from 'vitest'
import { SimulatedClock } from 'xstate'
import { Browser, bodyOf, postFromPage, requestFrom, signIn, startApp, type TestApp } from './harness.js'

let app: TestApp | undefined
afterEach(async () => {
  await app?.stop()
  app = undefined
})

async function failure(promise: Promise<unknown>): Promise<JikoAuthError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(JikoAuthError)
  return error as JikoAuthError
}

describe('getAccessToken', () => {
  it('returns the stored token while fresh, refreshes ahead of expiry, again after rotation (simulated clock)', async () => {
    const clock = new SimulatedClock()
    clock.set(Date.now())
    app = await startApp({ clock })
    const browser = new Browser()
    await signIn(app, browser)
    const request = () => requestFrom(app as TestApp, browser)
    app.emulator.stats.reset()

    const first = await app.auth.getAccessToken(request())
    clock.increment(839_000) // 900 s token, 60 s leeway: still fresh
    expect(await app.auth.getAccessToken(request())).toBe(first)
    expect(app.emulator.stats.grants.refresh_token).toBeUndefined()

    clock.increment(2_000)
    const second = await app.auth.getAccessToken(request())
    expect(second).not.toBe(first)
    expect(app.emulator.stats.grants.refresh_token).toBe(1)

    clock.increment(841_000) // the rotated refresh token is the one used now
    const third = await app.auth.getAccessToken(request())
    expect(third).not.toBe(second)
    expect(app.emulator.stats.grants.refresh_token).toBe(2)
    const session = await app.auth.getSession(request())
    expect(session.expiresAt).toBe(clock.now() + 900_000)
  })

  it('100 concurrent callers on one expired session: exactly one refresh grant, one new token', async () => {
    const clock = new SimulatedClock()
    clock.set(Date.now())
    app = await startApp({ clock })
    const browser = new Browser()
    await signIn(app, browser)
    const before = await app.auth.getAccessToken(requestFrom(app, browser))
    clock.increment(900_000)
    app.emulator.stats.reset()
    const tokens = await Promise.all(
      Array.from({ length: 100 }, () =>
        (app as TestApp).auth.getAccessToken(requestFrom(app as TestApp, browser)),
      ),
    )
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(before)
    expect(app.emulator.stats.grants).toEqual({ refresh_token: 1 })
  })

  it('100 concurrent callers: one store read while the session is fresh, two when it refreshes', async () => {
    const clock = new SimulatedClock()
    clock.set(Date.now())
    const inner = memoryStorage()
    let reads = 0
    const storage: AuthStore = {
      ...inner,
      get(key) {
        reads++
        return inner.get(key)
      },
    }
    app = await startApp({ clock, storage })
    const browser = new Browser()
    await signIn(app, browser)
    const burst = () =>
      Promise.all(
        Array.from({ length: 100 }, () =>
          (app as TestApp).auth.getAccessToken(requestFrom(app as TestApp, browser)),
        ),
      )
    reads = 0
    await burst()
    expect(reads).toBe(1)
    clock.increment(900_000)
    reads = 0
    const tokens = await burst()
    expect(new Set(tokens).size).toBe(1)
    // The shared read, then the refresher's own read under the lock.
    expect(reads).toBe(2)
    inner.close?.()
  })

  it('without a session: JIKO_UNAUTHENTICATED', async () => {
    app = await startApp()
    expect((await failure(app.auth.getAccessToken(new Request(`${app.origin}/`)))).code).toBe(
      ErrorCode.Unauthenticated,
    )
    const forged = new Request(`${app.origin}/`, { headers: { cookie: 'jiko-session=abc.def' } })
    expect((await failure(app.auth.getAccessToken(forged))).code).toBe(ErrorCode.Unauthenticated)
  })

  it('invalid_grant ends the session: JIKO_SESSION_EXPIRED, and the session is gone', async () => {
    const clock = new SimulatedClock()
    clock.set(Date.now())
    app = await startApp({ clock })
    const browser = new Browser()
    await signIn(app, browser)
    app.emulator.faults.invalidGrantOnNextRefresh()
    clock.increment(900_000)
    expect((await failure(app.auth.getAccessToken(requestFrom(app, browser)))).code).toBe(
      ErrorCode.SessionExpired,
    )
    expect((await app.auth.getSession(requestFrom(app, browser))).authenticated).toBe(false)
    expect(app.logs.some((l) => l.includes('session expired'))).toBe(true)
  })

  it('a failing token endpoint leaves the session untouched; the next call refreshes', async () => {
    const clock = new SimulatedClock()
    clock.set(Date.now())
    app = await startApp({ clock })
    const browser = new Browser()
    await signIn(app, browser)
    clock.increment(900_000)
    app.emulator.faults.failTokenRequests({ status: 502 })
    expect((await failure(app.auth.getAccessToken(requestFrom(app, browser)))).code).toBe(ErrorCode.HttpError)
    expect((await app.auth.getSession(requestFrom(app, browser))).authenticated).toBe(true)
    expect(await app.auth.getAccessToken(requestFrom(app, browser))).toEqual(expect.any(String))
  })
})

describe('POST /refresh', () => {
  it('refreshes now and answers the new session (never a token)', async () => {
    app = await startApp()
    const browser = new Browser()
    await signIn(app, browser)
    const before = await app.auth.getAccessToken(requestFrom(app, browser))
    app.emulator.stats.reset()
    const response = await postFromPage(app, browser, 'refresh')
    expect(response.status).toBe(200)
    expect(await bodyOf(response)).toMatchObject({ state: 'authenticated', authenticated: true })
    expect(app.emulator.stats.grants).toEqual({ refresh_token: 1 })
    expect(await app.auth.getAccessToken(requestFrom(app, browser))).not.toBe(before)
  })

  it('answers 401 JIKO_SESSION_EXPIRED and clears the cookie when the refresh token is refused', async () => {
    app = await startApp()
    const browser = new Browser()
    await signIn(app, browser)
    app.emulator.faults.invalidGrantOnNextRefresh()
    const response = await postFromPage(app, browser, 'refresh')
    expect(response.status).toBe(401)
    expect((await bodyOf(response)).error.code).toBe('JIKO_SESSION_EXPIRED')
    expect(browser.cookiesFor(app.origin).has('jiko-session')).toBe(false)
  })

  it('refuses a foreign origin', async () => {
    app = await startApp()
    const browser = new Browser()
    await signIn(app, browser)
    const response = await browser.fetch(`${app.origin}/auth/refresh`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    expect(response.status).toBe(403)
  })
})

describe('logout', () => {
  it('is refused from a foreign origin, and the session stays', async () => {
    app = await startApp()
    const browser = new Browser()
    await signIn(app, browser)
    const response = await browser.fetch(`${app.origin}/auth/logout`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    })
    expect(response.status).toBe(403)
    expect((await app.auth.getSession(requestFrom(app, browser))).authenticated).toBe(true)
  })

  it('revokes the refresh token, deletes the session, clears the cookie', async () => {
    app = await startApp()
    const browser = new Browser()
    await signIn(app, browser)
    const request = requestFrom(app, browser)
    const refreshToken = app.refreshTokens.at(-1) as string
    const response = await postFromPage(app, browser, 'logout')
    expect(response.status).toBe(200)
    expect(await bodyOf(response)).toMatchObject({ authenticated: false })
    expect(browser.cookiesFor(app.origin).has('jiko-session')).toBe(false)
    expect((await app.auth.getSession(request)).authenticated).toBe(false)
    const reuse = await app.tokenClient
      .refresh({ accessToken: 'x', tokenType: 'Bearer', issuedAt: 0, expiresAt: 0, refreshToken })
      .catch((e: unknown) => e)
    expect(reuse).toMatchObject({ error: 'invalid_grant' })
  })

  it('a page navigation is sent to afterLogoutPath', async () => {
    app = await startApp({ afterLogoutPath: '/bye' })
    const browser = new Browser()
    await signIn(app, browser)
    // A form submission (fetch() cannot set Sec-Fetch-Mode itself, so the request is built by hand).
    const { headers } = requestFrom(app, browser)
    headers.set('origin', app.origin)
    headers.set('sec-fetch-mode', 'navigate')
    const response = await app.auth.handler(
      new Request(`${app.origin}/auth/logout`, { method: 'POST', headers }),
    )
    expect([response.status, response.headers.get('location')]).toEqual([303, '/bye'])
    expect(response.headers.getSetCookie()[0]).toMatch(/^jiko-session=; Max-Age=0/)
  })
})
