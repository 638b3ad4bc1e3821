import { type AuthStore, ErrorCode, type TokenSet } from '@jiko-auth/core'
import { memoryStorage } from '@jiko-auth/storage-memory'
import { afterEach, describe, expect, it } from 'vitest'
import { SimulatedClock } from 'xstate'
import { createJikoAuth, type JikoAuth } from '../src/index.js'
import { Browser, SECRET, signIn, startApp, type TestApp } from './harness.js'

let app: TestApp | undefined
afterEach(async () => {
  await app?.stop()
  app = undefined
})

/** A gate: `wait()` resolves once `open()` is called. */
function gate() {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { wait: () => opened, open }
}

/**
 * One memory store shared by two instances of the app (two processes), where a test can hold back the next lock
 * attempt, hold back reads, or make the next write fail.
 */
function sharedStore() {
  const inner = memoryStorage()
  let lockGate: ReturnType<typeof gate> | undefined
  let readGate: ReturnType<typeof gate> | undefined
  let failNextSet = false
  let setGate: ReturnType<typeof gate> | undefined
  const state = { lockWaiting: false, setWaiting: false }
  const store: AuthStore = {
    ...inner,
    async acquireLock(key, ttlMs) {
      const held = lockGate
      if (held) {
        lockGate = undefined
        state.lockWaiting = true
        await held.wait()
      }
      return inner.acquireLock(key, ttlMs)
    },
    async get(key) {
      const held = readGate
      const value = await inner.get(key)
      await held?.wait()
      return value
    },
    async set(key, value, ttl) {
      if (failNextSet) {
        failNextSet = false
        throw new Error('the store is down')
      }
      const held = setGate
      if (held) {
        setGate = undefined
        state.setWaiting = true
        await held.wait()
      }
      return inner.set(key, value, ttl)
    },
  }
  return {
    store,
    state,
    /** The next acquireLock waits until the returned function is called. */
    holdNextLock() {
      lockGate = gate()
      return lockGate.open
    },
    /** Reads started until `stopHolding()` answer what they read only at `release()`. */
    holdReads() {
      const held = gate()
      readGate = held
      const stopHolding = () => {
        if (readGate === held) readGate = undefined
      }
      return { stopHolding, release: held.open }
    },
    /** The next write waits until the returned function is called. */
    holdNextSet() {
      setGate = gate()
      return setGate.open
    },
    failNextSet() {
      failNextSet = true
    },
  }
}

function otherProcess(testApp: TestApp, store: AuthStore, clock: SimulatedClock): JikoAuth {
  return createJikoAuth({ ...testApp.client, storage: store, secret: SECRET, clock })
}

const cookieOf = (testApp: TestApp, browser: Browser) =>
  [...browser.cookiesFor(testApp.origin)].map(([k, v]) => `${k}=${v}`).join('; ')
const apiRequest = (testApp: TestApp, cookie: string) =>
  new Request(`${testApp.origin}/api`, { headers: { cookie } })
const logoutRequest = (testApp: TestApp, cookie: string) =>
  new Request(`${testApp.origin}/auth/logout`, {
    method: 'POST',
    headers: { cookie, origin: testApp.origin },
  })

