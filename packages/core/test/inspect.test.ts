import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect'
import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import {
  type AuthMachineContext,
  authMachine,
  redact,
  redactForInspector,
  redactingInspector,
} from '../src/index.js'
import { machineHarness, session, started, T0 } from './machineHarness.js'

/** Stately's inspector; with `serialize`, its adapter clones each event as `postMessage` would. */
function capture(options: { redacted: 'serialize' | 'wrap' | false }) {
  const events: StatelyInspectionEvent[] = []
  const inspector = createInspector(
    { send: (e) => events.push(options.redacted === 'serialize' ? structuredClone(e) : e) },
    options.redacted === 'serialize' ? { serialize: redactForInspector } : {},
  )
  const inspect = options.redacted === 'wrap' ? redactingInspector(inspector.inspect) : inspector.inspect
  return { events, inspect }
}

describe('inspection', () => {
  it('streams the live machine to @statelyai/inspect through createActor({ inspect })', async () => {
    const { events, inspect } = capture({ redacted: false })
    const actor = createActor(authMachine, { input: {}, inspect }).start()
    actor.send({ type: 'SESSION', session: session(Date.now()) })
    const values = () =>
      events.flatMap((e) =>
        e.type === '@xstate.snapshot' && e.sessionId === actor.sessionId
          ? [(e.snapshot as unknown as { value: string }).value]
          : [],
      )
    await expect.poll(values).toEqual(['idle', 'authenticated'])
    expect(events.find((e) => e.type === '@xstate.actor')).toMatchObject({ name: 'jikoAuth' })
    actor.stop()
  })

  it.each([
    ['serialize: redactForInspector', 'serialize'],
    ['redactingInspector(inspect)', 'wrap'],
  ] as const)('with %s, no secret reaches the inspector over a whole flow', async (_, how) => {
    const { events, inspect } = capture({ redacted: how })
    const h = machineHarness({ inspect })
    h.actor.send({ type: 'LOGIN' })
    await h.settle('startAuthorization', { output: started })
    h.actor.send({ type: 'CALLBACK', url: 'https://app.example/cb?code=CODE-SECRET&state=st' })
    await h.settle('exchangeCode', { output: session(T0, 900, 'rt-SECRET') })
    h.actor.send({ type: 'REFRESH' })
    await h.settle('refreshTokens', { output: session(T0 + 1, 900, 'rt-SECRET-2') })
    const done = () =>
      events.some((e) => e.type === '@xstate.event' && e.event.type === 'xstate.done.actor.refreshTokens')
    await expect.poll(done).toBe(true)
    // A later inspector sees the actor as it is now: its snapshot (read from the ref) redacted too.
    const late = { type: '@xstate.actor', actorRef: h.actor, rootId: h.actor.sessionId } as never
    if (typeof inspect === 'function') inspect(late)
    else inspect.next?.(late)
    const seen = JSON.stringify(events)
    for (const secret of ['rt-SECRET', `at-${T0}`, 'CODE-SECRET', '"verifier"', '"st"']) {
      expect(seen).not.toContain(secret)
    }
    expect(seen).toContain('[redacted]')
    h.actor.stop()
  })

  it('redact hides the verifier, the state and the callback of a login in flight, without mutating', () => {
    const context: AuthMachineContext = {
      leewayMs: 60_000,
      returnTo: '/',
      authorizationUrl: 'https://auth.jiko.test/api/oauth2/authorize?state=st&code_challenge=ch&client_id=c',
      transaction: started.transaction,
      callbackUrl: 'https://app.example/cb?code=CODE&state=st',
      session: undefined,
      error: undefined,
      endReason: undefined,
    }
    const text = JSON.stringify(redact(context))
    for (const secret of ['verifier', 'CODE', 'state=st', 'code_challenge=ch'])
      expect(text).not.toContain(secret)
    expect(text).toContain('client_id=c')
    expect(context.transaction?.codeVerifier).toBe('verifier')
  })

  it('redact hides a secret met twice (an effect’s output is also the next context) and survives a cycle', () => {
    const tokens = { accessToken: 'AT', refreshToken: 'RT' }
    const cycle: Record<string, unknown> = { tokens }
    cycle.self = cycle
    const event = { output: { tokens }, snapshot: { context: { session: { tokens } } }, cycle }
    const copy = redact(event)
    expect(copy.snapshot.context.session.tokens).toEqual({
      accessToken: '[redacted]',
      refreshToken: '[redacted]',
    })
    expect(copy.output.tokens).toBe(copy.snapshot.context.session.tokens)
    expect((copy.cycle as { self: unknown }).self).toBe(copy.cycle)
    expect(tokens.accessToken).toBe('AT')
  })

  it('redact keeps an error’s public code, and hides an authorization code in a URL', () => {
    const context = {
      error: { name: 'OAuthResponseError', code: 'JIKO_AUTHORIZATION_ERROR', message: 'access_denied' },
      callbackUrl: 'https://app.example/cb?code=CODE&state=st',
      url: '/auth/callback?code=CODE&iss=x',
    }
    expect(redact(context)).toEqual({
      error: context.error,
      callbackUrl: '[redacted]',
      url: '/auth/callback?code=[redacted]&iss=x',
    })
  })

  it('redactForInspector turns a Set into an array and a Map into an object, redacted, and drops functions', () => {
    const value = {
      tags: new Set(['a', 'b']),
      byKey: new Map([['refreshToken', 'RT']]),
      run: () => 1,
    }
    expect(redactForInspector(value)).toEqual({ tags: ['a', 'b'], byKey: { refreshToken: '[redacted]' } })
  })
})
