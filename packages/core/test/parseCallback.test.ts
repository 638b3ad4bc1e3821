import { describe, expect, it } from 'vitest'
import { ErrorCode, JikoAuthError, OAuthResponseError, parseCallback } from '../src/index.js'
import { ISSUER } from './fixtures.js'

const expected = { state: 'state-123', issuer: ISSUER }
const base = 'https://app.example/auth/callback'

function failure(input: string): JikoAuthError {
  try {
    parseCallback(input, expected)
  } catch (error) {
    expect(error).toBeInstanceOf(JikoAuthError)
    return error as JikoAuthError
  }
  throw new Error('expected the callback to be refused')
}

describe('parseCallback', () => {
  it('returns the code of a valid callback (URL, query string or params)', () => {
    expect(parseCallback(`${base}?code=c1&state=state-123`, expected)).toEqual({
      code: 'c1',
      state: 'state-123',
      iss: undefined,
    })
    expect(parseCallback('?code=c1&state=state-123', expected).code).toBe('c1')
    expect(parseCallback('code=c1&state=state-123', expected).code).toBe('c1')
    expect(parseCallback(new URL(`${base}?code=c1&state=state-123`), expected).code).toBe('c1')
    expect(parseCallback(new URLSearchParams({ code: 'c1', state: 'state-123' }), expected).code).toBe('c1')
  })

  it('refuses a state mismatch or a missing state (CSRF)', () => {
    expect(failure(`${base}?code=c1&state=other`).code).toBe(ErrorCode.StateMismatch)
    expect(failure(`${base}?code=c1&state=state-1234`).code).toBe(ErrorCode.StateMismatch)
    expect(failure(`${base}?code=c1`).code).toBe(ErrorCode.StateMismatch)
  })

  it('checks state before surfacing an error response', () => {
    expect(failure(`${base}?error=access_denied&state=forged`).code).toBe(ErrorCode.StateMismatch)
  })

  it('turns error= into OAuthResponseError keeping error, error_description and error_uri', () => {
    const error = failure(
      `${base}?error=access_denied&error_description=The+user+said+no&error_uri=https%3A%2F%2Fx&state=state-123`,
    )
    expect(error).toBeInstanceOf(OAuthResponseError)
    expect(error.code).toBe(ErrorCode.AuthorizationError)
    expect(error).toMatchObject({
      error: 'access_denied',
      error_description: 'The user said no',
      error_uri: 'https://x',
    })
  })

  it('checks iss when present (RFC 9207)', () => {
    expect(
      parseCallback(`${base}?code=c&state=state-123&iss=${encodeURIComponent(ISSUER)}`, expected).iss,
    ).toBe(ISSUER)
    expect(failure(`${base}?code=c&state=state-123&iss=https%3A%2F%2Fevil.example`).code).toBe(
      ErrorCode.IssuerMismatch,
    )
  })

  it('compares iss to the issuer exactly: a trailing slash, another case or another port is another issuer', () => {
    for (const near of [`${ISSUER}/`, ISSUER.toUpperCase(), `${ISSUER}:443`, `${ISSUER}/.`, ` ${ISSUER}`]) {
      expect(failure(`${base}?code=c&state=state-123&iss=${encodeURIComponent(near)}`).code).toBe(
        ErrorCode.IssuerMismatch,
      )
    }
  })

  it('accepts a callback without iss by default (Jiko sends none), refuses it when iss is required (RFC 9207 §2.4)', () => {
    expect(parseCallback(`${base}?code=c&state=state-123`, expected).code).toBe('c')
    const required = { ...expected, requireIssuer: true }
    let error: unknown
    try {
      parseCallback(`${base}?code=c&state=state-123`, required)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(JikoAuthError)
    expect((error as JikoAuthError).code).toBe(ErrorCode.IssuerMismatch)
    expect(
      parseCallback(`${base}?code=c&state=state-123&iss=${encodeURIComponent(ISSUER)}`, required).code,
    ).toBe('c')
  })

  it.each(['code', 'state', 'iss', 'error'])('refuses a duplicated %s parameter', (name) => {
    const error = failure(
      `${base}?code=c&state=state-123&iss=${encodeURIComponent(ISSUER)}&error=x&${name}=again`,
    )
    expect(error.code).toBe(ErrorCode.CallbackInvalid)
    expect(error.message).toContain(name)
  })

  it('refuses a callback with neither code nor error', () => {
    expect(failure(`${base}?state=state-123`).code).toBe(ErrorCode.CallbackInvalid)
    expect(failure(`${base}?state=state-123&code=`).code).toBe(ErrorCode.CallbackInvalid)
  })

  it('never puts the code in the error message', () => {
    const error = failure(`${base}?code=SECRET-CODE&state=wrong`)
    expect(JSON.stringify(error.toJSON())).not.toContain('SECRET-CODE')
  })
})
