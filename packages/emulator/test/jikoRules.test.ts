import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/index.js'
import {
  ASSERTION_TYPE,
  assertion,
  authorize,
  authorizeUrl,
  followToClient,
  login,
  pkce,
  REDIRECT_URI,
  refresh,
  startTestEmulator,
  token,
} from './handClient.js'

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startTestEmulator()
})
afterAll(() => emulator.stop())

async function codeFor(verifierChallenge = pkce()) {
  const callback = await authorize(emulator, {
    code_challenge: verifierChallenge.challenge,
    code_challenge_method: 'S256',
  })
  return { code: callback.searchParams.get('code') as string, verifier: verifierChallenge.verifier }
}

async function exchange(overrides: Record<string, string | undefined> = {}, assertionOptions = {}) {
  const { code, verifier } = await codeFor()
  const form: Record<string, string | undefined> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
    client_id: 'hand-ps256',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion(emulator, assertionOptions),
    ...overrides,
  }
  return token(emulator, Object.fromEntries(Object.entries(form).filter(([, v]) => v !== undefined)) as never)
}

describe('Jiko routes', () => {
  it('publishes discovery with Jiko’s endpoints and rules', async () => {
    const doc = (await (await fetch(`${emulator.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string[]
    >
    expect(doc).toMatchObject({
      issuer: emulator.issuer,
      authorization_endpoint: `${emulator.issuer}/api/oauth2/authorize`,
      token_endpoint: `${emulator.issuer}/api/oauth2/token`,
      revocation_endpoint: `${emulator.issuer}/api/oauth2/revoke`,
      jwks_uri: `${emulator.issuer}/api/oauth2/jwks`,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    })
    expect(doc.token_endpoint_auth_signing_alg_values_supported?.sort()).toEqual(['EdDSA', 'PS256'])
    const jwks = (await (await fetch(`${emulator.issuer}/api/oauth2/jwks`)).json()) as {
      keys: Record<string, string>[]
    }
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' })
    expect(jwks.keys[0]?.d).toBeUndefined()
  })

  it('redirects back to the client with 303 See Other', async () => {
    const { challenge } = pkce()
    const last = await followToClient(
      authorizeUrl(emulator, { code_challenge: challenge, code_challenge_method: 'S256' }),
    )
    expect(last.status).toBe(303)
    expect(last.headers.get('location')).toMatch(/^http:\/\/localhost:3000\/auth\/callback\?code=/)
  })
})

describe('PKCE: required, S256 only', () => {
  it('refuses an authorization request without code_challenge', async () => {
    const callback = await authorize(emulator, {})
    expect(callback.searchParams.get('error')).toBe('invalid_request')
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/)
  })

  it('refuses the plain method', async () => {
    const callback = await authorize(emulator, {
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'plain',
    })
    expect(callback.searchParams.get('error')).toBe('invalid_request')
  })

  it('refuses a wrong code_verifier', async () => {
    const result = await exchange({ code_verifier: pkce().verifier })
    expect(result.status).toBe(400)
    expect(result.body.error).toBe('invalid_grant')
  })
})

describe('client authentication: private_key_jwt only, as Jiko checks it', () => {
  it('accepts a PS256 assertion whose aud is the token endpoint', async () => {
    const result = await exchange()
    expect(result.status).toBe(200)
  })

  it('accepts EdDSA', async () => {
    const result = await login(emulator, { alg: 'EdDSA' })
    expect(result.status).toBe(200)
  })

  it('refuses aud = issuer, saying what Jiko expects', async () => {
    const result = await exchange({}, { aud: emulator.issuer })
    expect(result.status).toBe(401)
    expect(result.body.error).toBe('invalid_client')
    expect(result.body.error_description).toBe(
      `client_assertion aud must be the token endpoint URL ${emulator.tokenEndpoint}`,
    )
  })

  it('refuses a lifetime over 300 s', async () => {
    const result = await exchange({}, { lifetime: 301 })
    expect(result.status).toBe(401)
    expect(result.body.error_description).toMatch(/at most 300 seconds/)
  })

  it('accepts exactly 300 s', async () => {
    expect((await exchange({}, { lifetime: 300 })).status).toBe(200)
  })

  it('refuses a replayed jti', async () => {
    expect((await exchange({}, { jti: 'same-jti' })).status).toBe(200)
    const replay = await exchange({}, { jti: 'same-jti' })
    expect(replay.status).toBe(401)
    expect(replay.body.error).toBe('invalid_client')
  })

  it('refuses an assertion signed with another algorithm (RS256)', async () => {
    const result = await exchange({}, { alg: 'RS256', clientId: 'hand-ps256' })
    expect(result.status).toBe(401)
    expect(result.body.error).toBe('invalid_client')
  })

  it('refuses client_secret', async () => {
    const result = await exchange({
      client_assertion: undefined,
      client_assertion_type: undefined,
      client_secret: 'a-secret',
    })
    expect(result.body.error).toBe('invalid_client')
  })
})

describe('tokens as Jiko issues them', () => {
  it('access token: JWT, RS256, 900 s; a refresh token; an id_token with openid', async () => {
    const result = await login(emulator)
    expect(result.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
    const access = result.body.access_token as string
    expect(decodeProtectedHeader(access).alg).toBe('RS256')
    const claims = decodeJwt(access)
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900)
    expect(claims).toMatchObject({ sub: 'alice', aud: emulator.apiAudience, scope: 'pockets.read' })
    expect(result.body.refresh_token).toEqual(expect.any(String))
    expect(decodeJwt(result.body.id_token as string)).toMatchObject({ sub: 'alice', aud: 'hand-ps256' })
  })

  it('no id_token without openid', async () => {
    const result = await login(emulator, { scope: 'pockets.read' })
    expect(result.status).toBe(200)
    expect(result.body.id_token).toBeUndefined()
  })

  it('rotates refresh tokens on every use; the old one answers invalid_grant', async () => {
    const first = await login(emulator)
    const second = await refresh(emulator, first.body.refresh_token as string)
    expect(second.status).toBe(200)
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token)
    const replay = await refresh(emulator, first.body.refresh_token as string)
    expect(replay.status).toBe(400)
    expect(replay.body.error).toBe('invalid_grant')
    const third = await refresh(emulator, second.body.refresh_token as string)
    expect(third.status).toBe(400) // the replay above revoked the whole grant (RFC 9700 §4.14.2)
  })

  it('knows every Jiko scope and never grants others', async () => {
    const all =
      'openid profile email phone pockets.read pockets.write transfers.read transfers.write customer.read customer.write team.read team.write onboarding.read onboarding.write agreements.read'
    expect((await login(emulator, { scope: all })).status).toBe(200)
    const other = await login(emulator, { scope: 'openid pockets.read admin.everything' })
    expect(decodeJwt(other.body.access_token as string).scope).toBe('pockets.read')
  })

  it('counts grants by type', async () => {
    emulator.stats.reset()
    const first = await login(emulator)
    await refresh(emulator, first.body.refresh_token as string)
    expect(emulator.stats.grants).toEqual({ authorization_code: 1, refresh_token: 1 })
  })
})
