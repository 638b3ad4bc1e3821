// 1. Client CPU per login: authorization URL + callback validation + code exchange + one refresh, PS256, with the
// token endpoint replaced by an in-process stub. jiko-auth's direct actors (through the machine) vs openid-client
// configured for Jiko vs the floor (PKCE + two PS256 signatures with node:crypto).
import { constants, createHash, randomBytes, sign } from 'node:crypto'
import {
  authMachine,
  buildAuthorizationUrl,
  createDirectMachine,
  createPkcePair,
  createState,
  createTokenClient,
  parseCallback,
  resolveConfig,
} from '@jiko-auth/core'
import { nodeCryptoAdapter } from '@jiko-auth/node'
import { exportPKCS8, generateKeyPair } from 'jose'
import * as oidc from 'openid-client'
import { createActor, fromPromise, waitFor } from 'xstate'
import { compare } from './measure.mjs'

const issuer = 'https://auth.jiko.test'
const tokenEndpoint = `${issuer}/api/oauth2/token`
const redirectUri = 'https://app.example/auth/callback'
const tokenBody = JSON.stringify({
  access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln',
  token_type: 'Bearer',
  expires_in: 900,
  refresh_token: 'r'.repeat(43),
  scope: 'pockets.read',
})
const stub = async () =>
  new Response(tokenBody, { status: 200, headers: { 'content-type': 'application/json' } })

/** `measure`: the rounds of `compare` (tests pass small ones). */
export async function loginCpu(measure = {}) {
  const { privateKey } = await generateKeyPair('PS256', { extractable: true })
  const pem = await exportPKCS8(privateKey)

  const config = resolveConfig({
    issuer,
    clientId: 'bench',
    redirectUri,
    scopes: ['pockets.read'],
    privateKey: pem,
    // The stub answers the token endpoint only: Jiko's documented endpoints, no discovery request.
    discovery: false,
  })
  /** One login through the machine: LOGIN, CALLBACK, REFRESH, as `@jiko-auth/node` drives it. */
  const loginThrough = async (machine) => {
    const actor = createActor(machine, { input: {} }).start()
    actor.send({ type: 'LOGIN' })
    const { context } = await waitFor(actor, (s) => s.matches('awaitingCallback'))
    actor.send({
      type: 'CALLBACK',
      url: `${redirectUri}?code=abc&state=${context.transaction.state}&iss=${issuer}`,
    })
    const signedIn = await waitFor(actor, (s) => s.matches('authenticated'))
    actor.send({ type: 'REFRESH' })
    await waitFor(actor, (s) => s.matches('authenticated') && s.context.session !== signedIn.context.session)
    actor.stop()
  }
  const direct = createDirectMachine({ config, crypto: nodeCryptoAdapter, http: { http: stub } })
  const jiko = () => loginThrough(direct)

  // The interpreter's own share: the same three steps with actors that answer at once.
  const canned = (expiresAt = Date.now() + 900_000) => ({
    issuedAt: 0,
    expiresAt,
    tokens: { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', issuedAt: 0, expiresAt },
  })
  const instant = authMachine.provide({
    actors: {
      startAuthorization: fromPromise(async () => ({
        authorizationUrl: `${issuer}/api/oauth2/authorize`,
        transaction: { state: 's', codeVerifier: 'v', createdAt: 0 },
      })),
      exchangeCode: fromPromise(async () => canned()),
      refreshTokens: fromPromise(async () => canned()),
    },
  })
  const interpreter = () => loginThrough(instant)

  // The same protocol work without the machine (what the direct actors do, called in a row).
  const tokenClient = createTokenClient(config, { crypto: nodeCryptoAdapter, http: { http: stub } })
  const jikoFunctions = async () => {
    const pkce = await createPkcePair(nodeCryptoAdapter)
    const state = createState(nodeCryptoAdapter)
    buildAuthorizationUrl(config, { state, codeChallenge: pkce.challenge })
    const { code } = parseCallback(`${redirectUri}?code=abc&state=${state}&iss=${issuer}`, { state, issuer })
    const tokens = await tokenClient.exchangeCode({ code, codeVerifier: pkce.verifier })
    await tokenClient.refresh(tokens)
  }

  const peer = new oidc.Configuration(
    { issuer, authorization_endpoint: `${issuer}/api/oauth2/authorize`, token_endpoint: tokenEndpoint },
    'bench',
    { redirect_uris: [redirectUri] },
    oidc.PrivateKeyJwt(privateKey, {
      modifyAssertion(_header, payload) {
        payload.aud = tokenEndpoint
      },
    }),
  )
  peer[oidc.customFetch] = stub
  const openidClient = async () => {
    const verifier = oidc.randomPKCECodeVerifier()
    const challenge = await oidc.calculatePKCECodeChallenge(verifier)
    const state = oidc.randomState()
    oidc.buildAuthorizationUrl(peer, {
      redirect_uri: redirectUri,
      scope: 'pockets.read',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
    })
    const tokens = await oidc.authorizationCodeGrant(
      peer,
      new URL(`${redirectUri}?code=abc&state=${state}&iss=${issuer}`),
      {
        pkceCodeVerifier: verifier,
        expectedState: state,
      },
    )
    await oidc.refreshTokenGrant(peer, tokens.refresh_token)
  }

  const keyObject = (await import('node:crypto')).KeyObject.from(privateKey)
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const assertion = () => {
    const input = `${b64({ alg: 'PS256', typ: 'JWT' })}.${b64({ iss: 'bench', sub: 'bench', aud: tokenEndpoint, jti: randomBytes(24).toString('base64url') })}`
    const signature = sign('sha256', Buffer.from(input), {
      key: keyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    })
    return `${input}.${signature.toString('base64url')}`
  }
  const floor = async () => {
    const verifier = randomBytes(32).toString('base64url')
    createHash('sha256').update(verifier).digest('base64url')
    randomBytes(32).toString('base64url')
    assertion()
    assertion()
  }

  // The floor plus what any fetch-shaped client pays for the two canned answers (a Response and its body).
  const floorWithResponses = async () => {
    await floor()
    await (await stub()).text()
    await (await stub()).text()
  }

  const result = await compare(
    [
      { name: 'jiko', run: jiko },
      { name: 'jiko functions', run: jikoFunctions },
      { name: 'xstate interpreter', run: interpreter },
      { name: 'openid-client', run: openidClient },
      { name: 'floor', run: floor },
      { name: 'floor + responses', run: floorWithResponses },
    ],
    measure,
  )
  return result
}
