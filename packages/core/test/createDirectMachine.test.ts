import { describe, expect, it } from 'vitest'
import { createActor, waitFor } from 'xstate'
import { createDirectMachine, type TokenClient, type TokenSet } from '../src/index.js'
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
