// Hostile inputs, generated: whatever arrives, only our typed errors come out (no TypeError, no crash), and no
// input value is echoed in a message.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JikoAuthError, parseCallback, parseTokenResponse } from '../src/index.js'

const RUNS = 10_000
const expected = { state: 'the-state', issuer: 'https://auth.jiko.test' }

function onlyTypedErrors(run: () => unknown) {
  try {
    run()
  } catch (error) {
    if (!(error instanceof JikoAuthError)) throw error
  }
}

const paramName = fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'x', '')
const paramValue = fc.oneof(
  fc.string(),
  fc.constant('the-state'),
  fc.constant('https://auth.jiko.test'),
  fc.string({ unit: 'binary' }),
)

describe('property: callback parsing', () => {
  it(`never throws anything but JikoAuthError (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(paramName, paramValue), { maxLength: 8 }), (pairs) => {
        const query = new URLSearchParams(pairs).toString()
        onlyTypedErrors(() => parseCallback(`https://app.example/cb?${query}`, expected))
        onlyTypedErrors(() => parseCallback(query, expected))
      }),
      { numRuns: RUNS },
    )
  })

  it(`accepts exactly the single-valued, matching, code-bearing callbacks (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.boolean(), (code, withIss) => {
        const params = new URLSearchParams({ code, state: 'the-state' })
        if (withIss) params.set('iss', expected.issuer)
        expect(parseCallback(params, expected).code).toBe(code)
      }),
      { numRuns: RUNS },
    )
  })

  it(`never echoes raw input in an error message (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\w-]{12,40}$/), (secret) => {
        try {
          parseCallback(new URLSearchParams({ code: secret, state: `${secret}x` }), expected)
        } catch (error) {
          expect(JSON.stringify((error as JikoAuthError).toJSON())).not.toContain(secret)
        }
      }),
      { numRuns: RUNS },
    )
  })
})

describe('property: token response validation', () => {
  const field = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(fc.string(), { maxLength: 2 }),
  )
  const body = fc.oneof(
    fc.record(
      {
        access_token: field,
        token_type: fc.oneof(field, fc.constantFrom('Bearer', 'bearer', 'BEARER', 'mac')),
        expires_in: fc.oneof(field, fc.integer({ min: -5, max: 100_000 })),
        refresh_token: field,
        scope: field,
        id_token: field,
      },
      { requiredKeys: [] },
    ),
    fc.anything(),
  )

  it(`never throws anything but JikoAuthError, and what it accepts is well-formed (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(body, (json) => {
        try {
          const tokens = parseTokenResponse(json, { now: 0 })
          expect(tokens.accessToken.length).toBeGreaterThan(0)
          expect(Number.isInteger(tokens.expiresAt) && tokens.expiresAt > 0).toBe(true)
          expect(tokens.tokenType).toBe('Bearer')
        } catch (error) {
          if (!(error instanceof JikoAuthError)) throw error
          expect(error.code).toBe('JIKO_INVALID_RESPONSE')
        }
      }),
      { numRuns: RUNS },
    )
  })
})
