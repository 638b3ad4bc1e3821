// DPoP (RFC 9449) at the token endpoint and at the pockets API, with proofs made by hand (test/handDpop.ts).
import { decodeJwt, exportSPKI } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pocketsOf, type RunningEmulator, startEmulator } from '../src/index.js'
import {
  ASSERTION_TYPE,
  assertion,
  authorize,
  eddsa,
  pkce,
  ps256,
  REDIRECT_URI,
  token,
} from './handClient.js'
import { type DpopKey, dpopKey, type ProofOptions, proof } from './handDpop.js'

let emulator: RunningEmulator
let key: DpopKey
let otherKey: DpopKey

beforeAll(async () => {
  ;[key, otherKey] = await Promise.all([dpopKey(), dpopKey()])
  emulator = await startEmulator({
    headless: 'alice',
    clients: [
      { clientId: 'hand-ps256', redirectUris: [REDIRECT_URI], publicKey: await exportSPKI(ps256.publicKey) },
      {
        clientId: 'service',
        grantTypes: ['client_credentials'],
        publicKey: await exportSPKI(eddsa.publicKey),
        algorithm: 'EdDSA',
      },
    ],
  })
})
afterAll(() => emulator.stop())
beforeEach(() => emulator.stats.reset())

/** A fresh authorization code for hand-ps256 (alice, headless) and its PKCE verifier. */
async function authorizationCode(scope = 'openid pockets.read transfers.write') {
  const { verifier, challenge } = pkce()
  const callback = await authorize(emulator, {
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope,
  })
  return { code: callback.searchParams.get('code') as string, verifier }
}

async function codeForm(code: string, verifier: string) {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
    client_id: 'hand-ps256',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion(emulator),
  }
}

async function refreshForm(refreshToken: string) {
  return {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: 'hand-ps256',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion(emulator),
  }
}

/** The DPoP header of a token request. */
async function tokenProof(with_: DpopKey, nonce?: string) {
  return { dpop: await proof(with_, { htm: 'POST', htu: emulator.tokenEndpoint, nonce }) }
}

/** The code flow with DPoP, nonce dance included; returns the token response and the latest nonce. */
async function dpopLogin(with_: DpopKey = key, scope?: string) {
  const { code, verifier } = await authorizationCode(scope)
  const first = await token(emulator, await codeForm(code, verifier), await tokenProof(with_))
  const nonce = first.headers.get('dpop-nonce') as string
  const second = await token(emulator, await codeForm(code, verifier), await tokenProof(with_, nonce))
  return { body: second.body, nonce: second.headers.get('dpop-nonce') ?? nonce }
}

