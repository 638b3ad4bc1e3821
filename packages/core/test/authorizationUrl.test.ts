import { describe, expect, it } from 'vitest'
import { buildAuthorizationUrl } from '../src/index.js'
import { ISSUER, testConfig } from './fixtures.js'

describe('buildAuthorizationUrl', () => {
  const config = testConfig({ scopes: ['openid', 'pockets.read'] })

  it('asks for the code flow with PKCE S256 and the exact redirect_uri', () => {
    const url = buildAuthorizationUrl(config, { state: 'st', codeChallenge: 'ch' })
    expect(url.origin + url.pathname).toBe(`${ISSUER}/api/oauth2/authorize`)
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'https://app.example/auth/callback',
      scope: 'openid pockets.read',
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    })
  })

  it('adds extra parameters but never lets them replace the protocol ones', () => {
    const url = buildAuthorizationUrl(config, {
      state: 'st',
      codeChallenge: 'ch',
      extraParams: { prompt: 'login', code_challenge_method: 'plain', redirect_uri: 'https://evil.example' },
    })
    expect(url.searchParams.get('prompt')).toBe('login')
    expect(url.searchParams.getAll('code_challenge_method')).toEqual(['S256'])
    expect(url.searchParams.getAll('redirect_uri')).toEqual(['https://app.example/auth/callback'])
  })

  it('takes per-request scopes', () => {
    const url = buildAuthorizationUrl(config, { state: 's', codeChallenge: 'c', scopes: ['transfers.read'] })
    expect(url.searchParams.get('scope')).toBe('transfers.read')
  })
})
