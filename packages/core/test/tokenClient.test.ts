import { describe, expect, it } from 'vitest'
import {
  CLIENT_ASSERTION_TYPE,
  createTokenClient,
  ErrorCode,
  JikoAuthError,
  OAuthResponseError,
  parseTokenResponse,
  type TokenSet,
} from '../src/index.js'
import { ISSUER, json, scriptedFetch, TOKEN_ENDPOINT, testConfig, tokenBody } from './fixtures.js'

const config = testConfig()
const clock = { now: () => 1_000_000, setTimeout, clearTimeout }
const previous: TokenSet = {
  accessToken: 'access-OLD',
  tokenType: 'Bearer',
  issuedAt: 0,
  expiresAt: 900_000,
  refreshToken: 'refresh-OLD',
  scope: 'pockets.read',
}

function client(fake: ReturnType<typeof scriptedFetch>, http: Record<string, unknown> = {}) {
  return createTokenClient(config, { clock, http: { http: fake.http, ...http } })
}

async function failure(promise: Promise<unknown>): Promise<JikoAuthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(JikoAuthError)
  const text = JSON.stringify((error as JikoAuthError).toJSON()) + String((error as Error).message)
  for (const secret of [
    'refresh-OLD',
    'access-OLD',
    'code-xyz',
    'verifier-abc',
    'access-AAA',
    'refresh-111',
  ]) {
    expect(text).not.toContain(secret)
  }
  return error as JikoAuthError
}

describe('exchangeCode', () => {
  it('posts the authorization_code grant with PKCE, redirect_uri and a private_key_jwt assertion', async () => {
    const fake = scriptedFetch({
      url: TOKEN_ENDPOINT,
      check: (form) => {
        expect(Object.fromEntries(form)).toMatchObject({
          grant_type: 'authorization_code',
          code: 'code-xyz',
          redirect_uri: 'https://app.example/auth/callback',
          code_verifier: 'verifier-abc',
          client_id: 'client-1',
          client_assertion_type: CLIENT_ASSERTION_TYPE,
        })
        expect(form.get('client_assertion')?.split('.')).toHaveLength(3)
        expect(form.has('client_secret')).toBe(false)
      },
      respond: () => json(tokenBody()),
    })
    const tokens = await client(fake).exchangeCode({ code: 'code-xyz', codeVerifier: 'verifier-abc' })
    expect(tokens).toEqual({
      accessToken: 'access-AAA',
      tokenType: 'Bearer',
      issuedAt: 1_000_000,
      expiresAt: 1_900_000,
      refreshToken: 'refresh-111',
      scope: 'pockets.read',
    })
    fake.assertDone()
  })
})

describe('refresh', () => {
  it('replaces a rotated refresh token', async () => {
    const fake = scriptedFetch({
      url: TOKEN_ENDPOINT,
      check: (form) => {
        expect(form.get('grant_type')).toBe('refresh_token')
        expect(form.get('refresh_token')).toBe('refresh-OLD')
      },
      respond: () => json(tokenBody({ refresh_token: 'refresh-NEW' })),
    })
    expect((await client(fake).refresh(previous)).refreshToken).toBe('refresh-NEW')
    fake.assertDone()
  })

  it('keeps the old refresh token when none comes back', async () => {
    const fake = scriptedFetch({
      url: TOKEN_ENDPOINT,
      respond: () => json(tokenBody({ refresh_token: undefined, scope: undefined })),
    })
    const tokens = await client(fake).refresh(previous)
    expect(tokens.refreshToken).toBe('refresh-OLD')
    expect(tokens.scope).toBe('pockets.read')
    expect(tokens.accessToken).toBe('access-AAA')
  })

  it('signs a new assertion (new jti) for every request', async () => {
    const fake = scriptedFetch(
      { url: TOKEN_ENDPOINT, respond: () => json(tokenBody()) },
      { url: TOKEN_ENDPOINT, respond: () => json(tokenBody()) },
    )
    const c = client(fake)
    await c.refresh(previous)
    await c.refresh(previous)
    expect(fake.seen[0]?.get('client_assertion')).not.toBe(fake.seen[1]?.get('client_assertion'))
  })

  it('ends the session when there is no refresh token, without a request', async () => {
    const fake = scriptedFetch()
    const { refreshToken: _, ...withoutRefresh } = previous
    expect((await failure(client(fake).refresh(withoutRefresh))).code).toBe(ErrorCode.SessionExpired)
  })
})

