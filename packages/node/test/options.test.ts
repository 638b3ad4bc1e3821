import { ErrorCode, JikoAuthError } from '@jiko-auth/core'
import { describe, expect, it } from 'vitest'
import { createJikoAuth, type JikoAuthOptions } from '../src/index.js'
import { httpsOptions } from './harness.js'

const valid: JikoAuthOptions = await httpsOptions()

function refused(overrides: Partial<Record<keyof JikoAuthOptions, unknown>>): JikoAuthError {
  try {
    createJikoAuth({ ...valid, ...overrides } as JikoAuthOptions)
  } catch (error) {
    expect(error).toBeInstanceOf(JikoAuthError)
    expect((error as JikoAuthError).code).toBe(ErrorCode.ConfigInvalid)
    return error as JikoAuthError
  }
  throw new Error('expected the options to be refused')
}

describe('a setting that only exists at run time (next build, then next start)', () => {
  it('a missing secret or key does not fail createJikoAuth; the first use throws the same clear error', async () => {
    const auth = createJikoAuth({ ...valid, secret: undefined } as unknown as JikoAuthOptions)
    expect(auth.basePath).toBe('/auth')
    const error = await auth.getAccessToken(new Request('https://app.example/')).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: ErrorCode.ConfigInvalid,
      field: 'secret',
      message: expect.stringMatching(/secret is required/),
    })
    // The handler answers it as an error, it never crashes the server.
    const response = await auth.handler(new Request('https://app.example/auth/session'))
    expect(response.status).toBe(502)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('JIKO_CONFIG_INVALID')
  })

  it('is built on first use once the setting is there', async () => {
    const options = { ...valid, privateKey: undefined } as unknown as JikoAuthOptions
    const auth = createJikoAuth(options)
    ;(options as { privateKey: unknown }).privateKey = valid.privateKey
    expect((await auth.getSession(new Request('https://app.example/'))).authenticated).toBe(false)
  })

  it('a wrong (not missing) setting still fails at once', () => {
    expect(() => createJikoAuth({ ...valid, secret: 'short' })).toThrow(/at least 32 bytes/)
  })
})

describe('createJikoAuth options', () => {
  it('accepts a valid configuration', () => {
    expect(createJikoAuth(valid).basePath).toBe('/auth')
  })

  it.each([
    [{ secret: 'short' }, 'secret', /at least 32 bytes/],
    [{ storage: {} }, 'storage', /AuthStore/],
    [{ basePath: 'auth/' }, 'basePath', /start with "\/"/],
    [{ afterLogoutPath: 'https://evil.example' }, 'afterLogoutPath', /path on this site/],
    [{ issuer: 'http://auth.jiko.io' }, 'issuer', /https/],
    [{ redirectUri: '/auth/callback' }, 'redirectUri', /absolute URL/],
    [{ signingAlgorithm: 'EdDSA' }, 'privateKey', /Ed25519/],
  ])('refuses %o naming the field', (overrides, field, message) => {
    const error = refused(overrides)
    expect(error.field).toBe(field)
    expect(error.message).toMatch(message)
  })

  it('never echoes the secret', () => {
    const error = refused({ secret: 'not-long-enough-secret' })
    expect(JSON.stringify(error.toJSON()) + error.message).not.toContain('not-long-enough-secret')
  })
})
