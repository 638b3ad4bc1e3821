import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ROUTES, type RunningEmulator } from '../src/index.js'
import { ASSERTION_TYPE, assertion, login, refresh, startTestEmulator } from './handClient.js'

let emulator: RunningEmulator
let discoveryUrl: string
beforeAll(async () => {
  emulator = await startTestEmulator()
  discoveryUrl = `${emulator.issuer}/.well-known/openid-configuration`
})
afterEach(() => emulator.faults.reset())
afterAll(() => emulator.stop())

const metadata = async () => (await (await fetch(discoveryUrl)).json()) as Record<string, unknown>
const post = (fault: unknown) =>
  fetch(`${emulator.issuer}/__emulator/faults`, { method: 'POST', body: JSON.stringify(fault) })

describe('discovery document', () => {
  it('lists every endpoint and capability the client reads', async () => {
    const doc = await metadata()
    const at = (route: string) => `${emulator.issuer}${route}`
    expect(doc).toMatchObject({
      issuer: emulator.issuer,
      authorization_endpoint: at(ROUTES.authorization),
      token_endpoint: at(ROUTES.token),
      revocation_endpoint: at(ROUTES.revocation),
      end_session_endpoint: at(ROUTES.end_session),
      userinfo_endpoint: at(ROUTES.userinfo),
      jwks_uri: at(ROUTES.jwks),
      authorization_response_iss_parameter_supported: true,
      id_token_signing_alg_values_supported: ['RS256'],
    })
  })
})

describe('faults.discovery', () => {
  it('status: answers that status with an HTML body, every time, until cleared', async () => {
    emulator.faults.discovery({ type: 'status', status: 503 })
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(discoveryUrl)
      expect(answer.status).toBe(503)
      expect(answer.headers.get('content-type')).toMatch(/^text\/html/)
      expect(await answer.text()).toContain('<html>')
    }
    emulator.faults.discovery(undefined)
    expect((await fetch(discoveryUrl)).status).toBe(200)
  })

  it('issuer: the real metadata with only issuer replaced', async () => {
    const real = await metadata()
    emulator.faults.discovery({ type: 'issuer', issuer: 'https://evil.example' })
    expect(await metadata()).toEqual({ ...real, issuer: 'https://evil.example' })
    expect(await metadata()).toMatchObject({ issuer: 'https://evil.example' })
  })

  it('drop: destroys the connection, until reset()', async () => {
    emulator.faults.discovery({ type: 'drop' })
    await expect(fetch(discoveryUrl)).rejects.toThrow(/fetch failed/)
    await expect(fetch(discoveryUrl)).rejects.toThrow(/fetch failed/)
    emulator.faults.reset()
    expect((await fetch(discoveryUrl)).status).toBe(200)
  })

  it('leaves the other routes alone', async () => {
    emulator.faults.discovery({ type: 'status', status: 500 })
    expect((await fetch(`${emulator.issuer}${ROUTES.jwks}`)).status).toBe(200)
    expect((await login(emulator)).status).toBe(200)
  })

  it('is driven by POST /__emulator/faults (fault: null clears it)', async () => {
    expect((await post({ type: 'discovery', fault: { type: 'status', status: 502 } })).status).toBe(200)
    expect((await fetch(discoveryUrl)).status).toBe(502)
    expect(
      (await post({ type: 'discovery', fault: { type: 'issuer', issuer: 'https://x.example' } })).status,
    ).toBe(200)
    expect((await metadata()).issuer).toBe('https://x.example')
    await post({ type: 'discovery', fault: null })
    expect((await metadata()).issuer).toBe(emulator.issuer)
    const bad = await post({ type: 'discovery', fault: { type: 'teapot' } })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error_description: string }).error_description).toMatch(
      /"status", "issuer" or "drop"/,
    )
  })
})

describe('stats', () => {
  async function revoke(tokenValue: string) {
    return fetch(`${emulator.issuer}${ROUTES.revocation}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: tokenValue,
        client_id: 'hand-ps256',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(emulator),
      }),
    })
  }

  it('counts JWKS, discovery (faulted too) and revocation requests (refused too); reset() zeroes them', async () => {
    const first = await login(emulator)
    emulator.stats.reset()
    await fetch(`${emulator.issuer}${ROUTES.jwks}`)
    await fetch(discoveryUrl)
    emulator.faults.discovery({ type: 'status', status: 500 })
    await fetch(discoveryUrl)
    await fetch(`${emulator.issuer}/.well-known/oauth-authorization-server`)
    expect((await revoke(first.body.refresh_token as string)).status).toBe(200)
    expect((await fetch(`${emulator.issuer}${ROUTES.revocation}`, { method: 'POST' })).status).toBe(400)
    expect(emulator.stats).toMatchObject({ jwksRequests: 1, discoveryRequests: 3, revocations: 2 })
    expect((await refresh(emulator, first.body.refresh_token as string)).body.error).toBe('invalid_grant')

    const answer = (await (await fetch(`${emulator.issuer}/__emulator/stats`)).json()) as Record<
      string,
      unknown
    >
    expect(answer).toEqual({
      grants: {},
      tokenRequests: 1,
      jwksRequests: 1,
      discoveryRequests: 3,
      revocations: 2,
      apiRequests: 0,
      signedApiRequests: 0,
      dpopProofs: 0,
      replayedDpopProofs: 0,
    })

    emulator.stats.reset()
    expect(emulator.stats).toMatchObject({
      grants: {},
      tokenRequests: 0,
      jwksRequests: 0,
      discoveryRequests: 0,
      revocations: 0,
    })
  })
})