describe('token endpoint failures become typed errors', () => {
  const cases: [string, () => Response, ErrorCode, Record<string, unknown>?][] = [
    [
      'an OAuth error body',
      () => json({ error: 'invalid_grant', error_description: 'grant request is invalid' }, 400),
      ErrorCode.OAuthError,
      { error: 'invalid_grant', error_description: 'grant request is invalid', status: 400 },
    ],
    [
      '200 with an error body',
      () => json({ error: 'server_error' }, 200),
      ErrorCode.OAuthError,
      { status: 200 },
    ],
    [
      'an HTML 502',
      () =>
        new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
      ErrorCode.HttpError,
      { status: 502 },
    ],
    [
      'a 200 that is not JSON',
      () => new Response('<html>login</html>', { status: 200 }),
      ErrorCode.InvalidResponse,
    ],
    ['truncated JSON', () => new Response('{"access_token":"ey', { status: 200 }), ErrorCode.InvalidResponse],
    [
      '429 with Retry-After',
      () => new Response('slow down', { status: 429, headers: { 'retry-after': '7' } }),
      ErrorCode.RateLimited,
      { status: 429, retryAfterSeconds: 7 },
    ],
    ['token_type not Bearer', () => json(tokenBody({ token_type: 'mac' })), ErrorCode.InvalidResponse],
    ['expires_in as a string', () => json(tokenBody({ expires_in: '900' })), ErrorCode.InvalidResponse],
    ['expires_in negative', () => json(tokenBody({ expires_in: -1 })), ErrorCode.InvalidResponse],
    ['expires_in fractional', () => json(tokenBody({ expires_in: 1.5 })), ErrorCode.InvalidResponse],
    ['an empty access_token', () => json(tokenBody({ access_token: '' })), ErrorCode.InvalidResponse],
    ['a JSON array', () => json([1, 2]), ErrorCode.InvalidResponse],
    ['an empty 200', () => new Response('', { status: 200 }), ErrorCode.InvalidResponse],
  ]

  it.each(cases)('%s', async (_name, respond, code, fields) => {
    const fake = scriptedFetch({ url: TOKEN_ENDPOINT, respond })
    const error = await failure(client(fake).refresh(previous))
    expect(error.code).toBe(code)
    if (fields) expect(error).toMatchObject(fields)
  })

  it('retries a 429 once after its short Retry-After, with a new assertion', async () => {
    const limited = () => new Response('slow down', { status: 429, headers: { 'retry-after': '0' } })
    const fake = scriptedFetch(
      { url: TOKEN_ENDPOINT, respond: limited },
      { url: TOKEN_ENDPOINT, respond: () => json(tokenBody({ refresh_token: 'refresh-NEW' })) },
    )
    expect((await client(fake).refresh(previous)).refreshToken).toBe('refresh-NEW')
    expect(fake.seen[0]?.get('client_assertion')).not.toBe(fake.seen[1]?.get('client_assertion'))
    fake.assertDone()
  })

  it('never retries more than once (no retry storm)', async () => {
    const limited = () => new Response('slow down', { status: 429, headers: { 'retry-after': '0' } })
    const fake = scriptedFetch(
      { url: TOKEN_ENDPOINT, respond: limited },
      { url: TOKEN_ENDPOINT, respond: limited },
    )
    expect((await failure(client(fake).refresh(previous))).code).toBe(ErrorCode.RateLimited)
    fake.assertDone()
  })

  it('never retries a 5xx or a long Retry-After (the refresh token may be spent)', async () => {
    const fake = scriptedFetch({
      url: TOKEN_ENDPOINT,
      respond: () => new Response('bad gateway', { status: 502, headers: { 'retry-after': '0' } }),
    })
    expect((await failure(client(fake).refresh(previous))).code).toBe(ErrorCode.HttpError)
    const long = scriptedFetch({
      url: TOKEN_ENDPOINT,
      respond: () => new Response('later', { status: 429, headers: { 'retry-after': '60' } }),
    })
    expect((await failure(client(long).refresh(previous))).retryAfterSeconds).toBe(60)
  })

  it('accepts token_type in any case', async () => {
    const fake = scriptedFetch({
      url: TOKEN_ENDPOINT,
      respond: () => json(tokenBody({ token_type: 'bEaReR' })),
    })
    expect((await client(fake).refresh(previous)).tokenType).toBe('Bearer')
  })

  it('caps the response size', async () => {
    const huge = 'x'.repeat(300 * 1024)
    const fake = scriptedFetch({ url: TOKEN_ENDPOINT, respond: () => new Response(huge, { status: 200 }) })
    expect((await failure(client(fake).refresh(previous))).code).toBe(ErrorCode.ResponseTooLarge)
    const declared = scriptedFetch({
      url: TOKEN_ENDPOINT,
      respond: () => new Response('{}', { headers: { 'content-length': String(10 * 1024 * 1024) } }),
    })
    expect((await failure(client(declared).refresh(previous))).code).toBe(ErrorCode.ResponseTooLarge)
  })

  it('caps what a compressed body expands to, not only its declared (compressed) length', async () => {
    // Fetch decompresses: Content-Length then counts the compressed bytes, the body read is the expanded one.
    const expanded = scriptedFetch({
      url: TOKEN_ENDPOINT,
      respond: () =>
        new Response('x'.repeat(300 * 1024), {
          headers: { 'content-encoding': 'gzip', 'content-length': '1024' },
        }),
    })
    expect((await failure(client(expanded).refresh(previous))).code).toBe(ErrorCode.ResponseTooLarge)
  })

  it('gives up with JIKO_TIMEOUT when the server never answers', async () => {
    const hang = {
      url: TOKEN_ENDPOINT,
      respond: () => new Promise<Response>(() => {}),
    }
    // The adapter must honour the signal: emulate fetch by rejecting when it aborts.
    const fake = scriptedFetch(hang)
    const http = (url: string, init: { body?: string; signal: AbortSignal }) =>
      new Promise<Response>((resolve, reject) => {
        init.signal.addEventListener('abort', () => reject(init.signal.reason))
        fake.http(url, init).then(resolve, reject)
      })
    const c = createTokenClient(config, { clock, http: { http, timeoutMs: 50 } })
    expect((await failure(c.refresh(previous))).code).toBe(ErrorCode.Timeout)
  })

  it('reports JIKO_ABORTED when the caller aborts', async () => {
    const controller = new AbortController()
    const http = (_url: string, init: { signal: AbortSignal }) =>
      new Promise<Response>((_resolve, reject) => {
        init.signal.addEventListener('abort', () => reject(init.signal.reason))
        controller.abort()
      })
    const c = createTokenClient(config, { clock, http: { http } })
    expect((await failure(c.refresh(previous, { signal: controller.signal }))).code).toBe(ErrorCode.Aborted)
  })

  it('reports JIKO_NETWORK_ERROR on a connection failure', async () => {
    const http = async () => {
      throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') })
    }
    const c = createTokenClient(config, { clock, http: { http } })
    expect((await failure(c.refresh(previous))).code).toBe(ErrorCode.NetworkError)
  })

  it('keeps OAuthResponseError fields for invalid_grant', async () => {
    const fake = scriptedFetch({ url: TOKEN_ENDPOINT, respond: () => json({ error: 'invalid_grant' }, 400) })
    const error = await failure(client(fake).refresh(previous))
    expect(error).toBeInstanceOf(OAuthResponseError)
    expect((error as OAuthResponseError).error).toBe('invalid_grant')
  })
})

