// Discovery (RFC 8414 / OpenID Connect Discovery 1.0) with HTTP injected: the issuer checked exactly, explicit
// endpoints winning, a cache with a TTL, and a backoff after failures — on a simulated clock.
import { describe, expect, it } from 'vitest'
import { SimulatedClock } from 'xstate'
import { createMetadataCache, ErrorCode, JikoAuthError } from '../src/index.js'
import { ISSUER, json, scriptedFetch, testConfig } from './fixtures.js'

const WELL_KNOWN = `${ISSUER}/.well-known/openid-configuration`
const metadata = (overrides: Record<string, unknown> = {}) => ({
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/oauth/authorize`,
  token_endpoint: `${ISSUER}/oauth/token`,
  revocation_endpoint: `${ISSUER}/oauth/revoke`,
  end_session_endpoint: `${ISSUER}/oauth/logout`,
  userinfo_endpoint: `${ISSUER}/oauth/me`,
  jwks_uri: `${ISSUER}/oauth/jwks`,
  authorization_response_iss_parameter_supported: true,
  ...overrides,
})

function cacheWith(fake: ReturnType<typeof scriptedFetch>, overrides = {}, clock = new SimulatedClock()) {
  return createMetadataCache(testConfig({ discovery: true, revocationEndpoint: undefined, ...overrides }), {
    clock,
    http: { http: fake.http },
  })
}

async function failure(promise: Promise<unknown>): Promise<JikoAuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(JikoAuthError)
  return error as JikoAuthError
}

describe('createMetadataCache', () => {
  it('takes every endpoint from the metadata, and iss becomes required when the server says it sends it', async () => {
    const fake = scriptedFetch({ url: WELL_KNOWN, respond: () => json(metadata()) })
    const config = await cacheWith(fake).resolve()
    expect(config).toMatchObject({
      authorizationEndpoint: `${ISSUER}/oauth/authorize`,
      tokenEndpoint: `${ISSUER}/oauth/token`,
      revocationEndpoint: `${ISSUER}/oauth/revoke`,
      endSessionEndpoint: `${ISSUER}/oauth/logout`,
      userinfoEndpoint: `${ISSUER}/oauth/me`,
      jwksUri: `${ISSUER}/oauth/jwks`,
      authorizationResponseIssParameterSupported: true,
    })
    fake.assertDone()
  })

  it('lets endpoints set in the configuration win over the metadata', async () => {
    const fake = scriptedFetch({ url: WELL_KNOWN, respond: () => json(metadata()) })
    const config = await cacheWith(fake, { tokenEndpoint: `${ISSUER}/mine/token` }).resolve()
    expect(config.tokenEndpoint).toBe(`${ISSUER}/mine/token`)
    expect(config.authorizationEndpoint).toBe(`${ISSUER}/oauth/authorize`)
  })

  it('keeps Jiko’s documented path for an endpoint the metadata leaves out', async () => {
    const fake = scriptedFetch({
      url: WELL_KNOWN,
      respond: () => json(metadata({ revocation_endpoint: undefined })),
    })
    expect((await cacheWith(fake).resolve()).revocationEndpoint).toBe(`${ISSUER}/api/oauth2/revoke`)
  })

  it('refuses metadata naming another issuer, naming the URL and both issuers (a trailing slash differs too)', async () => {
    for (const other of ['https://evil.example', `${ISSUER}/`]) {
      const fake = scriptedFetch({ url: WELL_KNOWN, respond: () => json(metadata({ issuer: other })) })
      const error = await failure(cacheWith(fake).resolve())
      expect(error.code).toBe(ErrorCode.DiscoveryFailed)
      expect(error.message).toContain(WELL_KNOWN)
      expect(error.message).toContain(`"${other}"`)
      expect(error.message).toContain(`"${ISSUER}"`)
    }
  })

  it.each([
    ['an HTML 404', () => new Response('<html>not found</html>', { status: 404 }), 'answered HTTP 404'],
    ['not JSON', () => new Response('{', { status: 200 }), 'is not JSON'],
    ['no token_endpoint', () => json(metadata({ token_endpoint: undefined })), 'token_endpoint'],
    ['a jwks_uri that is not a URL', () => json(metadata({ jwks_uri: 'jwks' })), 'jwks_uri'],
  ])('refuses %s with JIKO_DISCOVERY_FAILED saying what is wrong', async (_name, respond, said) => {
    const fake = scriptedFetch({ url: WELL_KNOWN, respond })
    const error = await failure(cacheWith(fake).resolve())
    expect(error.code).toBe(ErrorCode.DiscoveryFailed)
    expect(error.message).toContain(said)
  })

  it('fetches once for concurrent callers, then serves the cache until the TTL, then fetches again', async () => {
    const clock = new SimulatedClock()
    const fake = scriptedFetch(
      { url: WELL_KNOWN, respond: () => json(metadata()) },
      { url: WELL_KNOWN, respond: () => json(metadata({ token_endpoint: `${ISSUER}/v2/token` })) },
    )
    const cache = cacheWith(fake, {}, clock)
    const first = await Promise.all([cache.resolve(), cache.resolve(), cache.resolve()])
    expect(new Set(first.map((c) => c.tokenEndpoint))).toEqual(new Set([`${ISSUER}/oauth/token`]))
    clock.increment(59 * 60 * 1000)
    expect((await cache.resolve()).tokenEndpoint).toBe(`${ISSUER}/oauth/token`)
    clock.increment(2 * 60 * 1000)
    expect((await cache.resolve()).tokenEndpoint).toBe(`${ISSUER}/v2/token`)
    fake.assertDone()
  })

  it('after a failure, waits 1 s, then 2 s, … before fetching again; stale metadata is used meanwhile', async () => {
    const clock = new SimulatedClock()
    const down = () => new Response('down', { status: 503 })
    const fake = scriptedFetch(
      { url: WELL_KNOWN, respond: down },
      { url: WELL_KNOWN, respond: down },
      { url: WELL_KNOWN, respond: () => json(metadata()) },
      { url: WELL_KNOWN, respond: down },
    )
    const cache = cacheWith(fake, {}, clock)
    expect((await failure(cache.resolve())).code).toBe(ErrorCode.DiscoveryFailed)
    // Within the backoff: the same error, no request (the scripted fetch would fail on an extra one).
    expect((await failure(cache.resolve())).code).toBe(ErrorCode.DiscoveryFailed)
    clock.increment(1000)
    expect((await failure(cache.resolve())).code).toBe(ErrorCode.DiscoveryFailed)
    clock.increment(1000)
    expect((await failure(cache.resolve())).code).toBe(ErrorCode.DiscoveryFailed)
    clock.increment(1000)
    expect((await cache.resolve()).tokenEndpoint).toBe(`${ISSUER}/oauth/token`)
    // Past the TTL the server fails again: the metadata it gave last is kept.
    clock.increment(61 * 60 * 1000)
    expect((await cache.resolve()).tokenEndpoint).toBe(`${ISSUER}/oauth/token`)
    fake.assertDone()
  })

  it('with discovery: false, makes no request and uses Jiko’s documented endpoints', async () => {
    const fake = scriptedFetch()
    const config = await cacheWith(fake, { discovery: false }).resolve()
    expect(config.tokenEndpoint).toBe(`${ISSUER}/api/oauth2/token`)
    expect(config.jwksUri).toBe(`${ISSUER}/api/oauth2/jwks`)
  })
})
