// RFC 9700 §4.11: returnTo is decided on the value sent in Location, after every normalisation.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_RETURN_TO_LENGTH, safeReturnTo } from '../src/safeReturnTo.js'

const RUNS = 10_000
const APP_ORIGIN = 'https://app.example'
/** Where the browser is when it follows the Location: the callback page. */
const CALLBACK_URL = `${APP_ORIGIN}/auth/callback?code=x&state=y`

/** What the property requires of every answer. */
function expectSafe(result: string) {
  if (result === '/') return
  expect(result[0]).toBe('/')
  expect(result[1]).not.toBe('/')
  expect(result[1]).not.toBe('\\')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be absent
  expect(result).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
  expect(result.length).toBeLessThanOrEqual(MAX_RETURN_TO_LENGTH)
  // A browser resolves Location against the page it is on: it must stay on the app.
  expect(new URL(result, CALLBACK_URL).origin).toBe(APP_ORIGIN)
  // And it can be sent as a header at all.
  expect(() => new Headers({ location: result })).not.toThrow()
}

/** Strings built from the pieces redirect payloads are made of, so that the hard cases are frequent. */
const payload = fc
  .array(
    fc.constantFrom(
      '/',
      '//',
      '\\',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '%00',
      '%0d%0a',
      '\t',
      '\n',
      '\r',
      ' ',
      '\u0000',
      '\u007f',
      '\u0085',
      '\u3002',
      '\uff0f',
      '@',
      ':',
      '?',
      '#',
      'evil.example',
      'app.example',
      'https:',
      'javascript:',
      'a',
      'é',
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''))

describe('safeReturnTo', () => {
  it.each([
    // Absolute and scheme-relative URLs, schemes.
    ['https://evil.example/', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['\\/evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['https://app.example/ok', '/'],
    // Dot segments that collapse into a scheme-relative path once the URL parser has removed them.
    ['/.//evil.example', '/'],
    ['/..//evil.example', '/'],
    ['/a/..//evil.example', '/'],
    ['/a/b/../..//evil.example', '/'],
    ['/./\\evil.example', '/'],
    // The same, percent-encoded: the URL parser reads %2e as a dot in a path segment.
    ['/%2e//evil.example', '/'],
    ['/%2E%2E//evil.example', '/'],
    ['/a/%2e%2e//evil.example', '/'],
    ['/.%2e//evil.example', '/'],
    // Characters the parser strips or rewrites.
    ['/\t/evil.example', '/'],
    ['/\n/evil.example', '/'],
    ['/\r\n/evil.example', '/'],
    ['/.\t//evil.example', '/'],
    ['\u0000/ok', '/'],
    ['/ok\u0000', '/'],
    // Kept: same-origin paths, normalised as a browser would.
    ['/', '/'],
    ['/account?tab=1#top', '/account?tab=1#top'],
    ['/a/../b', '/b'],
    ['/%2e%2e/b', '/b'],
    ['/a/%2f/evil.example', '/a/%2f/evil.example'],
    ['/a//b', '/a//b'],
    ['/café', '/caf%C3%A9'],
    ['/a b', '/a%20b'],
  ])('%j → %j', (input, expected) => {
    expect(safeReturnTo(input, APP_ORIGIN)).toBe(expected)
  })

  it('answers "/" for more than 2 KB, before or after percent-encoding', () => {
    expect(safeReturnTo(`/${'a'.repeat(MAX_RETURN_TO_LENGTH - 1)}`, APP_ORIGIN)).toHaveLength(
      MAX_RETURN_TO_LENGTH,
    )
    expect(safeReturnTo(`/${'a'.repeat(MAX_RETURN_TO_LENGTH)}`, APP_ORIGIN)).toBe('/')
    // 1,000 characters, 9,000 once encoded.
    expect(safeReturnTo(`/${'é'.repeat(1000)}`, APP_ORIGIN)).toBe('/')
  })

  it('answers "/" without a value', () => {
    expect(safeReturnTo(undefined, APP_ORIGIN)).toBe('/')
    expect(safeReturnTo(null, APP_ORIGIN)).toBe('/')
    expect(safeReturnTo('', APP_ORIGIN)).toBe('/')
  })

  it(`property: any string gives "/" or a path that stays on the app (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (input) => {
        expectSafe(safeReturnTo(input, APP_ORIGIN))
      }),
      { numRuns: RUNS },
    )
  })

  it(`property: any string built from redirect payload pieces, after a "/" (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(payload, (input) => {
        expectSafe(safeReturnTo(`/${input}`, APP_ORIGIN))
      }),
      { numRuns: RUNS },
    )
  })

  it(`property: a kept path is kept unchanged when given again (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          payload.map((p) => `/${p}`),
          fc.string({ unit: 'grapheme' }),
        ),
        (input) => {
          const once = safeReturnTo(input, APP_ORIGIN)
          expect(safeReturnTo(once, APP_ORIGIN)).toBe(once)
        },
      ),
      { numRuns: RUNS },
    )
  })
})