describe('clientCredentials (RFC 6749 §4.4)', () => {
  it('asks for the configured scopes with a client assertion, and keeps no refresh token', async () => {
    const fake = scriptedFetch({
      url: TOKEN_ENDPOINT,
      check: (form) => {
        expect(form.get('grant_type')).toBe('client_credentials')
        expect(form.get('scope')).toBe('pockets.read')
        expect(form.get('client_assertion')).toMatch(/^ey/)
        expect(form.has('redirect_uri')).toBe(false)
      },
      respond: () => json(tokenBody({ refresh_token: 'should-not-be-kept' })),
    })
    const tokens = await client(fake).clientCredentials()
    expect(tokens.accessToken).toBe('access-AAA')
    expect(tokens.refreshToken).toBeUndefined()
    fake.assertDone()
  })

  it('works without a redirectUri; the code exchange then says redirectUri is required', async () => {
    const fake = scriptedFetch({ url: TOKEN_ENDPOINT, respond: () => json(tokenBody()) })
    const service = createTokenClient(testConfig({ redirectUri: undefined }), { http: { http: fake.http } })
    expect((await service.clientCredentials({ scopes: ['transfers.write'] })).accessToken).toBe('access-AAA')
    expect(new URLSearchParams(fake.seen[0]).get('scope')).toBe('transfers.write')
    const error = await service.exchangeCode({ code: 'c', codeVerifier: 'v' }).catch((e: JikoAuthError) => e)
    expect(error).toMatchObject({ code: ErrorCode.ConfigInvalid, field: 'redirectUri' })
  })
})

describe('revoke (RFC 7009)', () => {
  it('posts the token with its type hint and client authentication', async () => {
    const fake = scriptedFetch({
      url: `${ISSUER}/api/oauth2/revoke`,
      check: (form) => {
        expect(form.get('token')).toBe('refresh-OLD')
        expect(form.get('token_type_hint')).toBe('refresh_token')
        expect(form.get('client_assertion_type')).toBe(CLIENT_ASSERTION_TYPE)
      },
      respond: () => new Response(null, { status: 200 }),
    })
    await client(fake).revoke('refresh-OLD', { hint: 'refresh_token' })
    fake.assertDone()
  })

  it('revokes at Jiko’s documented path when no revocation endpoint is configured', async () => {
    const fake = scriptedFetch({ url: `${ISSUER}/api/oauth2/revoke`, respond: () => new Response(null) })
    await createTokenClient(testConfig({ revocationEndpoint: undefined }), {
      http: { http: fake.http },
    }).revoke('t')
    fake.assertDone()
  })

  it('reports a refused revocation', async () => {
    const fake = scriptedFetch({
      url: `${ISSUER}/api/oauth2/revoke`,
      respond: () => json({ error: 'invalid_client' }, 401),
    })
    expect((await failure(client(fake).revoke('refresh-OLD'))).code).toBe(ErrorCode.OAuthError)
  })
})

describe('parseTokenResponse', () => {
  it('keeps the id_token from before when a refresh returns none', () => {
    const tokens = parseTokenResponse(tokenBody({ id_token: undefined }), {
      now: 0,
      previous: { ...previous, idToken: 'id-1' },
    })
    expect(tokens.idToken).toBe('id-1')
  })
})
