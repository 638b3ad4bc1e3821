// Hostile cookies, generated: the handler and getAccessToken answer with our typed results only, never a 5xx.
import { ErrorCode, JikoAuthError } from '@jiko-auth/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createJikoAuth } from '../src/index.js'
import { httpsOptions } from './harness.js'

const RUNS = 10_000
const auth = createJikoAuth(await httpsOptions())

const cookieName = fc.oneof(
  fc.constantFrom('__Host-jiko-session', 'jiko-session', '__Host-jiko-tx-abc', ''),
  fc.string({ maxLength: 20 }),
)
const cookieValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.stringMatching(/^[\w-]{43}\.[\w+/]{43}$/),
  fc.string({ unit: 'binary', maxLength: 40 }),
)
const cookieHeader = fc.oneof(
  fc
    .array(fc.tuple(cookieName, cookieValue), { maxLength: 6 })
    .map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join('; ')),
  fc.string({ maxLength: 200 }),
)

/** A request carrying the Cookie header, or undefined when no client could send that header value. */
function withCookie(url: string, cookie: string): Request | undefined {
  const headers = new Headers()
  try {
    headers.set('cookie', cookie)
  } catch {
    return undefined
  }
  return new Request(url, { headers })
}

describe('property: cookie parsing', () => {
  it(`GET /session with any Cookie header answers idle, never an error (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(cookieHeader, async (cookie) => {
        const request = withCookie('https://app.example/auth/session', cookie)
        if (!request) return
        const response = await auth.handler(request)
        expect(response.status).toBe(200)
        expect(((await response.json()) as { authenticated: boolean }).authenticated).toBe(false)
      }),
      { numRuns: RUNS },
    )
  })

  it(`getAccessToken with any Cookie header throws JIKO_UNAUTHENTICATED only (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(cookieHeader, async (cookie) => {
        const request = withCookie('https://app.example/', cookie)
        if (!request) return
        const error = await auth.getAccessToken(request).catch((e) => e)
        expect(error).toBeInstanceOf(JikoAuthError)
        expect((error as JikoAuthError).code).toBe(ErrorCode.Unauthenticated)
      }),
      { numRuns: RUNS },
    )
  })
})
