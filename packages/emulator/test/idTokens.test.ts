import {
  base64url,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type IdTokenTamper, ROUTES, type RunningEmulator } from '../src/index.js'
import { login, refresh, startTestEmulator } from './handClient.js'

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startTestEmulator()
})
afterEach(() => emulator.faults.reset())
afterAll(() => emulator.stop())

const NONCE = 'nonce-from-the-authorization-request'

async function keySet(): Promise<ReturnType<typeof createLocalJWKSet>> {
  return createLocalJWKSet((await (await fetch(`${emulator.issuer}${ROUTES.jwks}`)).json()) as JSONWebKeySet)
}

/** Verifies an id_token the way the client library will: JWKS signature, RS256 only, iss, aud, exp, nonce. */
async function validate(idToken: unknown, nonce = NONCE): Promise<JWTPayload> {
  const { payload } = await jwtVerify(String(idToken), await keySet(), {
    algorithms: ['RS256'],
    issuer: emulator.issuer,
    audience: 'hand-ps256',
  })
  if (payload.nonce !== nonce) throw new Error('nonce mismatch')
  return payload
}

/** The signature only (no claim checks), with the emulator's JWKS. */
async function signedByEmulator(idToken: unknown): Promise<JWTPayload> {
  return (await jwtVerify(String(idToken), await keySet(), { algorithms: ['RS256'] })).payload
}

describe('id_tokens as oidc-provider issues them', () => {
  it('scope openid profile email: profile and email claims and the nonce are in the id_token', async () => {
    const { body } = await login(emulator, { scope: 'openid profile email', nonce: NONCE })
    const claims = await validate(body.id_token)
    expect(Object.keys(claims).sort()).toEqual(
      ['aud', 'email', 'email_verified', 'exp', 'iat', 'iss', 'name', 'nonce', 'sub'].sort(),
    )
    expect(claims).toMatchObject({
      sub: 'alice',
      name: 'Alice Martin',
      email: 'alice@example.test',
      email_verified: true,
      nonce: NONCE,
    })
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600)
    expect(decodeProtectedHeader(String(body.id_token))).toEqual({ alg: 'RS256', kid: 'emulator-rs256' })
  })

  it('scope openid only: sub and the protocol claims, no profile claims', async () => {
    const { body } = await login(emulator, { scope: 'openid pockets.read', nonce: NONCE })
    expect(Object.keys(await validate(body.id_token)).sort()).toEqual(
      ['aud', 'exp', 'iat', 'iss', 'nonce', 'sub'].sort(),
    )
  })

  it('a refresh_token grant with openid issues a new id_token: same iss/sub/aud, the original nonce again', async () => {
    const first = await login(emulator, { scope: 'openid profile email', nonce: NONCE })
    const second = await refresh(emulator, first.body.refresh_token as string)
    expect(second.status).toBe(200)
    const original = decodeJwt(String(first.body.id_token))
    const renewed = await validate(second.body.id_token)
    expect(renewed).toMatchObject({ iss: original.iss, sub: original.sub, aud: original.aud, nonce: NONCE })
    expect(renewed.azp).toBeUndefined()
  })

  it('no openid: no id_token, neither from the code nor on refresh', async () => {
    const first = await login(emulator, { scope: 'pockets.read' })
    expect(first.body.id_token).toBeUndefined()
    const second = await refresh(emulator, first.body.refresh_token as string)
    expect(second.status).toBe(200)
    expect(second.body.id_token).toBeUndefined()
  })
})

