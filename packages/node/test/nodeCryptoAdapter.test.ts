import { execFile } from 'node:child_process'
import { KeyObject } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createClientAssertion, createPkcePair, importSigningKey, resolveConfig } from '@jiko-auth/core'
import { exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { nodeCryptoAdapter } from '../src/index.js'

const signEveryKeyForm = fileURLToPath(new URL('./fixtures/signEveryKeyForm.ts', import.meta.url))

const configFor = (alg: 'PS256' | 'EdDSA', privateKey: string) =>
  resolveConfig({
    issuer: 'https://auth.jiko.test',
    clientId: 'app',
    redirectUri: 'https://app.example/cb',
    scopes: ['pockets.read'],
    privateKey,
    signingAlgorithm: alg,
  })

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

  it.each(['PS256', 'EdDSA'] as const)(
    'imports a %s PEM or JWK private key with node:crypto (the fast path), and jose verifies what it signs',
    async (alg) => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
      const pem = await exportPKCS8(privateKey)
      const config = configFor(alg, pem)
      for (const input of [pem, await exportJWK(privateKey)]) {
        const key = await nodeCryptoAdapter.importSigningKey?.(input, alg)
        expect(key).toBeInstanceOf(KeyObject)
        const jwt = await createClientAssertion(config, {
          key: key as KeyObject,
          now: Date.now(),
          crypto: nodeCryptoAdapter,
        })
        await expect(jwtVerify(jwt, publicKey, { algorithms: [alg] })).resolves.toBeTruthy()
      }
    },
  )

  it('leaves a key node:crypto does not sign with to jose, which refuses it as before', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
    const ed25519 = await exportPKCS8(privateKey)
    await expect(nodeCryptoAdapter.importSigningKey?.(ed25519, 'PS256')).rejects.toMatchObject({
      code: 'JIKO_KEY_INVALID',
    })
  })

  describe('a CryptoKey', () => {
    afterEach(() => {
      vi.restoreAllMocks()
    })

    it.each(['PS256', 'EdDSA'] as const)(
      'non-extractable (%s) signs in WebCrypto and is never passed to KeyObject.from() (DEP0204 on Node 24)',
      async (alg) => {
        const from = vi.spyOn(KeyObject, 'from')
        const { privateKey, publicKey } = await generateKeyPair(alg)
        const config = configFor(
          alg,
          await exportPKCS8((await generateKeyPair(alg, { extractable: true })).privateKey),
        )
        const key = await nodeCryptoAdapter.importSigningKey?.(privateKey, alg)
        expect(key).toBe(privateKey)
        const jwt = await createClientAssertion(config, {
          key: privateKey,
          now: Date.now(),
          crypto: nodeCryptoAdapter,
        })
        await expect(jwtVerify(jwt, publicKey, { algorithms: [alg] })).resolves.toBeTruthy()
        expect(from).not.toHaveBeenCalled()
      },
    )

    it('extractable is turned into a KeyObject once and signed with node:crypto', async () => {
      const from = vi.spyOn(KeyObject, 'from')
      const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true })
      const config = configFor('PS256', await exportPKCS8(privateKey))
      for (let round = 0; round < 2; round++) {
        const jwt = await createClientAssertion(config, {
          key: privateKey,
          now: Date.now(),
          crypto: nodeCryptoAdapter,
        })
        await expect(jwtVerify(jwt, publicKey, { algorithms: ['PS256'] })).resolves.toBeTruthy()
      }
      expect(from).toHaveBeenCalledTimes(1)
    })
  })

  it('signs with every form of key without a deprecation from Node (spawned with --throw-deprecation)', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          ['--throw-deprecation', '--import', 'tsx', signEveryKeyForm],
          { timeout: 50_000 },
          (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
        )
      },
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout.trim()).toBe('signed 10')
  }, 60_000)

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
