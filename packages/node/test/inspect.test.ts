// The server's machine in an XState inspector: every step of a sign-in and a refresh, against the emulator, with
// the secrets redacted unless the app opts out.
import type { StepInspectionEvent } from '@jiko-auth/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, postFromPage, signIn, startApp, type TestApp } from './harness.js'

async function watch(options: { inspectUnredacted?: boolean }) {
  const events: StepInspectionEvent[] = []
  const app = await startApp({
    scopes: ['openid', 'pockets.read'],
    inspect: (e) => events.push(e),
    ...options,
  })
  const browser = new Browser()
  await signIn(app, browser)
  expect((await postFromPage(app, browser, 'refresh')).status).toBe(200)
  return { app, events }
}

describe('createJikoAuth({ inspect })', () => {
  let redacted: { app: TestApp; events: StepInspectionEvent[] }
  let open: { app: TestApp; events: StepInspectionEvent[] }
  beforeAll(async () => {
    redacted = await watch({})
    open = await watch({ inspectUnredacted: true })
  })
  afterAll(async () => {
    await redacted.app.stop()
    await open.app.stop()
  })

  it('shows each step as an inspected actor: its events and the states they led to', () => {
    const steps = redacted.events.filter((e) => e.type === '@xstate.actor').map((e) => e.actorRef.sessionId)
    expect(steps).toHaveLength(3)
    const path = redacted.events
      .filter((e) => e.type === '@xstate.snapshot')
      .map((e) => `${e.event.type} → ${(e.snapshot as unknown as { value: string }).value}`)
    expect(path).toEqual([
      'LOGIN → redirecting',
      'xstate.done.actor.startAuthorization → awaitingCallback',
      'CALLBACK → exchanging',
      'xstate.done.actor.exchangeCode → authenticated',
      'REFRESH → refreshing',
      'xstate.done.actor.refreshTokens → authenticated',
    ])
  })

  it('never shows a token, code, verifier or id_token by default', () => {
    const seen = JSON.stringify(redacted.events)
    expect(seen).toContain('[redacted]')
    for (const secret of [
      '"accessToken":"ey',
      '"refreshToken":"',
      '"idToken":"ey',
      '"codeVerifier":"',
      'code=',
    ]) {
      expect(seen.replaceAll('"[redacted]"', '').replaceAll('code=[redacted]', '')).not.toContain(secret)
    }
  })

  it('shows them as they are only when the app opts out', () => {
    const seen = JSON.stringify(open.events)
    expect(seen).toMatch(/"accessToken":"ey/)
    expect(seen).toMatch(/"codeVerifier":"[\w-]{43}"/)
  })
})
