import { describe, expect, it } from 'vitest'
import { ErrorCode, JikoAuthError, OAuthResponseError } from '../src/index.js'
import { machineHarness, session, started, T0 } from './machineHarness.js'

const invalidGrant = new OAuthResponseError(ErrorCode.OAuthError, { error: 'invalid_grant' }, { status: 400 })
const serverDown = new JikoAuthError(ErrorCode.HttpError, 'The authorization server answered HTTP 502', {
  status: 502,
})

async function signedIn(lifetimeSeconds = 900, leewaySeconds?: number) {
  const h = machineHarness(leewaySeconds === undefined ? {} : { input: { leewaySeconds } })
  h.actor.send({ type: 'LOGIN', returnTo: '/accounts' })
  await h.settle('startAuthorization', { output: started })
  h.actor.send({ type: 'CALLBACK', url: 'https://app.example/cb?code=c&state=st' })
  await h.settle('exchangeCode', { output: session(T0, lifetimeSeconds) })
  return h
}

describe('authMachine', () => {
  it('walks idle → redirecting → awaitingCallback → exchanging → authenticated', async () => {
    const h = machineHarness()
    expect(h.states).toEqual(['idle'])
    h.actor.send({ type: 'LOGIN', returnTo: '/accounts' })
    expect(h.pending.startAuthorization?.[0]?.input).toEqual({ returnTo: '/accounts' })
    await h.settle('startAuthorization', { output: started })
    expect(h.actor.getSnapshot().context).toMatchObject({
      authorizationUrl: started.authorizationUrl,
      transaction: started.transaction,
    })
    h.actor.send({ type: 'CALLBACK', url: 'https://app.example/cb?code=c&state=st' })
    expect(h.pending.exchangeCode?.[0]?.input).toEqual({
      callbackUrl: 'https://app.example/cb?code=c&state=st',
      transaction: started.transaction,
    })
    await h.settle('exchangeCode', { output: session(T0) })
    expect(h.states).toEqual(['idle', 'redirecting', 'awaitingCallback', 'exchanging', 'authenticated'])
  })

  it('forgets the code and the verifier after the exchange', async () => {
    const h = await signedIn()
    const { context } = h.actor.getSnapshot()
    expect(context.callbackUrl).toBeUndefined()
    expect(context.transaction).toBeUndefined()
    expect(JSON.stringify(h.actor.getPersistedSnapshot())).not.toContain('verifier')
  })

  it('forgets them after a failed exchange too, and keeps the typed error as data', async () => {
    const h = machineHarness()
    h.actor.send({ type: 'LOGIN' })
    await h.settle('startAuthorization', { output: started })
    h.actor.send({ type: 'CALLBACK', url: '?code=c&state=st' })
    await h.settle('exchangeCode', { error: new JikoAuthError(ErrorCode.StateMismatch, 'mismatch') })
    const { context, value } = h.actor.getSnapshot()
    expect(value).toBe('error')
    expect(context.error).toMatchObject({ code: ErrorCode.StateMismatch })
    expect(context.callbackUrl).toBeUndefined()
    expect(context.transaction).toBeUndefined()
    h.actor.send({ type: 'RESET' })
    expect(h.actor.getSnapshot().value).toBe('idle')
    expect(h.actor.getSnapshot().context.error).toBeUndefined()
  })

  it('refreshes ahead of expiry by the leeway, from the injected clock', async () => {
    const h = await signedIn(900)
    h.clock.increment(840_000 - 1)
    expect(h.actor.getSnapshot().value).toBe('authenticated')
    h.clock.increment(1)
    expect(h.actor.getSnapshot().value).toBe('refreshing')
    expect(h.pending.refreshTokens?.[0]?.input).toEqual({ session: session(T0, 900) })
    await h.settle('refreshTokens', { output: session(T0 + 840_000, 900, 'rt-2') })
    expect(h.states.slice(-3)).toEqual(['authenticated', 'refreshing', 'authenticated'])
    expect(h.actor.getSnapshot().context.session?.tokens?.refreshToken).toBe('rt-2')
  })

  it('never refreshes a just-issued short-lived token at once: at most half its lifetime early', async () => {
    const h = await signedIn(60, 60)
    h.clock.increment(29_999)
    expect(h.actor.getSnapshot().value).toBe('authenticated')
    h.clock.increment(1)
    expect(h.actor.getSnapshot().value).toBe('refreshing')
  })

  it('ends the session on invalid_grant: back to idle with the reason', async () => {
    const h = await signedIn()
    h.actor.send({ type: 'REFRESH' })
    await h.settle('refreshTokens', { error: invalidGrant })
    const { value, context } = h.actor.getSnapshot()
    expect(value).toBe('idle')
    expect(context.session).toBeUndefined()
    expect(context.endReason).toBe('session_expired')
    expect(context.error).toMatchObject({ code: ErrorCode.OAuthError, error: 'invalid_grant' })
  })

  it('goes to error on other refresh failures; RETRY refreshes again', async () => {
    const h = await signedIn()
    h.actor.send({ type: 'REFRESH' })
    await h.settle('refreshTokens', { error: serverDown })
    expect(h.actor.getSnapshot().value).toBe('error')
    expect(h.actor.getSnapshot().context.error).toMatchObject({ code: ErrorCode.HttpError, status: 502 })
    h.actor.send({ type: 'RETRY' })
    await h.settle('refreshTokens', { output: session(T0 + 1000) })
    expect(h.states.slice(-5)).toEqual([
      'authenticated',
      'refreshing',
      'error',
      'refreshing',
      'authenticated',
    ])
    expect(h.actor.getSnapshot().context.error).toBeUndefined()
  })

  it('logs out: idle at once, the session forgotten, revocation in the background', async () => {
    const h = await signedIn()
    h.actor.send({ type: 'LOGOUT' })
    expect(h.actor.getSnapshot().value).toBe('idle')
    expect(h.actor.getSnapshot().context).toMatchObject({ session: undefined, endReason: 'logout' })
    expect(h.pending.endSession?.[0]?.input).toEqual({ session: session(T0) })
  })

  it('cancels an in-flight refresh when leaving refreshing', async () => {
    const h = await signedIn()
    h.actor.send({ type: 'REFRESH' })
    const call = h.pending.refreshTokens?.[0]
    h.actor.send({ type: 'LOGOUT' })
    expect(call?.signal.aborted).toBe(true)
    expect(h.actor.getSnapshot().value).toBe('idle')
  })

  it('accepts a session known from elsewhere (SESSION)', () => {
    const h = machineHarness()
    h.actor.send({ type: 'SESSION', session: session(T0) })
    expect(h.actor.getSnapshot().value).toBe('authenticated')
  })

  it('can restart a login while waiting for the callback', async () => {
    const h = machineHarness()
    h.actor.send({ type: 'LOGIN' })
    await h.settle('startAuthorization', { output: started })
    h.actor.send({ type: 'LOGIN', returnTo: '/again' })
    expect(h.actor.getSnapshot().context).toMatchObject({ transaction: undefined, returnTo: '/again' })
    expect(h.actor.getSnapshot().value).toBe('redirecting')
  })

  it('reports a missing actor implementation as a typed error', async () => {
    const { authMachine } = await import('../src/index.js')
    const { createActor, waitFor } = await import('xstate')
    const actor = createActor(authMachine, { input: {} }).start()
    actor.send({ type: 'LOGIN' })
    const snapshot = await waitFor(actor, (s) => s.matches('error'))
    expect(snapshot.context.error?.code).toBe(ErrorCode.NotImplemented)
  })
})

describe('persist and restore', () => {
  it('completes a flow persisted in awaitingCallback in a new actor (as across two HTTP requests)', async () => {
    const first = machineHarness()
    first.actor.send({ type: 'LOGIN', returnTo: '/' })
    await first.settle('startAuthorization', { output: started })
    const stored = JSON.stringify(first.actor.getPersistedSnapshot())
    first.actor.stop()

    const second = machineHarness({ snapshot: JSON.parse(stored) })
    expect(second.actor.getSnapshot().value).toBe('awaitingCallback')
    second.actor.send({ type: 'CALLBACK', url: '?code=c&state=st' })
    expect(second.pending.exchangeCode?.[0]?.input).toMatchObject({ transaction: started.transaction })
    await second.settle('exchangeCode', { output: session(T0) })
    expect(second.states).toEqual(['awaitingCallback', 'exchanging', 'authenticated'])
  })

  it('restores an authenticated session that can still refresh', async () => {
    const first = await signedIn()
    const stored = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))
    const second = machineHarness({ snapshot: stored })
    second.actor.send({ type: 'REFRESH' })
    expect(second.pending.refreshTokens?.[0]?.input).toEqual({ session: session(T0) })
  })
})
