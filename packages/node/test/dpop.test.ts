// DPoP (RFC 9449) for signed-in users, against the emulator (oidc-provider, nonces on): the code exchange and every
// refresh prove the session's key, the tokens are DPoP-bound, and auth.fetch calls the API with proofs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, bodyOf, postFromPage, requestFrom, signIn, startApp, type TestApp } from './harness.js'

let app: TestApp
beforeAll(async () => {
  app = await startApp({ dpop: true })
})
afterAll(() => app.stop())

describe('DPoP for a signed-in user', () => {
  it('signs in (through the nonce retry) with a DPoP-bound token, refreshes with proofs, and calls the API', async () => {
    const browser = new Browser()
    app.emulator.stats.reset()
    await signIn(app, browser)
    const request = requestFrom(app, browser)
    const token = await app.auth.getAccessToken(request)
    // The access token is bound to the session's key (cnf.jkt): as a Bearer token the API refuses it.
    const asBearer = await fetch(`${app.emulator.issuer}/api/pockets`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(asBearer.status).toBe(401)
    const pockets = await app.auth.fetch(request, `${app.emulator.issuer}/api/pockets`)
    expect(pockets.status).toBe(200)
    expect(app.emulator.stats.dpopProofs).toBe(1)
    // A refresh proves the same key; the new token works with a new proof.
    expect((await postFromPage(app, browser, 'refresh')).status).toBe(200)
    const refreshed = await app.auth.getAccessToken(request)
    expect(refreshed).not.toBe(token)
    expect((await app.auth.fetch(request, `${app.emulator.issuer}/api/pockets`)).status).toBe(200)
    expect(app.emulator.stats.dpopProofs).toBe(2)
  })

  it('keeps the DPoP key on the server only: the browser never sees it', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const session = await bodyOf(await browser.fetch(`${app.origin}/auth/session`))
    expect(JSON.stringify(session)).not.toMatch(/dpop|"d":|"kty"/i)
    for (const seen of browser.seen) expect(`${seen.headers}\n${seen.body}`).not.toMatch(/"d":"|dpopKey/)
  })
})

describe('DPoP nonces at the API', () => {
  it('an API that wants a nonce: one retry with it, then the nonce is kept for the next call', async () => {
    const strict = await startApp({ dpop: true, emulator: { dpopNonces: { token: true, api: true } } })
    try {
      const browser = new Browser()
      await signIn(strict, browser)
      const request = requestFrom(strict, browser)
      strict.emulator.stats.reset()
      expect((await strict.auth.fetch(request, `${strict.emulator.issuer}/api/pockets`)).status).toBe(200)
      expect((await strict.auth.fetch(request, `${strict.emulator.issuer}/api/pockets`)).status).toBe(200)
      // Three requests reached the API: the first without a nonce (refused), its retry, and the next call.
      expect(strict.emulator.stats.apiRequests).toBe(3)
      expect(strict.emulator.stats.dpopProofs).toBe(2)
    } finally {
      await strict.stop()
    }
  })
})