describe('faults.tamperIdToken: claim tampering, re-signed with the real key', () => {
  const now = () => Math.floor(Date.now() / 1000)
  // The last column: how `validate` refuses it (the azp and sub rules are the client's, beyond jose's checks).
  const cases: [IdTokenTamper, Record<string, unknown>, RegExp | undefined][] = [
    ['wrongIssuer', { iss: 'https://evil.example' }, /unexpected "iss" claim value/],
    ['wrongAudience', { aud: 'someone-else' }, /unexpected "aud" claim value/],
    ['multipleAudiencesNoAzp', { aud: ['hand-ps256', 'other'] }, undefined],
    ['wrongNonce', { nonce: 'not-the-nonce' }, /nonce mismatch/],
    ['otherSubject', { sub: 'mallory' }, undefined],
  ]

  it.each(cases)('%s: only that claim is wrong', async (kind, changed, refusal) => {
    emulator.faults.tamperIdToken(kind)
    const { body } = await login(emulator, { nonce: NONCE })
    expect(decodeProtectedHeader(String(body.id_token))).toEqual({ alg: 'RS256', kid: 'emulator-rs256' })
    const claims = await signedByEmulator(body.id_token)
    expect(claims).toEqual({
      iss: emulator.issuer,
      sub: 'alice',
      aud: 'hand-ps256',
      nonce: NONCE,
      iat: expect.any(Number),
      exp: expect.any(Number),
      ...changed,
    })
    expect(claims.azp).toBeUndefined()
    if (refusal) await expect(validate(body.id_token)).rejects.toThrow(refusal)
  })

  it('expired: exp = iat = one hour ago, signature valid', async () => {
    emulator.faults.tamperIdToken('expired')
    const { body } = await login(emulator, { nonce: NONCE })
    const claims = decodeJwt(String(body.id_token))
    expect(Math.abs((claims.exp ?? 0) - (now() - 3600))).toBeLessThanOrEqual(2)
    expect(claims.iat).toBe(claims.exp)
    await expect(validate(body.id_token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
    // an hour and a bit of tolerance and it passes: nothing else is wrong
    await expect(
      jwtVerify(String(body.id_token), await keySet(), {
        algorithms: ['RS256'],
        issuer: emulator.issuer,
        audience: 'hand-ps256',
        clockTolerance: 3610,
      }),
    ).resolves.toMatchObject({ payload: { sub: 'alice', nonce: NONCE } })
  })
})

describe('faults.tamperIdToken: broken signatures', () => {
  it('badSignature: only the last signature byte differs', async () => {
    emulator.faults.tamperIdToken('badSignature')
    const { body } = await login(emulator, { nonce: NONCE })
    await expect(validate(body.id_token)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    })
    const [header, payload, signature = ''] = String(body.id_token).split('.')
    const bytes = base64url.decode(signature)
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff
    await expect(validate(`${header}.${payload}.${base64url.encode(bytes)}`)).resolves.toMatchObject({
      sub: 'alice',
    })
  })

  it('algNone: header alg "none", empty signature, genuine claims', async () => {
    emulator.faults.tamperIdToken('algNone')
    const { body } = await login(emulator, { nonce: NONCE })
    const idToken = String(body.id_token)
    expect(idToken.endsWith('.')).toBe(true)
    expect(decodeProtectedHeader(idToken)).toEqual({ alg: 'none' })
    expect(decodeJwt(idToken)).toMatchObject({ iss: emulator.issuer, sub: 'alice', nonce: NONCE })
    await expect(validate(idToken)).rejects.toThrow()
  })

  it('hs256: re-signed with HS256 and the client_id as the secret', async () => {
    emulator.faults.tamperIdToken('hs256')
    const { body } = await login(emulator, { nonce: NONCE })
    const idToken = String(body.id_token)
    expect(decodeProtectedHeader(idToken).alg).toBe('HS256')
    const { payload } = await jwtVerify(idToken, new TextEncoder().encode('hand-ps256'), {
      algorithms: ['HS256'],
      issuer: emulator.issuer,
      audience: 'hand-ps256',
    })
    expect(payload).toMatchObject({ sub: 'alice', nonce: NONCE })
    await expect(validate(idToken)).rejects.toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' })
  })

  it('missing: the id_token is removed, the rest of the answer is intact', async () => {
    emulator.faults.tamperIdToken('missing')
    const result = await login(emulator)
    expect(result.status).toBe(200)
    expect(result.body.id_token).toBeUndefined()
    expect(result.body).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) })
  })
})

