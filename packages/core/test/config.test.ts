import { describe, expect, it } from 'vitest'
import { ErrorCode, JikoAuthError, resolveConfig } from '../src/index.js'
import { ISSUER, keys, testConfig } from './fixtures.js'

function configError(overrides: Record<string, unknown>): JikoAuthError {
  try {
    testConfig(overrides)
  } catch (error) {
    expect(error).toBeInstanceOf(JikoAuthError)
    expect((error as JikoAuthError).code).toBe(ErrorCode.ConfigInvalid)
    return error as JikoAuthError
  }
  throw new Error('expected the configuration to be refused')
}

describe('resolveConfig', () => {
  it('never lets an id_token be accepted with "none" or a shared-secret algorithm', () => {
    for (const alg of ['none', 'HS256', 'hs512']) {
      expect(configError({ idTokenAlgorithms: ['RS256', alg] }).field).toMatch(/^idTokenAlgorithms/)
    }
  })

  it('fills in Jiko defaults', () => {
    const config = testConfig({ revocationEndpoint: undefined })
    expect(config.authorizationEndpoint).toBe(`${ISSUER}/api/oauth2/authorize`)
    expect(config.tokenEndpoint).toBe(`${ISSUER}/api/oauth2/token`)
    expect(config.revocationEndpoint).toBe(`${ISSUER}/api/oauth2/revoke`)
    expect(config.jwksUri).toBe(`${ISSUER}/api/oauth2/jwks`)
    expect(config.endSessionEndpoint).toBe(`${ISSUER}/api/oauth2/logout`)
    expect(config.userinfoEndpoint).toBe(`${ISSUER}/api/oauth2/userinfo`)
    expect(config.explicitEndpoints).toEqual({})
    expect(config.discovery).toBe(false)
    expect(resolveConfig({ ...testConfig(), discovery: undefined }).discovery).toBe(true)
    expect(config.idTokenAlgorithms).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA'])
    expect(config.signingAlgorithm).toBe('PS256')
    expect(config.assertionLifetimeSeconds).toBe(60)
  })

  it('builds endpoints without the issuer’s trailing slash, and keeps the issuer as given (iss is compared to it)', () => {
    const config = testConfig({ issuer: `${ISSUER}/` })
    expect(config.tokenEndpoint).toBe(`${ISSUER}/api/oauth2/token`)
    expect(config.issuer).toBe(`${ISSUER}/`)
  })

  it('accepts http on loopback only', () => {
    expect(testConfig({ issuer: 'http://127.0.0.1:4000' }).issuer).toBe('http://127.0.0.1:4000')
    expect(testConfig({ issuer: 'http://localhost:4000' }).issuer).toBe('http://localhost:4000')
    const error = configError({ issuer: 'http://auth.jiko.io' })
    expect(error.field).toBe('issuer')
    expect(error.message).toMatch(/must use https/)
  })

  it('accepts the key forms: RSA PEM, RSA JWK, Ed25519 PEM/JWK with EdDSA', () => {
    expect(testConfig({ privateKey: keys.rsaPrivateJwk }).signingAlgorithm).toBe('PS256')
    expect(testConfig({ privateKey: keys.edPrivatePem, signingAlgorithm: 'EdDSA' }).signingAlgorithm).toBe(
      'EdDSA',
    )
    expect(testConfig({ privateKey: keys.edPrivateJwk, signingAlgorithm: 'EdDSA' }).signingAlgorithm).toBe(
      'EdDSA',
    )
  })

  it.each([
    [{ redirectUri: '/auth/callback' }, 'redirectUri', /absolute URL/],
    [{ redirectUri: 'https://app.example/cb#frag' }, 'redirectUri', /fragment/],
    [{ assertionLifetimeSeconds: 301 }, 'assertionLifetimeSeconds', /at most 300/],
    [{ assertionLifetimeSeconds: 0 }, 'assertionLifetimeSeconds', /positive/],
    [{ clientId: '' }, 'clientId', /client_id/],
    [{ scopes: [] }, 'scopes', /at least one/],
    [{ scopes: ['pockets.read transfers.read'] }, 'scopes.0', /one token/],
    [{ signingAlgorithm: 'RS256' }, 'signingAlgorithm', /PS256" or "EdDSA/],
    [{ privateKey: keys.edPrivatePem }, 'privateKey', /Ed25519 key: set signingAlgorithm: 'EdDSA'/],
    [
      { privateKey: keys.rsaPrivatePem, signingAlgorithm: 'EdDSA' },
      'privateKey',
      /RSA key: set signingAlgorithm: 'PS256'/,
    ],
    [{ privateKey: keys.edPrivateJwk }, 'privateKey', /signingAlgorithm: 'EdDSA'/],
    [
      { privateKey: keys.rsaPrivatePem.replaceAll('\n', '\\n') },
      'privateKey',
      /literal "\\n" where line breaks belong/,
    ],
    [
      { privateKey: '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----' },
      'privateKey',
      /holds no RSA or Ed25519 private key/,
    ],
    [{ privateKey: keys.ecPrivatePem }, 'privateKey', /EC \(ECDSA\) key/],
    [{ scopes: undefined }, 'scopes', /scopes is required/],
    [{ clientId: undefined }, 'clientId', /clientId is required/],
    [
      { privateKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' },
      'privateKey',
      /public key/,
    ],
    [
      { privateKey: '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----' },
      'privateKey',
      /PKCS#8/,
    ],
    [{ privateKey: { kty: 'RSA', n: 'x', e: 'AQAB' } }, 'privateKey', /public JWK/],
    [{ privateKey: 42 }, 'privateKey', /PEM string, a private JWK or a CryptoKey/],
    [{ tokenEndpoint: 'ftp://x' }, 'tokenEndpoint', /https/],
  ])('refuses %o, naming the field and the fix', (overrides, field, message) => {
    const error = configError(overrides)
    expect(error.field).toBe(field)
    expect(error.message).toMatch(message)
    // A hint adds what to do; it never repeats the message.
    if (error.hint !== undefined) expect(error.message).not.toContain(error.hint)
  })

  it('a missing setting says it is required and shows an example, not zod’s words', () => {
    const error = configError({ scopes: undefined })
    expect(error.message).toBe('Invalid Jiko client configuration: scopes is required')
    expect(error.hint).toBe("Add scopes, e.g. scopes: ['openid', 'pockets.read'] (what to ask Jiko for)")
    expect(`${error.message} ${error.hint}`).not.toMatch(/expected|received|invalid input/i)
  })

  it('never echoes the private key in the error', () => {
    const error = configError({ privateKey: keys.edPrivatePem })
    expect(JSON.stringify(error.toJSON())).not.toContain(keys.edPrivatePem.slice(30, 60))
  })

  it('takes a rotation list: the first key signs, every key is checked now', () => {
    const next = keys.rsaPrivateJwk
    expect(testConfig({ privateKey: [next, keys.rsaPrivatePem] }).privateKey).toBe(next)
    // The key waiting its turn is refused today, not on the day it is promoted.
    const error = configError({ privateKey: [keys.rsaPrivatePem, keys.edPrivatePem] })
    expect(error.field).toBe('privateKey.1')
    expect(error.message).toMatch(/Ed25519 key: set signingAlgorithm: 'EdDSA'/)
    expect(configError({ privateKey: [] }).message).toMatch(/at least one key/)
  })

  it('a missing privateKey says it is required', () => {
    const error = configError({ privateKey: undefined })
    expect(error.message).toBe('Invalid Jiko client configuration: privateKey is required')
  })

  it('accepts a CryptoKey and checks its algorithm', async () => {
    const { privateKey } = await crypto.subtle.generateKey(
      { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    )
    expect(testConfig({ privateKey }).privateKey).toBe(privateKey)
    expect(() => resolveConfig({ ...testConfig(), privateKey, signingAlgorithm: 'EdDSA' })).toThrow(/Ed25519/)
  })
})
