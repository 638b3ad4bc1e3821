import { describe, expect, it } from 'vitest'
import { createActor, waitFor } from 'xstate'
import {
  createDirectMachine,
  ErrorCode,
  JikoAuthError,
  type TokenClient,
  type TokenSet,
} from '../src/index.js'
import { testConfig } from './fixtures.js'

describe('createDirectMachine', () => {
  it('uses the token client it is given (so a server shares one, and imports its key once)', async () => {
    const tokens: TokenSet = {
      accessToken: 'a',
      tokenType: 'Bearer',
      issuedAt: 0,
      expiresAt: Date.now() + 900_000,
    }
    const calls: string[] = []
    const tokenClient: TokenClient = {
      async exchangeCode() {
        calls.push('exchangeCode')
        return tokens
      },
      async refresh() {
        calls.push('refresh')
        return tokens
      },
      async revoke() {
        calls.push('revoke')
      },
      async clientCredentials() {
        calls.push('clientCredentials')
        return tokens
      },
    }
    const config = testConfig()
    const actor = createActor(createDirectMachine({ config, tokenClient }), { input: {} }).start()
    actor.send({ type: 'LOGIN' })
    const { context } = await waitFor(actor, (s) => s.matches('awaitingCallback'))
    actor.send({
      type: 'CALLBACK',
      url: `${config.redirectUri}?code=c&state=${context.transaction?.state}&iss=${encodeURIComponent(config.issuer)}`,
    })
    const done = await waitFor(actor, (s) => s.matches('authenticated') || s.matches('error'))
    actor.stop()
    expect(done.value).toBe('authenticated')
    expect(calls).toEqual(['exchangeCode'])
  })
})

describe('a refresh whose new id_token is checked (OIDC Core §12.2)', () => {
  const signedIn = (idToken: string | undefined) => ({
    issuedAt: 0,
    expiresAt: Date.now() + 900_000,
    user: { sub: 'alice', name: 'Alice' },
    tokens: {
      accessToken: 'access-1',
      tokenType: 'Bearer' as const,
      issuedAt: 0,
      expiresAt: Date.now() + 900_000,
      refreshToken: 'refresh-1',
      ...(idToken ? { idToken } : {}),
    },
  })

  function setup(verify: () => Promise<never>) {
    const revoked: string[] = []
    const tokenClient: TokenClient = {
      exchangeCode: async () => {
        throw new Error('not used')
      },
      refresh: async (tokens) => ({
        ...tokens,
        accessToken: 'access-2',
        refreshToken: 'refresh-2',
        idToken: 'id-2',
      }),
      revoke: async (token) => {
        revoked.push(token)
      },
      clientCredentials: async () => {
        throw new Error('not used')
      },
    }
    const config = testConfig({ scopes: ['openid', 'pockets.read'] })
    const machine = createDirectMachine({ config, tokenClient, idTokens: { verify } })
    const actor = createActor(machine, { input: {} }).start()
    actor.send({ type: 'SESSION', session: signedIn('id-1') })
    actor.send({ type: 'REFRESH' })
    return { actor, revoked }
  }

  it('refused (another user): the refresh fails, the new refresh token is revoked, the user never changes', async () => {
    const { actor, revoked } = setup(async () => {
      throw new JikoAuthError(ErrorCode.IdTokenSubjectChanged, 'another user')
    })
    const done = await waitFor(actor, (s) => s.matches('error') || s.matches('idle'))
    actor.stop()
    expect(done.context.error?.code).toBe(ErrorCode.IdTokenSubjectChanged)
    expect(revoked).toEqual(['refresh-2'])
    expect(done.context.session?.user?.sub).not.toBe('mallory')
  })

  it('not checkable (the keys unreachable): the new tokens are kept, with the user of the sign-in', async () => {
    const { actor, revoked } = setup(async () => {
      throw new JikoAuthError(ErrorCode.NetworkError, 'JWKS unreachable')
    })
    const done = await waitFor(
      actor,
      (s) => s.matches('authenticated') && s.context.session?.tokens?.accessToken === 'access-2',
    )
    actor.stop()
    expect(done.context.session?.tokens?.refreshToken).toBe('refresh-2')
    expect(done.context.session?.user).toEqual({ sub: 'alice', name: 'Alice' })
    expect(revoked).toEqual([])
  })
})

describe('a refused authorization', () => {
  it('access_denied names the scopes this client asked for (an unknown or disabled scope is the usual cause)', async () => {
    const config = testConfig({ scopes: ['openid', 'pockets.raed'] })
    const actor = createActor(createDirectMachine({ config }), { input: {} }).start()
    actor.send({ type: 'LOGIN' })
    const { context } = await waitFor(actor, (s) => s.matches('awaitingCallback'))
    actor.send({ type: 'CALLBACK', url: `?error=access_denied&state=${context.transaction?.state}` })
    const failed = await waitFor(actor, (s) => s.matches('error'))
    actor.stop()
    expect(failed.context.error).toMatchObject({ code: ErrorCode.AuthorizationError, error: 'access_denied' })
    expect(failed.context.error?.hint).toContain('openid, pockets.raed')
  })
})
