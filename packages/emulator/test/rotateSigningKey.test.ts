import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, type JWK, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROUTES, type RunningEmulator } from '../src/index.js'
import { login, refresh, startTestEmulator } from './handClient.js'

let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await startTestEmulator()
})
afterAll(() => emulator.stop())

async function jwks(): Promise<{ keys: JWK[] }> {
  return (await (await fetch(`${emulator.issuer}${ROUTES.jwks}`)).json()) as { keys: JWK[] }
}

async function verify(jwt: unknown, audience: string) {
  const keys = createLocalJWKSet((await jwks()) as JSONWebKeySet)
  return jwtVerify(String(jwt), keys, { algorithms: ['RS256'], issuer: emulator.issuer, audience })
}

async function endSession(idTokenHint: string) {
  const url = new URL(`${emulator.issuer}${ROUTES.end_session}`)
  url.searchParams.set('id_token_hint', idTokenHint)
  return fetch(url, { redirect: 'manual' })
}

describe('rotateSigningKey', () => {
  let before: Awaited<ReturnType<typeof login>>
  let kid: string

  beforeAll(async () => {
    before = await login(emulator)
    kid = await emulator.rotateSigningKey()
  })

  it('publishes the new key first, the old one after, no private parts', async () => {
    const { keys } = await jwks()
    expect(kid).toMatch(/^[\w-]{43}$/)
    expect(keys.map((k) => k.kid)).toEqual([kid, 'emulator-rs256'])
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' })
      expect(key.d).toBeUndefined()
    }
  })

  it('signs id_tokens with the new key from then on, on code exchange and refresh', async () => {
    const after = await login(emulator)
    expect(decodeProtectedHeader(String(after.body.id_token))).toEqual({ alg: 'RS256', kid })
    await expect(verify(after.body.id_token, 'hand-ps256')).resolves.toMatchObject({
      payload: { sub: 'alice' },
    })
    const renewed = await refresh(emulator, after.body.refresh_token as string)
    expect(decodeProtectedHeader(String(renewed.body.id_token)).kid).toBe(kid)
    await expect(verify(renewed.body.id_token, 'hand-ps256')).resolves.toBeDefined()
  })

  it('keeps what was issued before valid: old id_tokens verify, access tokens still open the pockets API', async () => {
    expect(decodeProtectedHeader(String(before.body.id_token)).kid).toBe('emulator-rs256')
    await expect(verify(before.body.id_token, 'hand-ps256')).resolves.toBeDefined()
    const after = await login(emulator)
    await expect(verify(after.body.access_token, emulator.apiAudience)).resolves.toBeDefined()
    const pockets = await fetch(`${emulator.issuer}/api/pockets`, {
      headers: { authorization: `Bearer ${after.body.access_token}` },
    })
    expect(pockets.status).toBe(200)
  })

  it('tampered claims are signed with the new key too', async () => {
    emulator.faults.tamperIdToken('otherSubject')
    const after = await login(emulator)
    expect(decodeProtectedHeader(String(after.body.id_token)).kid).toBe(kid)
    await expect(verify(after.body.id_token, 'hand-ps256')).resolves.toMatchObject({
      payload: { sub: 'mallory' },
    })
  })

  it('end_session accepts an id_token_hint signed with the new key, and still refuses a forged one', async () => {
    const after = await login(emulator)
    expect((await endSession(String(after.body.id_token))).status).toBe(200)
    emulator.faults.tamperIdToken('badSignature')
    const forged = await login(emulator)
    expect((await endSession(String(forged.body.id_token))).status).toBe(400)
  })

  it('rotates again: three keys, newest first', async () => {
    const third = await emulator.rotateSigningKey()
    expect(third).not.toBe(kid)
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([third, kid, 'emulator-rs256'])
    expect(decodeProtectedHeader(String((await login(emulator)).body.id_token)).kid).toBe(third)
  })
})
