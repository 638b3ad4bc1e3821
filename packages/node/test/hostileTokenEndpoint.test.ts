// A hostile or broken token endpoint (the emulator's faults): every answer becomes a typed error with a stable
// code, and the stored session is left exactly as it was, so the next refresh works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, bodyOf, postFromPage, signIn, startApp, type TestApp } from './harness.js'

let app: TestApp
let browser: Browser
beforeAll(async () => {
  app = await startApp({ http: { timeoutMs: 500 } })
  browser = new Browser()
  await signIn(app, browser)
})
afterAll(() => app.stop())

const refresh = () => postFromPage(app, browser, 'refresh')

async function expectTypedFailureAndIntactSession(code: string, status: number) {
  app.emulator.stats.reset()
  const response = await refresh()
  expect(response.status).toBe(status)
  const text = await response.clone().text()
  expect((await bodyOf(response)).error.code).toBe(code)
  // The server's own words (error_description) stay in the logs, never in the browser's answer.
  expect(text).not.toContain('oops')
  expect((await bodyOf(await browser.fetch(`${app.origin}/auth/session`))).authenticated).toBe(true)
  app.emulator.faults.reset()
  // The refresh token was not spent: a normal refresh goes through.
  expect((await refresh()).status).toBe(200)
  expect(app.emulator.stats.grants.refresh_token).toBe(1)
}

describe('hostile token endpoint', () => {
  it('HTML 502 → JIKO_HTTP_ERROR', async () => {
    app.emulator.faults.failTokenRequests({ status: 502 })
    await expectTypedFailureAndIntactSession('JIKO_HTTP_ERROR', 502)
  })

  it('truncated JSON → JIKO_INVALID_RESPONSE', async () => {
    app.emulator.faults.malformedJson()
    await expectTypedFailureAndIntactSession('JIKO_INVALID_RESPONSE', 502)
  })

  it('200 with an error body → JIKO_OAUTH_ERROR', async () => {
    app.emulator.faults.respondWith({
      status: 200,
      body: '{"error":"server_error","error_description":"oops"}',
    })
    await expectTypedFailureAndIntactSession('JIKO_OAUTH_ERROR', 502)
  })

  it('token_type not Bearer → JIKO_INVALID_RESPONSE', async () => {
    app.emulator.faults.respondWith({
      status: 200,
      body: JSON.stringify({ access_token: 'x', token_type: 'mac', expires_in: 900, refresh_token: 'r' }),
    })
    await expectTypedFailureAndIntactSession('JIKO_INVALID_RESPONSE', 502)
  })

  it('a huge body is capped → JIKO_RESPONSE_TOO_LARGE', async () => {
    app.emulator.faults.respondWith({ status: 200, body: `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}` })
    await expectTypedFailureAndIntactSession('JIKO_RESPONSE_TOO_LARGE', 502)
  })

  it('a server that never answers → JIKO_TIMEOUT', async () => {
    app.emulator.faults.delay(3000)
    await expectTypedFailureAndIntactSession('JIKO_TIMEOUT', 502)
  })

  it('connection reset → JIKO_NETWORK_ERROR', async () => {
    app.emulator.faults.dropConnection()
    await expectTypedFailureAndIntactSession('JIKO_NETWORK_ERROR', 502)
  })

  it('429 with a short Retry-After is retried once; a second 429 is not (no retry storm)', async () => {
    app.emulator.stats.reset()
    app.emulator.faults.failTokenRequests({ status: 429, retryAfterSeconds: 1 })
    expect((await refresh()).status).toBe(200)
    expect(app.emulator.stats.tokenRequests).toBe(2)
    app.emulator.stats.reset()
    app.emulator.faults.failTokenRequests({ status: 429, retryAfterSeconds: 1, count: 5 })
    const limited = await refresh()
    expect(limited.status).toBe(429)
    expect((await bodyOf(limited)).error.code).toBe('JIKO_RATE_LIMITED')
    expect(app.emulator.stats.tokenRequests).toBe(2)
    app.emulator.faults.reset()
    expect((await refresh()).status).toBe(200)
  })
})