describe('faults.tamperIdToken: which responses', () => {
  it('count and grant: the next N refresh answers, not the code exchange, then genuine again', async () => {
    emulator.faults.tamperIdToken('wrongNonce', { count: 2, grant: 'refresh_token' })
    const first = await login(emulator, { nonce: NONCE })
    await expect(validate(first.body.id_token)).resolves.toMatchObject({ nonce: NONCE })
    let refreshToken = first.body.refresh_token as string
    const nonces: unknown[] = []
    for (let i = 0; i < 3; i++) {
      const next = await refresh(emulator, refreshToken)
      refreshToken = next.body.refresh_token as string
      nonces.push((await signedByEmulator(next.body.id_token)).nonce)
    }
    expect(nonces).toEqual(['not-the-nonce', 'not-the-nonce', NONCE])
  })

  it('grant authorization_code leaves refreshes alone', async () => {
    const first = await login(emulator, { nonce: NONCE })
    emulator.faults.tamperIdToken('wrongIssuer', { grant: 'authorization_code' })
    const renewed = await refresh(emulator, first.body.refresh_token as string)
    await expect(validate(renewed.body.id_token)).resolves.toMatchObject({ iss: emulator.issuer })
    const second = await login(emulator, { nonce: NONCE })
    expect(decodeJwt(String(second.body.id_token)).iss).toBe('https://evil.example')
  })

  it('an answer without an id_token does not use the fault up', async () => {
    emulator.faults.tamperIdToken('wrongAudience')
    expect((await login(emulator, { scope: 'pockets.read' })).body.id_token).toBeUndefined()
    const { body } = await login(emulator, { nonce: NONCE })
    expect(decodeJwt(String(body.id_token)).aud).toBe('someone-else')
  })

  it('otherSubject on a refresh that carries no id_token mints a valid one for mallory', async () => {
    const first = await login(emulator, { scope: 'pockets.read' })
    emulator.faults.tamperIdToken('otherSubject', { grant: 'refresh_token' })
    const renewed = await refresh(emulator, first.body.refresh_token as string)
    expect(renewed.status).toBe(200)
    const claims = await signedByEmulator(renewed.body.id_token)
    expect(claims).toEqual({
      iss: emulator.issuer,
      sub: 'mallory',
      aud: 'hand-ps256',
      iat: expect.any(Number),
      exp: expect.any(Number),
    })
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600)
    expect(Math.abs((claims.iat ?? 0) - Date.now() / 1000)).toBeLessThan(5)
  })

  it('failed token requests are not tampered with and do not use the fault up', async () => {
    const spent = await login(emulator)
    await refresh(emulator, spent.body.refresh_token as string)
    emulator.faults.tamperIdToken('missing')
    const replay = await refresh(emulator, spent.body.refresh_token as string)
    expect(replay.body.error).toBe('invalid_grant')
    expect((await login(emulator)).body.id_token).toBeUndefined()
  })

  it('reset() clears pending tampering', async () => {
    emulator.faults.tamperIdToken('missing', { count: 5 })
    emulator.faults.reset()
    expect((await login(emulator)).body.id_token).toEqual(expect.any(String))
  })

  it('refuses an unknown kind', () => {
    expect(() => emulator.faults.tamperIdToken('nope' as IdTokenTamper)).toThrow(/unknown id_token tamper/)
  })
})

describe('tamperIdToken through POST /__emulator/faults', () => {
  const post = (fault: unknown) =>
    fetch(`${emulator.issuer}/__emulator/faults`, { method: 'POST', body: JSON.stringify(fault) })

  it('accepts kind, count and grant', async () => {
    const answer = await post({
      type: 'tamperIdToken',
      kind: 'expired',
      count: 1,
      grant: 'authorization_code',
    })
    expect(answer.status).toBe(200)
    const { body } = await login(emulator, { nonce: NONCE })
    await expect(validate(body.id_token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
    await expect(validate((await login(emulator, { nonce: NONCE })).body.id_token)).resolves.toBeDefined()
  })

  it('is cleared by DELETE', async () => {
    await post({ type: 'tamperIdToken', kind: 'missing', count: 3 })
    await fetch(`${emulator.issuer}/__emulator/faults`, { method: 'DELETE' })
    expect((await login(emulator)).body.id_token).toEqual(expect.any(String))
  })

  it('answers 400 for an unknown kind or grant, saying what is accepted', async () => {
    const unknown = await post({ type: 'tamperIdToken', kind: 'nope' })
    expect(unknown.status).toBe(400)
    expect(((await unknown.json()) as { error_description: string }).error_description).toMatch(
      /unknown id_token tamper "nope": use one of badSignature, algNone/,
    )
    const grant = await post({ type: 'tamperIdToken', kind: 'missing', grant: 'password' })
    expect(grant.status).toBe(400)
    expect((await login(emulator)).body.id_token).toEqual(expect.any(String))
  })
})