describe('DPoP at the token endpoint', () => {
  it('the first proof without a nonce gets 400 use_dpop_nonce with a DPoP-Nonce; the retry gets a DPoP token', async () => {
    const { code, verifier } = await authorizationCode()
    const first = await token(emulator, await codeForm(code, verifier), await tokenProof(key))
    expect(first.status).toBe(400)
    expect(first.body.error).toBe('use_dpop_nonce')
    const nonce = first.headers.get('dpop-nonce')
    expect(nonce).toMatch(/^[\w-]{43}$/)

    // The code was not spent by the refused request; the retry carries a new client_assertion and the nonce.
    const second = await token(
      emulator,
      await codeForm(code, verifier),
      await tokenProof(key, nonce as string),
    )
    expect(second.status).toBe(200)
    expect(second.body).toMatchObject({ token_type: 'DPoP', expires_in: 900 })
    expect(typeof second.body.refresh_token).toBe('string')
    const claims = decodeJwt(second.body.access_token as string)
    expect(claims).toMatchObject({ sub: 'alice', aud: emulator.apiAudience, cnf: { jkt: key.jkt } })
    expect(emulator.stats.tokenRequests).toBe(2)
    expect(emulator.stats.grants).toEqual({ authorization_code: 1 })
  })

  it('the retry must carry a new client_assertion: the first one was spent (its jti)', async () => {
    const { code, verifier } = await authorizationCode()
    const form = await codeForm(code, verifier)
    const first = await token(emulator, form, await tokenProof(key))
    expect(first.body.error).toBe('use_dpop_nonce')
    const nonce = first.headers.get('dpop-nonce') as string
    const reused = await token(emulator, form, await tokenProof(key, nonce))
    expect(reused.status).toBe(401)
    expect(reused.body.error).toBe('invalid_client')
  })

  it('without a DPoP proof the token is a Bearer token, not bound', async () => {
    const { code, verifier } = await authorizationCode()
    const { status, body } = await token(emulator, await codeForm(code, verifier))
    expect(status).toBe(200)
    expect(body.token_type).toBe('Bearer')
    expect(decodeJwt(body.access_token as string).cnf).toBeUndefined()
  })

  it('refuses a proof for another URI (400 invalid_dpop_proof)', async () => {
    const { code, verifier } = await authorizationCode()
    const dpop = await proof(key, { htm: 'POST', htu: `${emulator.issuer}/api/oauth2/other` })
    const { status, body } = await token(emulator, await codeForm(code, verifier), { dpop })
    expect(status).toBe(400)
    expect(body).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'DPoP proof htu mismatch' })
  })

  it('refresh with DPoP: the nonce of the last response is still good; the new access token is DPoP-bound', async () => {
    const login = await dpopLogin()
    const refreshed = await token(
      emulator,
      await refreshForm(login.body.refresh_token as string),
      await tokenProof(key, login.nonce),
    )
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.token_type).toBe('DPoP')
    expect(decodeJwt(refreshed.body.access_token as string).cnf).toEqual({ jkt: key.jkt })
    expect(refreshed.body.refresh_token).not.toBe(login.body.refresh_token)
    expect(emulator.stats.grants).toEqual({ authorization_code: 1, refresh_token: 1 })
  })

  it('refresh with a proof without a nonce: use_dpop_nonce first, and the refresh token is not spent by it', async () => {
    const login = await dpopLogin()
    const refreshToken = login.body.refresh_token as string
    const first = await token(emulator, await refreshForm(refreshToken), await tokenProof(key))
    expect(first.status).toBe(400)
    expect(first.body.error).toBe('use_dpop_nonce')
    const nonce = first.headers.get('dpop-nonce') as string
    const second = await token(emulator, await refreshForm(refreshToken), await tokenProof(key, nonce))
    expect(second.status).toBe(200)
    expect(second.body.token_type).toBe('DPoP')
  })

  it('refresh tokens of a confidential client are not DPoP-bound: another key, or none, may refresh', async () => {
    const login = await dpopLogin()
    const withOtherKey = await token(
      emulator,
      await refreshForm(login.body.refresh_token as string),
      await tokenProof(otherKey, login.nonce),
    )
    expect(withOtherKey.status).toBe(200)
    expect(decodeJwt(withOtherKey.body.access_token as string).cnf).toEqual({ jkt: otherKey.jkt })
    const withoutProof = await token(emulator, await refreshForm(withOtherKey.body.refresh_token as string))
    expect(withoutProof.status).toBe(200)
    expect(withoutProof.body.token_type).toBe('Bearer')
  })

  it('client credentials with DPoP: a DPoP-bound service token, accepted by the API with a proof', async () => {
    const form = async () => ({
      grant_type: 'client_credentials',
      scope: 'pockets.read',
      client_id: 'service',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(emulator, { alg: 'EdDSA', clientId: 'service' }),
    })
    const first = await token(emulator, await form(), await tokenProof(key))
    expect(first.body.error).toBe('use_dpop_nonce')
    const second = await token(
      emulator,
      await form(),
      await tokenProof(key, first.headers.get('dpop-nonce') as string),
    )
    expect(second.status).toBe(200)
    expect(second.body.token_type).toBe('DPoP')
    const accessToken = second.body.access_token as string
    expect(decodeJwt(accessToken)).toMatchObject({ sub: 'service', cnf: { jkt: key.jkt } })
    const response = await callApi(accessToken)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { data: unknown }).data).toEqual(pocketsOf('service'))
    expect(emulator.stats.grants).toEqual({ client_credentials: 1 })
  })

  it('discovery advertises ES256 proofs only', async () => {
    const doc = (await (await fetch(`${emulator.issuer}/.well-known/openid-configuration`)).json()) as {
      dpop_signing_alg_values_supported?: string[]
    }
    expect(doc.dpop_signing_alg_values_supported).toEqual(['ES256'])
  })
})