describe('the refresh lock', () => {
  it('the lock holder reads the session afresh: a read started before another process refreshed is not reused', async () => {
    const clock = new SimulatedClock()
    clock.set(Date.now())
    const shared = sharedStore()
    app = await startApp({ clock, storage: shared.store })
    const other = otherProcess(app, shared.store, clock)
    const browser = new Browser()
    await signIn(app, browser)
    const cookie = cookieOf(app, browser)
    clock.increment(900_000)
    app.emulator.stats.reset()

    // This process finds the session expired and is about to take the lock…
    const openLock = shared.holdNextLock()
    const here = app.auth.getAccessToken(apiRequest(app, cookie))
    await expect.poll(() => shared.state.lockWaiting, { interval: 5 }).toBe(true)
    // …another process refreshes the session (the refresh token rotates) and is about to store it…
    const openSet = shared.holdNextSet()
    const there = other.getAccessToken(apiRequest(app, cookie))
    await expect.poll(() => shared.state.setWaiting, { interval: 5 }).toBe(true)
    // …while a read here, started now, gets the old tokens and is held back…
    const held = shared.holdReads()
    const reading = app.auth.getSession(apiRequest(app, cookie))
    held.stopHolding()
    openSet()
    const refreshedThere = await there

    // Taking the lock now, this process must not wait for (or believe) the old read.
    openLock()
    const answer = await Promise.race([
      here,
      new Promise((resolve) => setTimeout(() => resolve('still waiting for the old read'), 2000)),
    ])
    held.release()
    await reading
    expect(answer).toBe(refreshedThere)
    expect(app.emulator.stats.grants).toEqual({ refresh_token: 1 })
    expect(await app.auth.getAccessToken(apiRequest(app, cookie))).toBe(refreshedThere)
  })
})

describe('a session that ends stays ended', () => {
  it('logout during a refresh waits for it, revokes the new refresh token, and nothing writes the session back', async () => {
    const clock = new SimulatedClock()
    clock.set(Date.now())
    app = await startApp({ clock })
    const browser = new Browser()
    await signIn(app, browser)
    const cookie = cookieOf(app, browser)
    clock.increment(900_000)
    app.emulator.stats.reset()
    app.emulator.faults.delay(300)
    const refreshing = app.auth.getAccessToken(apiRequest(app, cookie)).catch((error: unknown) => error)
    await expect.poll(() => app?.emulator.stats.tokenRequests, { interval: 5 }).toBe(1)

    const logout = await app.auth.handler(logoutRequest(app, cookie))
    expect(logout.status).toBe(200)
    expect(await refreshing).toEqual(expect.any(String))
    const rotated = app.refreshTokens.at(-1) as string

    expect((await app.auth.getSession(apiRequest(app, cookie))).authenticated).toBe(false)
    await expect(app.auth.getAccessToken(apiRequest(app, cookie))).rejects.toMatchObject({
      code: ErrorCode.Unauthenticated,
    })
    // The refresh token that logout revoked is the rotated one, not the one spent by the refresh.
    const spent: TokenSet = {
      accessToken: 'x',
      tokenType: 'Bearer',
      issuedAt: 0,
      expiresAt: 0,
      refreshToken: rotated,
    }
    await expect(app.tokenClient.refresh(spent)).rejects.toMatchObject({ error: 'invalid_grant' })
  })

  it('a refreshed session the store refused is not written back once another process has logged out', async () => {
    const clock = new SimulatedClock()
    clock.set(Date.now())
    const shared = sharedStore()
    app = await startApp({ clock, storage: shared.store })
    const other = otherProcess(app, shared.store, clock)
    const browser = new Browser()
    await signIn(app, browser)
    const cookie = cookieOf(app, browser)
    clock.increment(900_000)

    shared.failNextSet()
    await expect(app.auth.getAccessToken(apiRequest(app, cookie))).rejects.toMatchObject({
      code: ErrorCode.StorageError,
    })
    expect((await other.handler(logoutRequest(app, cookie))).status).toBe(200)

    expect((await app.auth.getSession(apiRequest(app, cookie))).authenticated).toBe(false)
    expect((await other.getSession(apiRequest(app, cookie))).authenticated).toBe(false)
  })

  it('a cookie with a valid id but a forged signature is refused while the real one is remembered', async () => {
    app = await startApp()
    const browser = new Browser()
    await signIn(app, browser)
    const cookie = cookieOf(app, browser)
    await app.auth.getAccessToken(apiRequest(app, cookie))
    const forged = cookie.replace(
      /(jiko-session=[^.;]+\.)[^;]+/,
      '$1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    )
    expect(forged).not.toBe(cookie)
    await expect(app.auth.getAccessToken(apiRequest(app, forged))).rejects.toMatchObject({
      code: ErrorCode.Unauthenticated,
    })
  })
})
