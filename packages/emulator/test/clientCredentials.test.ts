import { decodeJwt, exportSPKI } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pocketsOf, type RunningEmulator, startEmulator, toClientMetadata } from '../src/index.js'
import { ASSERTION_TYPE, assertion, authorizeUrl, eddsa, ps256, REDIRECT_URI, token } from './handClient.js'

let emulator: RunningEmulator
let servicePem: string

beforeAll(async () => {
  servicePem = await exportSPKI(eddsa.publicKey)
  emulator = await startEmulator({
    headless: 'alice',
    clients: [
      // A service: client credentials only, no redirect URI.
      { clientId: 'service', grantTypes: ['client_credentials'], publicKey: servicePem, algorithm: 'EdDSA' },
      // A web app (today's default grants).
      { clientId: 'hand-ps256', redirectUris: [REDIRECT_URI], publicKey: await exportSPKI(ps256.publicKey) },
    ],
  })
})
afterAll(() => emulator.stop())
beforeEach(() => emulator.stats.reset())

async function clientCredentials(scope: string, clientId = 'service') {
  const alg = clientId === 'service' ? 'EdDSA' : 'PS256'
  return token(emulator, {
    grant_type: 'client_credentials',
    scope,
    client_id: clientId,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion(emulator, { alg, clientId }),
  })
}

const getPockets = (accessToken: string) =>
  fetch(`${emulator.issuer}/api/pockets`, { headers: { authorization: `Bearer ${accessToken}` } })

describe('the client-credentials grant', () => {
  it('issues a JWT access token for the API with sub = client_id and the asked scopes, no refresh token', async () => {
    const { status, body } = await clientCredentials('pockets.read transfers.write')
    expect(status).toBe(200)
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'pockets.read transfers.write',
    })
    expect(body.refresh_token).toBeUndefined()
    expect(body.id_token).toBeUndefined()
    const claims = decodeJwt(body.access_token as string)
    expect(claims).toMatchObject({
      iss: emulator.issuer,
      aud: emulator.apiAudience,
      sub: 'service',
      client_id: 'service',
      scope: 'pockets.read transfers.write',
    })
    expect(claims.cnf).toBeUndefined()
    expect(emulator.stats.grants).toEqual({ client_credentials: 1 })
  })

  it('keeps only API scopes: OpenID scopes asked with it are left out of the token', async () => {
    const { status, body } = await clientCredentials('openid profile pockets.read')
    expect(status).toBe(200)
    expect(body.scope).toBe('pockets.read')
    expect(body.id_token).toBeUndefined()
    expect(decodeJwt(body.access_token as string).scope).toBe('pockets.read')
  })

  it('its token is accepted by the pockets API, which answers the pockets of the client’s own account', async () => {
    const { body } = await clientCredentials('pockets.read')
    const response = await getPockets(body.access_token as string)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { data: unknown }).data).toEqual(pocketsOf('service'))
    const statsResponse = await fetch(`${emulator.issuer}/__emulator/stats`)
    expect(await statsResponse.json()).toMatchObject({ grants: { client_credentials: 1 }, apiRequests: 1 })
  })

  it('without pockets.read the API answers 403 insufficient_scope', async () => {
    const { body } = await clientCredentials('transfers.read')
    const response = await getPockets(body.access_token as string)
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
  })

  it('is refused to a client that did not register it, and counts nothing', async () => {
    const { status, body } = await clientCredentials('pockets.read', 'hand-ps256')
    expect(status).toBe(400)
    expect(body).toEqual({
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
    })
    expect(emulator.stats.grants).toEqual({})
    expect(emulator.stats.tokenRequests).toBe(1)
  })

  it('a client_credentials-only client cannot start the code flow', async () => {
    const url = authorizeUrl(emulator, {
      client_id: 'service',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    })
    const response = await fetch(url, { redirect: 'manual' })
    expect(response.status).toBe(400)
    expect(await response.text()).toMatch(/invalid_redirect_uri/)
  })
})

describe('ClientRegistration.grantTypes', () => {
  const base = () => ({ clientId: 'c', publicKey: servicePem, algorithm: 'EdDSA' as const })

  it('defaults to authorization_code + refresh_token, with the code response type', async () => {
    const metadata = await toClientMetadata({ ...base(), redirectUris: [REDIRECT_URI] })
    expect(metadata).toMatchObject({
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
    })
  })

  it('client_credentials alone needs no redirect URI and has no response type', async () => {
    const metadata = await toClientMetadata({ ...base(), grantTypes: ['client_credentials'] })
    expect(metadata).toMatchObject({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    })
  })

  it('refuses registrations that cannot work, naming the fix', async () => {
    await expect(toClientMetadata(base())).rejects.toThrow(
      'client c: the authorization_code grant needs redirectUris',
    )
    await expect(toClientMetadata({ ...base(), grantTypes: ['refresh_token'] })).rejects.toThrow(
      /refresh_token comes with authorization_code/,
    )
    await expect(toClientMetadata({ ...base(), grantTypes: [] })).rejects.toThrow(/at least one grant/)
    await expect(
      // @ts-expect-error: not a grant Jiko offers
      toClientMetadata({ ...base(), grantTypes: ['password'] }),
    ).rejects.toThrow(/not "password"/)
  })
})
