import { type AuthStore, type Clock, ErrorCode } from '@jiko-auth/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createJikoAuth, type JikoAuth } from '../src/index.js'
import { nextCallHold } from './gate.js'
import { Browser, SECRET, signIn, startApp, type TestApp } from './harness.js'
import { cookieOf } from './storm.js'

/** Two processes of the app on one backend: each gets its own store (the same object where there is no other). */
export interface SharedBackend {
  a: AuthStore
  b: AuthStore
  close(): Promise<void> | void
}

/**
 * The store of process A, as the test drives it: the next write (plain or fenced) can be held back, and the lock A
 * holds can be lost (its key deleted, as a failover to a replica that never saw it would).
 */
function controlled(inner: AuthStore) {
  let held: { key: string; owner: string } | undefined
  const writes = nextCallHold()
  async function write<T>(operation: () => T | Promise<T>): Promise<T> {
    await writes.pass()
    return operation()
  }
  const store: AuthStore = {
    get: (key) => inner.get(key),
    set: (key, value, ttl) => write(() => inner.set(key, value, ttl)),
    delete: (key) => inner.delete(key),
    async acquireLock(key, ttlMs) {
      const owner = await inner.acquireLock(key, ttlMs)
      if (owner !== undefined) held = { key, owner }
      return owner
    },
    releaseLock: (key, owner) => inner.releaseLock(key, owner),
  }
  const { compareAndSet, compareAndDelete } = inner
  if (compareAndSet) {
    store.compareAndSet = (key, value, ttl, expected) =>
      write(() => compareAndSet.call(inner, key, value, ttl, expected))
  }
  if (compareAndDelete)
    store.compareAndDelete = (key, expected) => compareAndDelete.call(inner, key, expected)
  return {
    store,
    /**
     * Starts `step` in A, holds back A's next write until the returned function is called, and once that write
     * waits, loses the lock A holds (its key deleted).
     */
    async holdWriteAndLoseLock<T>(step: () => Promise<T>) {
      const release = writes.arm()
      const running = step()
      await expect.poll(() => writes.waiting, { interval: 5, timeout: 5000 }).toBe(true)
      if (!held) throw new Error('process A holds no lock')
      expect(await inner.releaseLock(held.key, held.owner)).toBe(true)
      return { running, release }
    },
  }
}

/**
 * A process's clock: real time (so a slow sign-in under load is still on time), moved on by `increment`. The
 * processes of a test have clocks of their own, as separate hosts would.
 */
function movableClock(): Clock & { increment(ms: number): void } {
  let offset = 0
  return {
    now: () => Date.now() + offset,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
    increment: (ms) => {
      offset += ms
    },
  }
}

const request = (app: TestApp, cookie: string) => new Request(`${app.origin}/api`, { headers: { cookie } })
/** A POST to an auth route from one of the app's pages. */
const post = (app: TestApp, cookie: string, route: 'refresh' | 'logout') =>
  new Request(`${app.origin}/auth/${route}`, { method: 'POST', headers: { cookie, origin: app.origin } })

/**
 * What a lost refresh lock must not cost, on a backend: process A refreshes a session and the lock it holds is
 * lost before A has stored the rotated tokens; process B takes the lock and refreshes too. Without
 * `atomicFencing` (a store without `compareAndSet`), the tests of a write held between its compare and its write are
 * expected to fail: that is the fallback's documented weakness.
 */
