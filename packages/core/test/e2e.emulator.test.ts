import { type RunningEmulator, startEmulator } from '@jiko-auth/emulator'
import { decodeJwt, decodeProtectedHeader, exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createActor, waitFor } from 'xstate'
import {
  createDirectMachine,
  createTokenClient,
  ErrorCode,
  type JikoClientConfig,
  OAuthResponseError,
  resolveConfig,
  type TokenSet,
} from '../src/index.js'

const REDIRECT_URI = 'http://localhost:3000/auth/callback'
let emulator: RunningEmulator
const configs: Record<'PS256' | 'EdDSA', JikoClientConfig> = {} as never

beforeAll(async () => {
  const ps = await generateKeyPair('PS256', { extractable: true })
  const ed = await generateKeyPair('EdDSA', { extractable: true })
  emulator = await startEmulator({
    clients: [
      { clientId: 'app-ps256', redirectUris: [REDIRECT_URI], publicKey: await exportSPKI(ps.publicKey) },
      {
        clientId: 'app-eddsa',
        redirectUris: [REDIRECT_URI],
        publicKey: await exportSPKI(ed.publicKey),
        algorithm: 'EdDSA',
      },
    ],
  })
  const common = {
    issuer: emulator.issuer,
    revocationEndpoint: `${emulator.issuer}/api/oauth2/revoke`,
    redirectUri: REDIRECT_URI,
    scopes: ['openid', 'pockets.read'],
  }
  configs.PS256 = resolveConfig({
    ...common,
    clientId: 'app-ps256',
    privateKey: await exportPKCS8(ps.privateKey),
  })
  configs.EdDSA = resolveConfig({
    ...common,
    clientId: 'app-eddsa',
    privateKey: await exportPKCS8(ed.privateKey),
    signingAlgorithm: 'EdDSA',
  })
})

afterAll(() => emulator?.stop())

async function signedIn(config: JikoClientConfig) {
  const actor = createActor(createDirectMachine({ config }), { input: {} })
  const states: string[] = []
  actor.subscribe((s) => {
    if (states.at(-1) !== s.value) states.push(String(s.value))
  })
  actor.start()
  actor.send({ type: 'LOGIN', returnTo: '/' })
  const { context } = await waitFor(actor, (s) => s.matches('awaitingCallback'))
  const callbackUrl = await emulator.signIn(context.authorizationUrl as string, { user: 'alice' })
  actor.send({ type: 'CALLBACK', url: callbackUrl })
  const done = await waitFor(actor, (s) => s.matches('authenticated') || s.matches('error'))
  expect(done.context.error).toBeUndefined()
  return { actor, states }
}

describe.each(['PS256', 'EdDSA'] as const)('the direct actors against the emulator (%s)', (alg) => {
  it('sign in, exchange the code, refresh twice with rotation, log out', async () => {
    emulator.stats.reset()
    const { actor, states } = await signedIn(configs[alg])
    const first = actor.getSnapshot().context.session
    expect(first?.user?.sub).toBe('alice')
    const access = first?.tokens?.accessToken ?? ''
    expect(decodeProtectedHeader(access).alg).toBe('RS256')
    const claims = decodeJwt(access)
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900)
    expect(first?.tokens?.idToken).toBeTruthy()

    const refreshTokens = [first?.tokens?.refreshToken]
    for (let i = 0; i < 2; i++) {
      actor.send({ type: 'REFRESH' })
      const next = await waitFor(
        actor,
        (s) =>
          s.matches('authenticated') &&
          s.context.session !== undefined &&
          s.context.session.tokens?.refreshToken !== refreshTokens.at(-1),
      )
      refreshTokens.push(next.context.session?.tokens?.refreshToken)
    }
    expect(new Set(refreshTokens).size).toBe(3)
    expect(states).toEqual([
      'idle',
      'redirecting',
      'awaitingCallback',
      'exchanging',
      'authenticated',
      'refreshing',
      'authenticated',
      'refreshing',
      'authenticated',
    ])
    expect(emulator.stats.grants).toEqual({ authorization_code: 1, refresh_token: 2 })

    // Rotation: the first refresh token is spent.
    const client = createTokenClient(configs[alg])
    const replay = await client
      .refresh({ ...(first?.tokens as TokenSet), refreshToken: refreshTokens[0] as string })
      .catch((e) => e)
    expect(replay).toBeInstanceOf(OAuthResponseError)
    expect(replay.error).toBe('invalid_grant')

    const pockets = await fetch(`${emulator.issuer}/api/pockets`, {
      headers: { authorization: `Bearer ${actor.getSnapshot().context.session?.tokens?.accessToken}` },
    })
    expect(pockets.status).toBe(200)
    actor.stop()
  })
})

describe('session end against the emulator', () => {
  it('logout revokes the refresh token', async () => {
    const { actor } = await signedIn(configs.PS256)
    const tokens = actor.getSnapshot().context.session?.tokens
    actor.send({ type: 'LOGOUT' })
    expect(actor.getSnapshot().value).toBe('idle')
    // Revocation runs in the background; wait until the emulator refuses the token.
    const client = createTokenClient(configs.PS256)
    await expect
      .poll(async () => (await client.refresh(tokens as TokenSet).catch((e) => e)).error, { timeout: 5000 })
      .toBe('invalid_grant')
    actor.stop()
  })

  it('invalid_grant from the server ends the session', async () => {
    const { actor } = await signedIn(configs.PS256)
    emulator.faults.invalidGrantOnNextRefresh()
    actor.send({ type: 'REFRESH' })
    const snapshot = await waitFor(actor, (s) => s.matches('idle'))
    expect(snapshot.context).toMatchObject({ endReason: 'session_expired', session: undefined })
    emulator.faults.reset()
    actor.stop()
  })

  it('a server failure on refresh goes to error, and RETRY recovers', async () => {
    const { actor } = await signedIn(configs.PS256)
    emulator.faults.failTokenRequests({ status: 502, count: 1 })
    actor.send({ type: 'REFRESH' })
    const failed = await waitFor(actor, (s) => s.matches('error'))
    expect(failed.context.error).toMatchObject({ code: ErrorCode.HttpError, status: 502 })
    actor.send({ type: 'RETRY' })
    await waitFor(actor, (s) => s.matches('authenticated'))
    actor.stop()
  })

  it('a denied consent ends in error with access_denied', async () => {
    const actor = createActor(createDirectMachine({ config: configs.PS256 }), { input: {} }).start()
    actor.send({ type: 'LOGIN' })
    const { context } = await waitFor(actor, (s) => s.matches('awaitingCallback'))
    const callbackUrl = await emulator.signIn(context.authorizationUrl as string, { decision: 'deny' })
    actor.send({ type: 'CALLBACK', url: callbackUrl })
    const failed = await waitFor(actor, (s) => s.matches('error'))
    expect(failed.context.error).toMatchObject({ code: ErrorCode.AuthorizationError, error: 'access_denied' })
    actor.stop()
  })
})
