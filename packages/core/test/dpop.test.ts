// RFC 9449 DPoP on the token endpoint, with HTTP injected: the proof's header and claims, the nonce retry, and
// token_type DPoP accepted only when asked for.
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  createDpopProof,
  createTokenClient,
  ErrorCode,
  generateDpopKey,
  type JikoAuthError,
} from '../src/index.js'
import { json, TOKEN_ENDPOINT, testConfig, tokenBody } from './fixtures.js'

type Answer = (proof: string | undefined) => Response

/** A token endpoint answering in turn, keeping each request's DPoP header. */
function tokenEndpoint(...answers: Answer[]) {
  const proofs: (string | undefined)[] = []
  const http = async (url: string, init: { headers: Record<string, string> }) => {
    if (url !== TOKEN_ENDPOINT) throw new Error(`unexpected request to ${url}`)
    const answer = answers.shift()
    if (!answer) throw new Error('unexpected request')
    proofs.push(init.headers.dpop)
    return answer(init.headers.dpop)
  }
  return { http, proofs }
}

const useNonce: Answer = () =>
  json({ error: 'use_dpop_nonce', error_description: 'nonce required' }, 400, { 'dpop-nonce': 'n-1' })

describe('createDpopProof', () => {
  it('is a dpop+jwt, ES256, with its public key only, and jti, htm, htu (no query), iat, ath, nonce', async () => {
    const key = await generateDpopKey()
    const proof = await createDpopProof(key, {
      htm: 'get',
      htu: 'https://api.jiko.test/v2/pockets?limit=5#x',
      accessToken: 'access-AAA',
      nonce: 'n-9',
      now: 1_700_000_000_000,
    })
    const header = decodeProtectedHeader(proof)
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } })
    expect(header.jwk).not.toHaveProperty('d')
    const { payload } = await jwtVerify(proof, EmbeddedJWK, { currentDate: new Date(1_700_000_000_000) })
    expect(payload).toMatchObject({
      htm: 'GET',
      htu: 'https://api.jiko.test/v2/pockets',
      iat: 1_700_000_000,
      nonce: 'n-9',
    })
    // ath = base64url(SHA-256("access-AAA"))
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('access-AAA'))
    expect(payload.ath).toBe(Buffer.from(digest).toString('base64url'))
    expect(payload.jti).toMatch(/^[\w-]{22}$/)
    const other = await createDpopProof(key, { htm: 'GET', htu: 'https://api.jiko.test/' })
    expect((await jwtVerify(other, EmbeddedJWK)).payload.jti).not.toBe(payload.jti)
  })
})

describe('the token client with DPoP', () => {
  it('sends a proof, retries once with the server’s nonce, and keeps token_type DPoP', async () => {
    const key = await generateDpopKey()
    const endpoint = tokenEndpoint(useNonce, () => json(tokenBody({ token_type: 'DPoP' })))
    const client = createTokenClient(testConfig(), { http: { http: endpoint.http as never } })
    const tokens = await client.exchangeCode({ code: 'c', codeVerifier: 'v', dpop: key })
    expect(tokens.tokenType).toBe('DPoP')
    expect(endpoint.proofs).toHaveLength(2)
    const [first, second] = await Promise.all(
      endpoint.proofs.map(async (proof) => (await jwtVerify(proof as string, EmbeddedJWK)).payload),
    )
    expect(first).toMatchObject({ htm: 'POST', htu: TOKEN_ENDPOINT })
    expect(first).not.toHaveProperty('nonce')
    expect(second).toMatchObject({ htm: 'POST', htu: TOKEN_ENDPOINT, nonce: 'n-1' })
    expect(first?.jti).not.toBe(second?.jti)
    // Every proof carries the session's key.
    const thumbprint = await calculateJwkThumbprint(key.publicJwk)
    for (const proof of endpoint.proofs) {
      expect(await calculateJwkThumbprint(decodeProtectedHeader(proof as string).jwk as never)).toBe(
        thumbprint,
      )
    }
  })

  it('remembers the nonce for the next request (the refresh needs no retry), and retries only once', async () => {
    const key = await generateDpopKey()
    const endpoint = tokenEndpoint(
      useNonce,
      () => json(tokenBody({ token_type: 'DPoP' })),
      () => json(tokenBody({ token_type: 'DPoP', refresh_token: 'refresh-222' })),
      useNonce,
      useNonce,
    )
    const client = createTokenClient(testConfig(), { http: { http: endpoint.http as never } })
    const tokens = await client.exchangeCode({ code: 'c', codeVerifier: 'v', dpop: key })
    await client.refresh(tokens, { dpop: key })
    expect(endpoint.proofs).toHaveLength(3)
    expect((await jwtVerify(endpoint.proofs[2] as string, EmbeddedJWK)).payload.nonce).toBe('n-1')
    const error = await client.refresh(tokens, { dpop: key }).catch((e: JikoAuthError) => e)
    expect(error).toMatchObject({ code: ErrorCode.OAuthError, error: 'use_dpop_nonce' })
    expect(endpoint.proofs).toHaveLength(5)
  })

  it('accepts token_type DPoP only when DPoP was asked for, and never a Bearer token then', async () => {
    const dpopWithoutAsking = tokenEndpoint(() => json(tokenBody({ token_type: 'DPoP' })))
    const plain = createTokenClient(testConfig(), { http: { http: dpopWithoutAsking.http as never } })
    const unasked = await plain.exchangeCode({ code: 'c', codeVerifier: 'v' }).catch((e: JikoAuthError) => e)
    expect(unasked).toMatchObject({
      code: ErrorCode.InvalidResponse,
      message: expect.stringContaining('token_type'),
    })
    expect(dpopWithoutAsking.proofs).toEqual([undefined])

    const bearerWhenAsked = tokenEndpoint(() => json(tokenBody({ token_type: 'Bearer' })))
    const bound = createTokenClient(testConfig(), { http: { http: bearerWhenAsked.http as never } })
    const downgraded = await bound
      .exchangeCode({ code: 'c', codeVerifier: 'v', dpop: await generateDpopKey() })
      .catch((e: JikoAuthError) => e)
    expect(downgraded).toMatchObject({ code: ErrorCode.InvalidResponse })
  })
})