interface ApiCall {
  path?: string
  method?: string
  scheme?: string
  /** What to put in the proof instead of this request's values; `false` sends no DPoP header. */
  proof?: Partial<ProofOptions> | false
  key?: DpopKey
  body?: string
}

async function callApi(accessToken: string, call: ApiCall = {}) {
  const method = call.method ?? 'GET'
  const url = `${emulator.issuer}${call.path ?? '/api/pockets'}`
  const headers: Record<string, string> = { authorization: `${call.scheme ?? 'DPoP'} ${accessToken}` }
  if (call.proof !== false) {
    const htu = url.split('?')[0] as string
    headers.dpop = await proof(call.key ?? key, { htm: method, htu, accessToken, ...call.proof })
  }
  if (call.body !== undefined) headers['content-type'] = 'application/json'
  return fetch(url, { method, headers, body: call.body })
}

async function refusal(response: Response) {
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: (await response.json()) as { error: string; error_description: string },
  }
}

describe('DPoP at the pockets API', () => {
  let accessToken: string
  let bearerToken: string
  beforeAll(async () => {
    accessToken = (await dpopLogin()).body.access_token as string
    const { code, verifier } = await authorizationCode()
    bearerToken = (await token(emulator, await codeForm(code, verifier))).body.access_token as string
  })

  it('accepts Authorization: DPoP with a valid proof, and counts it', async () => {
    const response = await callApi(accessToken)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { data: unknown }).data).toEqual(pocketsOf('alice'))
    const withQuery = await callApi(accessToken, { path: '/api/pockets?page=1' })
    expect(withQuery.status).toBe(200)
    const transfer = await callApi(accessToken, {
      method: 'POST',
      path: '/api/v2/pockets/transfers',
      body: JSON.stringify({ from: 'a', to: 'b', amount: '1.00', currency: 'USD' }),
    })
    expect(transfer.status).toBe(201)
    expect(emulator.stats).toMatchObject({ apiRequests: 3, dpopProofs: 3, replayedDpopProofs: 0 })
    expect(response.headers.get('dpop-nonce')).toBeNull()
  })

  it.each<[string, ApiCall, RegExp]>([
    ['no DPoP header', { proof: false }, /needs a DPoP proof: send a DPoP header/],
    ['htm of another method', { proof: { htm: 'POST' } }, /htm must be GET/],
    ['htu of another URI', { proof: { htu: 'http://127.0.0.1:1/api/pockets' } }, /htu must be http:\/\/127/],
    [
      'ath of another token',
      { proof: { accessToken: 'another-token' } },
      /ath must be the base64url SHA-256/,
    ],
    ['no ath', { proof: { accessToken: undefined } }, /ath must be/],
    [
      'iat ten minutes old',
      { proof: { iat: Math.floor(Date.now() / 1000) - 600 } },
      /iat must be within 300/,
    ],
    ['typ JWT', { proof: { typ: 'JWT' } }, /typ must be "dpop\+jwt"/],
  ])('refuses a proof with %s: 401 invalid_dpop_proof saying why', async (_name, call, reason) => {
    const { status, challenge, body } = await refusal(await callApi(accessToken, call))
    expect(status).toBe(401)
    expect(body.error).toBe('invalid_dpop_proof')
    expect(body.error_description).toMatch(reason)
    expect(challenge).toMatch(
      /^DPoP realm="jiko", error="invalid_dpop_proof", error_description="[^"]+", algs="ES256"$/,
    )
    expect(emulator.stats.dpopProofs).toBe(0)
  })

  it('refuses a proof signed by another key than the bound one (cnf.jkt)', async () => {
    const { status, body } = await refusal(await callApi(accessToken, { key: otherKey }))
    expect(status).toBe(401)
    expect(body).toEqual({
      error: 'invalid_dpop_proof',
      error_description:
        'the DPoP proof is signed by another key than the one the access token is bound to (cnf.jkt)',
    })
  })

  it('refuses a proof signed ES384: ES256 only', async () => {
    const es384 = await dpopKey('ES384')
    const { body } = await refusal(await callApi(accessToken, { key: es384, proof: { alg: 'ES384' } }))
    expect(body).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'the DPoP proof must be signed with ES256',
    })
  })

  it('refuses a replayed proof (same jti), and counts it', async () => {
    const dpop = await proof(key, { htm: 'GET', htu: `${emulator.issuer}/api/pockets`, accessToken })
    const send = () =>
      fetch(`${emulator.issuer}/api/pockets`, { headers: { authorization: `DPoP ${accessToken}`, dpop } })
    expect((await send()).status).toBe(200)
    const { status, body } = await refusal(await send())
    expect(status).toBe(401)
    expect(body.error).toBe('invalid_dpop_proof')
    expect(body.error_description).toMatch(/already used/)
    // A new proof that reuses the jti is a replay too.
    const jti = (decodeJwt(dpop).jti as string) ?? ''
    expect((await callApi(accessToken, { proof: { jti } })).status).toBe(401)
    expect(emulator.stats).toMatchObject({ dpopProofs: 1, replayedDpopProofs: 2 })
    const stats = (await (await fetch(`${emulator.issuer}/__emulator/stats`)).json()) as Record<
      string,
      unknown
    >
    expect(stats).toMatchObject({ dpopProofs: 1, replayedDpopProofs: 2 })
    emulator.stats.reset()
    expect(emulator.stats).toMatchObject({ dpopProofs: 0, replayedDpopProofs: 0 })
  })

  it('refuses a DPoP-bound token sent as Bearer (401 invalid_token, DPoP challenge)', async () => {
    const response = await callApi(accessToken, { scheme: 'Bearer', proof: false })
    const { status, challenge, body } = await refusal(response)
    expect(status).toBe(401)
    expect(body).toEqual({
      error: 'invalid_token',
      error_description: 'the access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof',
    })
    expect(challenge).toMatch(/^DPoP realm="jiko", error="invalid_token"/)
    // …even with a valid proof beside it.
    expect((await callApi(accessToken, { scheme: 'Bearer' })).status).toBe(401)
  })

  it('refuses an unbound token sent as DPoP, and keeps accepting it as Bearer', async () => {
    const { status, body } = await refusal(await callApi(bearerToken))
    expect(status).toBe(401)
    expect(body).toEqual({
      error: 'invalid_token',
      error_description: 'the access token is not DPoP-bound: send it as Authorization: Bearer',
    })
    expect((await callApi(bearerToken, { scheme: 'Bearer', proof: false })).status).toBe(200)
  })

  it('checks the token before the proof, and the scope after it (403 with a DPoP challenge)', async () => {
    const [h, p] = accessToken.split('.')
    const forged = await refusal(await callApi(`${h}.${p}.${'A'.repeat(342)}`, { proof: false }))
    expect(forged.status).toBe(401)
    expect(forged.body.error).toBe('invalid_token')
    expect(forged.challenge).toMatch(/^DPoP realm="jiko", error="invalid_token"/)

    const readOnly = (await dpopLogin(key, 'pockets.read')).body.access_token as string
    const transfer = { method: 'POST', path: '/api/v2/pockets/transfers', body: '{}' }
    const noScope = await refusal(await callApi(readOnly, transfer))
    expect(noScope.status).toBe(403)
    expect(noScope.challenge).toBe(
      'DPoP realm="jiko", error="insufficient_scope", error_description="the transfers.write scope is required", ' +
        'scope="transfers.write", algs="ES256"',
    )
    expect(emulator.stats.dpopProofs).toBe(1)
  })

  it('without a token, the challenge offers Bearer and DPoP', async () => {
    const response = await fetch(`${emulator.issuer}/api/pockets`)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="jiko", DPoP realm="jiko", algs="ES256"',
    )
  })
})

