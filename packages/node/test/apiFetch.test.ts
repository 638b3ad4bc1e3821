// auth.fetch: the signed-in user's calls to an API on a real node:http server, with the emulator behind the tokens:
// Bearer, one shared refresh and one retry on 401 invalid_token, nothing else retried.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, requestFrom, signIn, startApp, type TestApp } from './harness.js'

let app: TestApp
let api: Server
let apiUrl: string
/** What the API saw: each request's method, path, token and body. */
const seen: { method: string; path: string; token: string; body: string }[] = []
/** Tokens the API refuses with 401 invalid_token. */
const refused = new Set<string>()
let answer: 'ok' | 'fail' | 'drop' | 'refuse' = 'ok'

async function bodyOf(req: IncomingMessage) {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

beforeAll(async () => {
  app = await startApp()
  api = createServer(async (req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    seen.push({ method: req.method ?? '', path: req.url ?? '', token, body: await bodyOf(req) })
    if (answer === 'drop') return req.socket.destroy()
    if (answer === 'fail') return res.writeHead(500).end('{"error":"server_error"}')
    if (refused.has(token) || answer === 'refuse') {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token", error_description="revoked"' })
      return res.end()
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: true, path: req.url }))
  })
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve) => api.close(() => resolve()))
  await app.stop()
})

async function signedIn() {
  const browser = new Browser()
  await signIn(app, browser)
  const request = requestFrom(app, browser)
  return { request, token: await app.auth.getAccessToken(request) }
}

describe('auth.fetch', () => {
  it('calls the API with the user’s access token as Bearer', async () => {
    const { request, token } = await signedIn()
    seen.length = 0
    const response = await app.auth.fetch(request, `${apiUrl}/v2/pockets`)
    expect(await response.json()).toEqual({ ok: true, path: '/v2/pockets' })
    expect(seen).toEqual([{ method: 'GET', path: '/v2/pockets', token, body: '' }])
  })

  it('on 401 invalid_token: one refresh for 100 concurrent calls, each retried once with the new token', async () => {
    const { request, token } = await signedIn()
    refused.add(token)
    seen.length = 0
    app.emulator.stats.reset()
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        app.auth.fetch(request, `${apiUrl}/v2/transfers`, { method: 'POST', body: `{"n":${i}}` }),
      ),
    )
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200))
    expect(app.emulator.stats.grants.refresh_token).toBe(1)
    const fresh = await app.auth.getAccessToken(request)
    expect(fresh).not.toBe(token)
    // Each call: once with the old token, once with the new one, the very same body both times.
    expect(seen).toHaveLength(200)
    expect(seen.filter((s) => s.token === token)).toHaveLength(100)
    expect(seen.filter((s) => s.token === fresh)).toHaveLength(100)
    for (let i = 0; i < 100; i++) {
      expect(seen.filter((s) => s.body === `{"n":${i}}`).map((s) => s.method)).toEqual(['POST', 'POST'])
    }
  })

  it('a second 401 after the retry is answered as it is: one refresh, one retry, no loop', async () => {
    const { request } = await signedIn()
    const before = app.refreshTokens.length
    try {
      answer = 'refuse'
      seen.length = 0
      const response = await app.auth.fetch(request, `${apiUrl}/v2/pockets`)
      expect(response.status).toBe(401)
      expect(seen).toHaveLength(2)
      expect(app.refreshTokens.length).toBe(before + 1)
    } finally {
      answer = 'ok'
    }
  })

  it('retries nothing else: a 500 is answered as it is, a dropped connection is JIKO_NETWORK_ERROR, each sent once', async () => {
    const { request } = await signedIn()
    try {
      answer = 'fail'
      seen.length = 0
      expect(
        (await app.auth.fetch(request, `${apiUrl}/v2/transfers`, { method: 'POST', body: '{}' })).status,
      ).toBe(500)
      expect(seen).toHaveLength(1)
      answer = 'drop'
      seen.length = 0
      const error = await app.auth
        .fetch(request, `${apiUrl}/v2/transfers`, { method: 'POST', body: '{}' })
        .catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'JIKO_NETWORK_ERROR' })
      expect(seen).toHaveLength(1)
    } finally {
      answer = 'ok'
    }
  })

  it('without a session: JIKO_UNAUTHENTICATED, and the API is never called', async () => {
    seen.length = 0
    const error = await app.auth
      .fetch(new Request(app.origin), `${apiUrl}/v2/pockets`)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'JIKO_UNAUTHENTICATED' })
    expect(seen).toHaveLength(0)
  })
})

describe('auth.fetch with apiSigning, against the emulator’s API (which verifies RFC 9421 on its own)', () => {
  it.each(['ecdsa-p256-sha256', 'ed25519'] as const)(
    '%s: GET and POST pass; unsigned is refused',
    async (alg) => {
      const pair = await generateKeyPair(alg === 'ed25519' ? 'EdDSA' : 'ES256', { extractable: true })
      const registration = {
        apiPublicKey: { keyId: 'api-1', key: await exportSPKI(pair.publicKey), alg },
      }
      const scopes = ['openid', 'pockets.read', 'transfers.write']
      const signing = await startApp({
        scopes,
        registration,
        apiSigning: { privateKey: await exportPKCS8(pair.privateKey), keyId: 'api-1', alg },
      })
      try {
        const browser = new Browser()
        await signIn(signing, browser)
        const request = requestFrom(signing, browser)
        const pockets = await signing.auth.fetch(request, `${signing.emulator.issuer}/api/pockets`)
        expect(pockets.status).toBe(200)
        const transfer = await signing.auth.fetch(
          request,
          `${signing.emulator.issuer}/api/v2/pockets/transfers`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              from: 'pkt_alice_main',
              to: 'pkt_alice_savings',
              amount: '10.00',
              currency: 'USD',
            }),
          },
        )
        expect(transfer.status).toBe(201)
        expect(await transfer.json()).toMatchObject({ status: 'pending', amount: '10.00' })
        expect(signing.emulator.stats.signedApiRequests).toBe(2)
        // The same user's token without a signature: Jiko's API refuses it, and says why.
        const token = await signing.auth.getAccessToken(request)
        const unsigned = await fetch(`${signing.emulator.issuer}/api/pockets`, {
          headers: { authorization: `Bearer ${token}` },
        })
        expect(unsigned.status).toBe(401)
        expect(((await unsigned.json()) as { error: string }).error).toBe('invalid_signature')
      } finally {
        await signing.stop()
      }
    },
  )
})