export function describeLostLock(
  name: string,
  open: () => Promise<SharedBackend>,
  { atomicFencing = true } = {},
) {
  const fenced = atomicFencing ? it : it.fails
  describe(`a lost refresh lock (${name})`, () => {
    let cleanup: (() => Promise<void>) | undefined
    afterEach(async () => {
      await cleanup?.()
      cleanup = undefined
    })

    /** A signed in on a clock of its own, B beside it (own clock, own logs), on one backend. */
    async function twoProcesses(session?: { idleTimeoutSeconds: number }) {
      const backend = await open()
      const a = controlled(backend.a)
      const clockA = movableClock()
      const app = await startApp({ clock: clockA, storage: a.store, ...(session ? { session } : {}) })
      const clockB = movableClock()
      const logsB: string[] = []
      const log = (message: string, fields?: Record<string, unknown>) => {
        logsB.push(`${message} ${fields ? JSON.stringify(fields) : ''}`)
      }
      const b: JikoAuth = createJikoAuth({
        ...app.client,
        storage: backend.b,
        secret: SECRET,
        clock: clockB,
        ...(session ? { session } : {}),
        logger: { debug: log, info: log, warn: log, error: log },
      })
      cleanup = async () => {
        await app.stop()
        await backend.close()
      }
      const browser = new Browser()
      await signIn(app, browser)
      const cookie = cookieOf(app, browser)
      const signedInToken = await app.auth.getAccessToken(request(app, cookie))
      app.emulator.stats.reset()
      return { app, a, b, clockA, clockB, logsB, cookie, signedInToken }
    }

    /** No token, code or refresh token of the run in any log line. */
    function expectNoSecretsIn(app: TestApp, logs: string[]) {
      for (const secret of app.secrets) {
        for (const line of [...logs, ...app.logs]) expect(line).not.toContain(secret)
      }
    }

    it("the loser's invalid_grant adopts the winner's tokens: no session ends, the lost lock is logged once", async () => {
      const { app, a, b, clockA, clockB, logsB, cookie, signedInToken } = await twoProcesses()
      clockA.increment(900_000)
      clockB.increment(900_000)
      // A refreshes (the refresh token rotates at Jiko) and is about to store the new tokens when its lock is
      // lost. B takes the lock, reads the session A has not stored yet, and spends the same refresh token: Jiko
      // answers invalid_grant.
      const { running: fromA, release: storeA } = await a.holdWriteAndLoseLock(() =>
        app.auth.getAccessToken(request(app, cookie)),
      )
      const fromB = b.getAccessToken(request(app, cookie))
      await expect.poll(() => app.emulator.stats.tokenRequests, { interval: 5, timeout: 5000 }).toBe(2)
      await new Promise((resolve) => setTimeout(resolve, 100))
      // A's write lands while B looks again before ending the session.
      storeA()
      const tokenA = await fromA
      expect(tokenA).not.toBe(signedInToken)
      expect(await fromB).toBe(tokenA)
      expect(app.emulator.stats.grants).toEqual({ refresh_token: 1 })
      expect((await b.getSession(request(app, cookie))).authenticated).toBe(true)
      expect(await app.auth.getAccessToken(request(app, cookie))).toBe(tokenA)
      expect(logsB.filter((line) => line.includes('refresh lock of a session was lost'))).toHaveLength(1)
      expect(logsB.some((line) => line.includes('session expired'))).toBe(false)
      expectNoSecretsIn(app, logsB)
    })

    fenced(
      'a refreshed record never replaces a newer one: an idle-timeout slide that lost its lock is refused',
      async () => {
        // The idle timeout slides every 30 s (a quarter of it); A's clock is 60 s on, its token still fresh.
        const { app, a, b, clockA, clockB, cookie, signedInToken } = await twoProcesses({
          idleTimeoutSeconds: 120,
        })
        clockA.increment(60_000)
        clockB.increment(60_000)
        // A slides the idle timeout: it read the session under the lock and is about to write it back when its
        // lock is lost and B refreshes the session (the refresh token rotates).
        const { running: fromA, release: writeA } = await a.holdWriteAndLoseLock(() =>
          app.auth.getAccessToken(request(app, cookie)),
        )
        const forced = await b.handler(post(app, cookie, 'refresh'))
        expect(forced.status).toBe(200)
        const refreshedByB = await b.getAccessToken(request(app, cookie))
        expect(refreshedByB).not.toBe(signedInToken)
        // A's write lands now: fenced, it must not bring back the spent refresh token.
        writeA()
        expect(await fromA).toBe(signedInToken)
        expect(await app.auth.getAccessToken(request(app, cookie))).toBe(refreshedByB)
        // The session lives on: the next refresh (with B's rotated refresh token) is granted.
        clockA.increment(900_000)
        const next = await app.auth.getAccessToken(request(app, cookie))
        expect(next).not.toBe(refreshedByB)
        expect(app.emulator.stats.grants).toEqual({ refresh_token: 2 })
      },
    )

    fenced(
      'a session logged out while a refresh that lost its lock was running stays logged out',
      async () => {
        const { app, a, b, clockA, cookie } = await twoProcesses()
        clockA.increment(900_000)
        const { running: fromA, release: storeA } = await a.holdWriteAndLoseLock(() =>
          app.auth.getAccessToken(request(app, cookie)).catch((error: unknown) => error),
        )
        const logout = await b.handler(post(app, cookie, 'logout'))
        expect(logout.status).toBe(200)
        storeA()
        expect(await fromA).toMatchObject({ code: ErrorCode.SessionExpired })
        expect((await app.auth.getSession(request(app, cookie))).authenticated).toBe(false)
        // The refresh token A was given belongs to no session: it is revoked.
        expect(app.revokedTokens).toContain(app.refreshTokens.at(-1))
      },
    )
  })
}
