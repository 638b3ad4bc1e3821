// 1. Client CPU per login (process CPU time, not wall time): authorization URL + callback validation + code exchange
// + one refresh, PS256, with the token endpoint replaced by an in-process stub that issues a fresh access token each
// time. Candidates: the real server path (`createFlowRunner`, as @jiko-auth/node runs it: three steps, each restored
// from the stored snapshot), core's protocol functions alone, the machine's own share (the same three steps with
// effects that answer at once), openid-client configured for Jiko, and the floor: what any correct client does
// (32 random bytes + SHA-256 for PKCE, a 32-byte state, two PS256 client assertions with full claims via node:crypto
// on one KeyObject, and both token responses read from a Response and parsed).
import { constants, createHash, randomBytes, sign } from 'node:crypto'
import {
  authMachine,
  buildAuthorizationUrl,
  createMachineStepper,
  createMetadataCache,
  createPkcePair,
  createState,
  createTokenClient,
  parseCallback,
  resolveConfig,
} from '@jiko-auth/core'
import { nodeCryptoAdapter } from '@jiko-auth/node'
import { exportPKCS8, generateKeyPair } from 'jose'
import * as oidc from 'openid-client'
import { fromPromise } from 'xstate'
import { compare } from './measure.mjs'
import { createFlowRunner } from './nodeInternals.mjs'

const issuer = 'https://auth.jiko.test'
const tokenEndpoint = `${issuer}/api/oauth2/token`
const redirectUri = 'https://app.example/auth/callback'
let issued = 0
/** The token endpoint, in process: a fresh access token every time, as a server would issue. */
const stub = async () =>
  new Response(
    JSON.stringify({
      access_token: `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImp0aSI6${++issued}.c2ln`,
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: `r${issued}`.padEnd(43, 'r'),
      scope: 'pockets.read',
    }),
    { status: 200, headers: { 'content-type': 'application/json' } },
  )

/** `measure`: the rounds of `compare` (tests pass small ones). */
export async function loginCpu(measure = {}) {
  return compare(await loginCandidates(), { clock: 'cpu', ...measure })
}

/** The candidates, each a `run()` of one whole login: for `compare`, and for a profile of one of them. */
export async function loginCandidates() {
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
  // The real server path: @jiko-auth/node's flow runner, three steps, each from the snapshot the last one stored.
  const http = { http: stub }
  const metadata = createMetadataCache(config, { http })
  const tokenClient = createTokenClient(config, { crypto: nodeCryptoAdapter, metadata, http })
  const flows = createFlowRunner(
    { client: config, crypto: nodeCryptoAdapter, http, leewaySeconds: 60, clock: undefined },
    { tokenClient, metadata },
  )
  const jiko = async () => {
    const { state, flow } = await flows.startLogin('/')
    const signedIn = await flows.completeLogin(flow, `?code=abc&state=${state}&iss=${issuer}`)
    await flows.refresh(signedIn)
  }

  // The machine's own share of that path: the same three steps with effects that answer at once.
  const canned = (expiresAt = Date.now() + 900_000) => ({
    issuedAt: 0,
    expiresAt,
    tokens: { accessToken: `a${++issued}`, refreshToken: 'r', tokenType: 'Bearer', issuedAt: 0, expiresAt },
  })
  const instant = createMachineStepper(
    authMachine.provide({
      actors: {
        startAuthorization: fromPromise(async () => ({
          authorizationUrl: `${issuer}/api/oauth2/authorize`,
          transaction: { state: 's', codeVerifier: 'v', createdAt: 0 },
        })),
        exchangeCode: fromPromise(async () => canned()),
        refreshTokens: fromPromise(async () => canned()),
      },
    }),
  )
  const machineShare = async () => {
    const started = await instant.step(undefined, { type: 'LOGIN', returnTo: '/' }, { input: {} })
    const signedIn = await instant.step(started.persisted, { type: 'CALLBACK', url: '?code=abc&state=s' })
    await instant.step(signedIn.persisted, { type: 'REFRESH' })
  }

  // The same protocol work without the machine (what the direct actors do, called in a row).
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
      // openid-client sets aud to the issuer; Jiko wants the token endpoint.
      [oidc.modifyAssertion](_header, payload) {
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
  const header = b64({ alg: 'PS256', typ: 'JWT' })
  const assertion = () => {
    const iat = Math.floor(Date.now() / 1000)
    const claims = {
      iss: 'bench',
      sub: 'bench',
      aud: tokenEndpoint,
      iat,
      exp: iat + 60,
      jti: randomBytes(32).toString('base64url'),
    }
    const input = `${header}.${b64(claims)}`
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
    JSON.parse(await (await stub()).text())
    assertion()
    JSON.parse(await (await stub()).text())
  }

  return [
    { name: 'jiko', run: jiko },
    { name: 'jiko functions', run: jikoFunctions },
    { name: 'machine share', run: machineShare },
    { name: 'openid-client', run: openidClient },
    { name: 'floor', run: floor },
  ]
}
