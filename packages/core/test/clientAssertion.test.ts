import { decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { createClientAssertion, importSigningKey } from '../src/index.js'
import { keys, TOKEN_ENDPOINT, testConfig } from './fixtures.js'

describe('createClientAssertion (private_key_jwt per Jiko)', () => {
  const now = Date.UTC(2026, 0, 1)

  it('signs iss = sub = client_id, aud = the token endpoint, exp = iat + lifetime, PS256', async () => {
    const config = testConfig({ assertionLifetimeSeconds: 120 })
    const key = await importSigningKey(config.privateKey, 'PS256')
    const jwt = await createClientAssertion(config, { key, now })
    const { payload, protectedHeader } = await jwtVerify(jwt, keys.rsaPublicKey, {
      algorithms: ['PS256'],
      currentDate: new Date(now),
    })
    expect(protectedHeader).toEqual({ alg: 'PS256', typ: 'JWT' })
    expect(payload).toMatchObject({ iss: 'client-1', sub: 'client-1', aud: TOKEN_ENDPOINT, iat: now / 1000 })
    expect(payload.aud).not.toBe('https://auth.jiko.test')
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120)
    expect(payload.jti).toMatch(/^[\w-]{32}$/)
  })

  it('uses a fresh jti every time', async () => {
    const config = testConfig()
    const key = await importSigningKey(config.privateKey, 'PS256')
    const jtis = new Set<unknown>()
    for (let i = 0; i < 20; i++) {
      const jwt = await createClientAssertion(config, { key, now })
      jtis.add(JSON.parse(atob(jwt.split('.')[1]?.replace(/-/g, '+').replace(/_/g, '/') ?? '')).jti)
    }
    expect(jtis.size).toBe(20)
  })

  it('signs EdDSA with a kid when one is configured', async () => {
    const config = testConfig({ privateKey: keys.edPrivateJwk, signingAlgorithm: 'EdDSA', keyId: 'key-7' })
    const key = await importSigningKey(config.privateKey, 'EdDSA')
    const jwt = await createClientAssertion(config, { key, now })
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'key-7' })
    await expect(jwtVerify(jwt, keys.edPublicKey, { currentDate: new Date(now) })).resolves.toBeTruthy()
  })

  it('refuses a key that cannot be imported, with a typed error and no key material', async () => {
    const broken = '-----BEGIN PRIVATE KEY-----\nMIIBroken\n-----END PRIVATE KEY-----'
    await expect(importSigningKey(broken, 'PS256')).rejects.toMatchObject({
      code: 'JIKO_KEY_INVALID',
      field: 'privateKey',
    })
  })
})