describe('dpopNonces', () => {
  let strict: RunningEmulator
  let relaxed: RunningEmulator
  beforeAll(async () => {
    const clients = [
      { clientId: 'hand-ps256', redirectUris: [REDIRECT_URI], publicKey: await exportSPKI(ps256.publicKey) },
    ]
    ;[strict, relaxed] = await Promise.all([
      startEmulator({ headless: 'alice', clients, dpopNonces: { api: true } }),
      startEmulator({ headless: 'alice', clients, dpopNonces: { token: false } }),
    ])
  })
  afterAll(async () => {
    await Promise.all([strict.stop(), relaxed.stop()])
  })

  /** The code flow on `on` with one proof per try and the nonce of the previous answer, if any. */
  async function loginOn(on: RunningEmulator) {
    const { verifier, challenge } = pkce()
    const callback = await authorize(on, { code_challenge: challenge, code_challenge_method: 'S256' })
    const code = callback.searchParams.get('code') as string
    const statuses: number[] = []
    let nonce: string | undefined
    for (let attempt = 0; attempt < 2; attempt++) {
      const form = {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        client_id: 'hand-ps256',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(on),
      }
      const dpop = await proof(key, { htm: 'POST', htu: on.tokenEndpoint, nonce })
      const answer = await token(on, form, { dpop })
      statuses.push(answer.status)
      if (answer.status === 200) return { statuses, accessToken: answer.body.access_token as string }
      nonce = answer.headers.get('dpop-nonce') ?? undefined
    }
    throw new Error(`no token: ${statuses.join(', ')}`)
  }

  it('token: false — a fresh proof without a nonce gets a DPoP token at once', async () => {
    const { statuses, accessToken } = await loginOn(relaxed)
    expect(statuses).toEqual([200])
    expect(decodeJwt(accessToken).cnf).toEqual({ jkt: key.jkt })
  })

  it('api: true — the API answers 401 use_dpop_nonce with a DPoP-Nonce, then accepts a proof with it', async () => {
    const { accessToken } = await loginOn(strict)
    const url = `${strict.issuer}/api/pockets`
    const get = async (nonce?: string) => {
      const dpop = await proof(key, { htm: 'GET', htu: url, accessToken, nonce })
      return fetch(url, { headers: { authorization: `DPoP ${accessToken}`, dpop } })
    }
    const first = await get()
    expect(first.status).toBe(401)
    expect(await first.json()).toEqual({
      error: 'use_dpop_nonce',
      error_description:
        "the API requires a DPoP nonce: make a new proof with the nonce of this response's DPoP-Nonce header",
    })
    expect(first.headers.get('www-authenticate')).toMatch(/^DPoP realm="jiko", error="use_dpop_nonce"/)
    const nonce = first.headers.get('dpop-nonce') as string
    expect(nonce).toMatch(/^[\w-]{22}$/)

    const second = await get(nonce)
    expect(second.status).toBe(200)
    expect(second.headers.get('dpop-nonce')).toBe(nonce)
    expect((await get(nonce)).status).toBe(200)

    const unknown = await get('not-a-nonce')
    expect(unknown.status).toBe(401)
    expect(((await unknown.json()) as { error_description: string }).error_description).toMatch(
      /^the DPoP proof nonce is unknown or expired/,
    )
    expect(strict.stats).toMatchObject({ dpopProofs: 2, replayedDpopProofs: 0 })
  })
})
