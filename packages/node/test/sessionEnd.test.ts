import { type AuthStore, ErrorCode } from '@jiko-auth/core'
import { memoryStorage } from '@jiko-auth/storage-memory'
import { afterEach, describe, expect, it } from 'vitest'
import { SimulatedClock } from 'xstate'
import { createJikoAuth, type JikoAuth, type JikoAuthOptions } from '../src/index.js'
import { gate, nextCallHold } from './gate.js'
import { Browser, SECRET, signIn, startApp, type TestApp } from './harness.js'

/** The app of the running test, stopped after it. */
let app: TestApp | undefined
afterEach(async () => {
  await app?.stop()
  app = undefined
})

/**
 * One memory store shared by two instances of the app (two processes), where a test can hold back the next lock
 * attempt, hold back reads, or make the next write fail.
 */
function sharedStore() {
  const inner = memoryStorage()
  const lockHold = nextCallHold()
  let readGate: ReturnType<typeof gate> | undefined
  let failNextSet: 'before writing' | 'after writing' | undefined
  let failNextRelease = false
  let down = false
  const setHold = nextCallHold()
  const state = {
    get lockWaiting() {
      return lockHold.waiting
    },
    get setWaiting() {
      return setHold.waiting
    },
  }
  const up = () => {
    if (down) throw new Error('the store is down')
  }
  const store: AuthStore = {
    ...inner,
    async releaseLock(key, owner) {
      up()
      if (failNextRelease) {
        failNextRelease = false
        throw new Error('the store is down')
      }
      return inner.releaseLock(key, owner)
    },
    async delete(key) {
      up()
      return inner.delete(key)
    },
    async acquireLock(key, ttlMs) {
      up()
      await lockHold.pass()
      return inner.acquireLock(key, ttlMs)
    },
    async get(key) {
      up()
      const held = readGate
      const value = await inner.get(key)
      await held?.wait()
      return value
    },
    set: (key, value, ttl) => write(() => inner.set(key, value, ttl)),
    compareAndSet: (key, value, ttl, expected) => write(() => inner.compareAndSet(key, value, ttl, expected)),
    async compareAndDelete(key, expected) {
      up()
      return inner.compareAndDelete(key, expected)
    },
  }
  /** A write (plain or fenced), through the faults and the gate a test set up. */
  async function write<T>(operation: () => T | Promise<T>): Promise<T> {
    up()
    const failing = failNextSet
    failNextSet = undefined
    if (failing === 'before writing') throw new Error('the store is down')
    if (failing === 'after writing') {
      await operation()
      throw new Error('the store answered too late')
    }
    await setHold.pass()
    return operation()
  }
  return {
    store,
    state,
    /** The next acquireLock waits until the returned function is called. */
    holdNextLock() {
      return lockHold.arm()
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
      return setHold.arm()
    },
    failNextSet(when: 'before writing' | 'after writing' = 'before writing') {
      failNextSet = when
    },
    failNextRelease() {
      failNextRelease = true
    },
    setDown(value: boolean) {
      down = value
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

/**
 * The app signed in on a store shared with a second process of the app, on a simulated clock; by default the
 * session's access token has just expired.
 */
async function signedIn({
  expired = true,
  ...overrides
}: { expired?: boolean } & Partial<JikoAuthOptions> = {}) {
  const clock = new SimulatedClock()
  clock.set(Date.now())
  const shared = sharedStore()
  const testApp = await startApp({ clock, storage: shared.store, ...overrides })
  app = testApp
  const other = otherProcess(testApp, shared.store, clock)
  const browser = new Browser()
  await signIn(testApp, browser)
  const cookie = cookieOf(testApp, browser)
  if (expired) clock.increment(900_000)
  testApp.emulator.stats.reset()
  return { testApp, clock, shared, other, cookie }
}

describe('the refresh lock', () => {
  it('the lock holder reads the session afresh: a read started before another process refreshed is not reused', async () => {
    const { testApp: app, shared, other, cookie } = await signedIn()

    // This process finds the session expired and is about to take the lock…
    const openLock = shared.holdNextLock()
    const here = app.auth.getAccessToken(apiRequest(app, cookie))
    await expect.poll(() => shared.state.lockWaiting, { interval: 5, timeout: 5000 }).toBe(true)
    // …another process refreshes the session (the refresh token rotates) and is about to store it…
    const openSet = shared.holdNextSet()
    const there = other.getAccessToken(apiRequest(app, cookie))
    await expect.poll(() => shared.state.setWaiting, { interval: 5, timeout: 5000 }).toBe(true)
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
      new Promise((resolve) => setTimeout(() => resolve('still waiting for the old read'), 10_000)),
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
    const { testApp: app, cookie } = await signedIn()
    app.emulator.faults.delay(300)
    const refreshing = app.auth.getAccessToken(apiRequest(app, cookie)).catch((error: unknown) => error)
    await expect.poll(() => app.emulator.stats.tokenRequests, { interval: 5, timeout: 5000 }).toBe(1)

    const logout = await app.auth.handler(logoutRequest(app, cookie))
    expect(logout.status).toBe(200)
    expect(await refreshing).toEqual(expect.any(String))
    const rotated = app.refreshTokens.at(-1) as string

    expect((await app.auth.getSession(apiRequest(app, cookie))).authenticated).toBe(false)
    await expect(app.auth.getAccessToken(apiRequest(app, cookie))).rejects.toMatchObject({
      code: ErrorCode.Unauthenticated,
    })
    // The refresh token that logout revoked is the rotated one, not the one spent by the refresh.
    expect(app.revokedTokens).toEqual([rotated])
  })

  it('a refreshed session the store refused is not written back once another process has logged out, and is revoked', async () => {
    const { testApp: app, shared, other, cookie } = await signedIn()
    shared.failNextSet()
    await expect(app.auth.getAccessToken(apiRequest(app, cookie))).rejects.toMatchObject({
      code: ErrorCode.StorageError,
    })
    expect((await other.handler(logoutRequest(app, cookie))).status).toBe(200)

    expect((await app.auth.getSession(apiRequest(app, cookie))).authenticated).toBe(false)
    expect((await other.getSession(apiRequest(app, cookie))).authenticated).toBe(false)
    // The rotated refresh token it held belongs to nothing now: revoked.
    expect(app.revokedTokens).toEqual([app.refreshTokens.at(-1)])
  })

  it('a refreshed session the store refused is revoked when this process logs out after another already had', async () => {
    const { testApp: app, shared, other, cookie } = await signedIn()
    shared.failNextSet()
    await expect(app.auth.getAccessToken(apiRequest(app, cookie))).rejects.toMatchObject({
      code: ErrorCode.StorageError,
    })
    expect((await other.handler(logoutRequest(app, cookie))).status).toBe(200)
    // This process's own logout (not a read first): the rotated token it still holds must not stay live.
    expect((await app.auth.handler(logoutRequest(app, cookie))).status).toBe(200)
    expect(app.revokedTokens).toEqual([app.refreshTokens.at(-1)])
  })

  it('logout with the store down: JIKO_STORAGE_ERROR, and the browser forgets the session anyway', async () => {
    const { testApp: app, shared, cookie } = await signedIn({ expired: false })
    shared.setDown(true)
    const response = await app.auth.handler(logoutRequest(app, cookie))
    expect(response.status).toBeGreaterThanOrEqual(500)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.StorageError)
    expect(response.headers.getSetCookie().join()).toMatch(/jiko-session=;.*Max-Age=0/)
    shared.setDown(false)
  })
})

describe('a refreshed session the store refused', () => {
  it('is not written over a newer one when the refused write had landed after all', async () => {
    const { testApp: app, clock, shared, other, cookie } = await signedIn()
    shared.failNextSet('after writing')
    await expect(app.auth.getAccessToken(apiRequest(app, cookie))).rejects.toMatchObject({
      code: ErrorCode.StorageError,
    })
    // Another process refreshes the stored (landed) session again.
    clock.increment(900_000)
    const newer = await other.getAccessToken(apiRequest(app, cookie))
    // This process must not write its older record back over the newer one…
    expect(await app.auth.getAccessToken(apiRequest(app, cookie))).toBe(newer)
    // …so the next refresh sends the newest refresh token, and Jiko accepts it.
    clock.increment(900_000)
    expect(await app.auth.getAccessToken(apiRequest(app, cookie))).not.toBe(newer)
    expect(app.emulator.stats.grants).toEqual({ refresh_token: 3 })
  })

  it('is written on the next access without waiting for a lock the store failed to release', async () => {
    // A lock left behind would block the next access for 2 × refreshLockMs, past this test's timeout.
    const { testApp: app, clock, shared, cookie } = await signedIn({ refreshLockMs: 60_000 })
    shared.failNextSet()
    shared.failNextRelease()
    await expect(app.auth.getAccessToken(apiRequest(app, cookie))).rejects.toMatchObject({
      code: ErrorCode.StorageError,
    })
    const rotated = app.refreshTokens.at(-1)
    expect((await app.auth.getSession(apiRequest(app, cookie))).authenticated).toBe(true)
    // The refused record was written: the next refresh uses the rotated token, with no second grant before it.
    expect(app.emulator.stats.grants).toEqual({ refresh_token: 1 })
    clock.increment(900_000)
    await app.auth.getAccessToken(apiRequest(app, cookie))
    expect(app.sentRefreshTokens.at(-1)).toBe(rotated)
  })
})

describe('refreshes and the lock', () => {
  it('a refresh cannot outlast its lock: JIKO_TIMEOUT, and the session is left as it was', async () => {
    const { testApp: app, clock, cookie } = await signedIn({ expired: false, refreshLockMs: 1000 })
    const before = await app.auth.getAccessToken(apiRequest(app, cookie))
    clock.increment(900_000)
    app.emulator.faults.delay(2000)
    await expect(app.auth.getAccessToken(apiRequest(app, cookie))).rejects.toMatchObject({
      code: ErrorCode.Timeout,
    })
    app.emulator.faults.reset()
    clock.increment(-900_000)
    expect(await app.auth.getAccessToken(apiRequest(app, cookie))).toBe(before)
  })
})

describe('the verified-cookie cache', () => {
  it('a cookie with a valid id but a forged signature is refused while the real one is remembered', async () => {
    const { testApp: app, cookie } = await signedIn({ expired: false })
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
