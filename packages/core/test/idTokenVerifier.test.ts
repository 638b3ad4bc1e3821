// id_token validation with HTTP injected (a JWKS answered in-process and counted): each check of OIDC Core
// §3.1.3.7 with its own code, and an unknown-kid storm that makes one JWKS request per cooldown.
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { SimulatedClock } from 'xstate'
import {
  createIdTokenVerifier,
  createMetadataCache,
  ErrorCode,
  JikoAuthError,
  JWKS_COOLDOWN_MS,
} from '../src/index.js'
import { ISSUER, json, testConfig } from './fixtures.js'

const CLIENT = 'client-1'
const JWKS_URI = `${ISSUER}/api/oauth2/jwks`
let signingKey: CryptoKey
let otherKey: CryptoKey
let jwks: { keys: object[] }

beforeAll(async () => {
  const pair = await generateKeyPair('RS256')
  signingKey = pair.privateKey
  otherKey = (await generateKeyPair('RS256')).privateKey
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }
})

function setup() {
  const clock = new SimulatedClock()
  clock.set(Date.now())
  const requests = { jwks: 0 }
  const http = async (url: string) => {
    if (url !== JWKS_URI) throw new Error(`unexpected request to ${url}`)
    requests.jwks += 1
    return json(jwks)
  }
  const config = testConfig({ clientId: CLIENT })
  const verifier = createIdTokenVerifier(createMetadataCache(config), { clock, http: { http } })
  return { clock, requests, verifier }
}

async function idToken(
  clock: SimulatedClock,
  claims: Record<string, unknown> = {},
  { kid = 'k1', key = signingKey } = {},
) {
  const now = Math.floor(clock.now() / 1000)
  const payload = {
    iss: ISSUER,
    aud: CLIENT,
    sub: 'alice',
    nonce: 'n-1',
    iat: now,
    exp: now + 3600,
    ...claims,
  }
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key)
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(JikoAuthError)
  return (error as JikoAuthError).code
}

describe('createIdTokenVerifier', () => {
  it('returns the claims of a valid id_token with the login’s nonce', async () => {
    const { clock, verifier } = setup()
    const claims = await verifier.verify(await idToken(clock, { name: 'Alice' }), { nonce: 'n-1' })
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'alice', aud: CLIENT, name: 'Alice' })
  })

  it('refuses each broken check with its own code', async () => {
    const { clock, verifier } = setup()
    const now = Math.floor(clock.now() / 1000)
    const hs256 = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(CLIENT)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(CLIENT.padEnd(32, '!')))
    const [header, payload] = (await idToken(clock)).split('.')
    const mallory = await idToken(clock, { sub: 'mallory' })
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`
    const cases: [string, () => Promise<unknown>][] = [
      [ErrorCode.IdTokenSignature, async () => verifier.verify(await idToken(clock, {}, { key: otherKey }))],
      [ErrorCode.IdTokenSignature, () => verifier.verify(hs256)],
      [ErrorCode.IdTokenSignature, () => verifier.verify(none)],
      [ErrorCode.IdTokenInvalid, () => verifier.verify(`${header}.${payload}`)],
      [ErrorCode.IdTokenIssuer, async () => verifier.verify(await idToken(clock, { iss: `${ISSUER}/` }))],
      [ErrorCode.IdTokenAudience, async () => verifier.verify(await idToken(clock, { aud: 'someone-else' }))],
      [
        ErrorCode.IdTokenAudience,
        async () => verifier.verify(await idToken(clock, { aud: [CLIENT, 'other'] })),
      ],
      [ErrorCode.IdTokenAudience, async () => verifier.verify(await idToken(clock, { azp: 'other' }))],
      [ErrorCode.IdTokenExpired, async () => verifier.verify(await idToken(clock, { exp: now - 60 }))],
      [ErrorCode.IdTokenInvalid, async () => verifier.verify(await idToken(clock, { iat: now + 600 }))],
      [ErrorCode.NonceMismatch, async () => verifier.verify(await idToken(clock), { nonce: 'n-2' })],
      [
        ErrorCode.NonceMismatch,
        async () => verifier.verify(await idToken(clock, { nonce: undefined }), { nonce: 'n-1' }),
      ],
      [
        ErrorCode.IdTokenSubjectChanged,
        () => verifier.verify(mallory, { previous: { iss: ISSUER, sub: 'alice' } }),
      ],
    ]
    for (const [code, attempt] of cases) expect([code, await codeOf(attempt())]).toEqual([code, code])
  })

  it('accepts several audiences when azp is this client, and exp within the clock tolerance', async () => {
    const { clock, verifier } = setup()
    const now = Math.floor(clock.now() / 1000)
    await verifier.verify(await idToken(clock, { aud: [CLIENT, 'other'], azp: CLIENT }))
    await verifier.verify(await idToken(clock, { exp: now - 3 }))
  })

  it('never puts the token in an error message', async () => {
    const { clock, verifier } = setup()
    const token = await idToken(clock, { aud: 'someone-else' })
    const error = await verifier.verify(token).catch((e: JikoAuthError) => e)
    expect(`${error.message} ${error.hint}`).not.toContain(token.split('.')[1])
  })

  it('an unknown-kid storm makes one JWKS request per cooldown, shared by concurrent callers', async () => {
    const { clock, requests, verifier } = setup()
    await verifier.verify(await idToken(clock))
    expect(requests.jwks).toBe(1)
    const stranger = await idToken(clock, {}, { kid: 'k-unknown', key: otherKey })
    const storm = () => Promise.all(Array.from({ length: 50 }, () => codeOf(verifier.verify(stranger))))
    expect(new Set(await storm())).toEqual(new Set([ErrorCode.IdTokenSignature]))
    expect(requests.jwks).toBe(1)
    clock.increment(JWKS_COOLDOWN_MS)
    expect(new Set(await storm())).toEqual(new Set([ErrorCode.IdTokenSignature]))
    expect(requests.jwks).toBe(2)
    expect(new Set(await storm())).toEqual(new Set([ErrorCode.IdTokenSignature]))
    expect(requests.jwks).toBe(2)
  })

  it('a kid published after the cache was filled is fetched once the cooldown allows it', async () => {
    const { clock, requests, verifier } = setup()
    await verifier.verify(await idToken(clock))
    const rotated = await generateKeyPair('RS256')
    jwks.keys.unshift({ ...(await exportJWK(rotated.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' })
    try {
      clock.increment(JWKS_COOLDOWN_MS)
      const claims = await verifier.verify(await idToken(clock, {}, { kid: 'k2', key: rotated.privateKey }))
      expect(claims.sub).toBe('alice')
      expect(requests.jwks).toBe(2)
    } finally {
      jwks.keys.shift()
    }
  })
})
