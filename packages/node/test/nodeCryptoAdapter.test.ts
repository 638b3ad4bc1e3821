import { createClientAssertion, createPkcePair, importSigningKey, resolveConfig } from '@jiko-auth/core'
import { exportPKCS8, generateKeyPair, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { nodeCryptoAdapter } from '../src/index.js'

describe('nodeCryptoAdapter (the node:crypto fast path)', () => {
  it.each(['PS256', 'EdDSA'] as const)('signs %s client assertions that jose verifies', async (alg) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    const config = resolveConfig({
      issuer: 'https://auth.jiko.test',
      clientId: 'app',
      redirectUri: 'https://app.example/cb',
      scopes: ['pockets.read'],
      privateKey: await exportPKCS8(privateKey),
      signingAlgorithm: alg,
      keyId: 'k1',
    })
    const key = await importSigningKey(config.privateKey, alg)
    const now = Date.now()
    const jwt = await createClientAssertion(config, { key, now, crypto: nodeCryptoAdapter })
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, { algorithms: [alg] })
    expect(protectedHeader).toEqual({ alg, typ: 'JWT', kid: 'k1' })
    expect(payload).toMatchObject({ iss: 'app', sub: 'app', aud: 'https://auth.jiko.test/api/oauth2/token' })
  })

  it('computes the RFC 7636 Appendix B challenge and fresh verifiers', async () => {
    const octets = new Uint8Array([
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214,
      191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ])
    const pair = await createPkcePair({ ...nodeCryptoAdapter, randomBytes: () => octets })
    expect(pair.challenge).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    expect(nodeCryptoAdapter.randomBytes(32)).not.toEqual(nodeCryptoAdapter.randomBytes(32))
  })
})
