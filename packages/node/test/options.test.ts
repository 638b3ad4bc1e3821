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

describe('createJikoAuth options', () => {
  it('accepts a valid configuration', () => {
    expect(createJikoAuth(valid).basePath).toBe('/auth')
  })

  it.each([
    [{ secret: 'short' }, 'secret', /at least 32 bytes/],
    [{ secret: undefined }, 'secret', /required/],
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
