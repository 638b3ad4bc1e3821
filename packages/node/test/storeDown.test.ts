// A real SQLite file that stops taking writes (triggers refuse them, as a read-only file would): what the browser is
// told (the code and a plain message, never the file's path), and a logout that must end the session anyway.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStorage } from '@jiko-auth/storage-sqlite'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createJikoAuth } from '../src/index.js'
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
let path: string
let admin: Database.Database

beforeEach(async () => {
  path = join(mkdtempSync(join(tmpdir(), 'jiko-store-down-')), 'sessions.db')
  app = await startApp({ storage: sqliteStorage({ path }) })
  admin = new Database(path)
})
afterEach(async () => {
  admin.close()
  await app.stop()
})

/** The file refuses every write from now on (reads still work), as a read-only file does. */
function refuseWrites() {
  for (const operation of ['INSERT', 'UPDATE', 'DELETE']) {
    admin.exec(`CREATE TRIGGER refuse_${operation} BEFORE ${operation} ON jiko_auth_store
      BEGIN SELECT RAISE(ABORT, 'attempt to write a readonly database'); END`)
  }
}

function acceptWrites() {
  for (const operation of ['INSERT', 'UPDATE', 'DELETE']) admin.exec(`DROP TRIGGER refuse_${operation}`)
}

const storedSessions = () =>
  (
    admin.prepare("SELECT count(*) AS n FROM jiko_auth_store WHERE key LIKE 'jiko:session:%'").get() as {
      n: number
    }
  ).n

describe('server internals stay out of HTTP answers', () => {
  it('a storage failure answers 503 with the code and a plain message on /login, /refresh and /logout; the hint goes to the logger', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    refuseWrites()
    const answers = [
      await browser.fetch(`${app.origin}/auth/login`),
      await postFromPage(app, browser, 'refresh'),
      await postFromPage(app, browser, 'logout'),
    ]
    for (const response of answers) {
      expect(response.status).toBe(503)
      const text = await response.text()
      expect(JSON.parse(text)).toEqual({
        error: {
          code: 'JIKO_STORAGE_ERROR',
          message: 'The session store is unavailable; try again in a moment',
        },
      })
      expect(text).not.toContain(path)
      expect(text).not.toContain('sessions.db')
    }
    // The operator still learns what to check.
    expect(app.logs.some((line) => line.includes('JIKO_STORAGE_ERROR') && line.includes(path))).toBe(true)
  })
})

describe('a logout answered while the store is down still ends the session', () => {
  it('revokes the refresh token at once, refuses the old cookie at once, and deletes the session on its next access', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const oldCookie = requestFrom(app, browser).headers.get('cookie') as string
    const refreshToken = app.refreshTokens.at(-1)
    const revokedBefore = app.revokedTokens.length
    refuseWrites()

    const logout = await postFromPage(app, browser, 'logout')
    expect(logout.status).toBe(503)
    expect(logout.headers.getSetCookie().join()).toMatch(/jiko-session=;.*Max-Age=0/)
    // Revoked although the delete failed: no process can refresh this session any more.
    expect(app.revokedTokens.slice(revokedBefore)).toEqual([refreshToken])
    expect(storedSessions()).toBe(1)

    // This process refuses the old cookie at once, store down or not.
    const asBefore = (path: string, init: RequestInit = {}) =>
      fetch(`${app.origin}${path}`, {
        ...init,
        headers: { cookie: oldCookie, origin: app.origin, ...(init.headers ?? {}) },
      })
    expect((await bodyOf(await asBefore('/auth/session'))).authenticated).toBe(false)
    expect((await asBefore('/auth/refresh', { method: 'POST' })).status).toBe(401)
    await expect(
      app.auth.getAccessToken(new Request(app.origin, { headers: { cookie: oldCookie } })),
    ).rejects.toMatchObject({ code: 'JIKO_UNAUTHENTICATED' })

    // Once the store takes writes again, the next access deletes it.
    acceptWrites()
    expect((await bodyOf(await asBefore('/auth/session'))).authenticated).toBe(false)
    expect(storedSessions()).toBe(0)
  })

  it('another process of the app: its refresh is refused (the token was revoked) and ends the session', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const oldCookie = requestFrom(app, browser).headers.get('cookie') as string
    refuseWrites()
    expect((await postFromPage(app, browser, 'logout')).status).toBe(503)
    acceptWrites()

    const other = createJikoAuth({ ...app.client, storage: sqliteStorage({ path }), secret: SECRET })
    const refresh = await other.handler(
      new Request(`${app.origin}/auth/refresh`, {
        method: 'POST',
        headers: { cookie: oldCookie, origin: app.origin },
      }),
    )
    expect(refresh.status).toBe(401)
    expect((await bodyOf(refresh)).error.code).toBe('JIKO_SESSION_EXPIRED')
    await vi.waitFor(() => expect(storedSessions()).toBe(0))
  })
})
