// A plain client written by hand with jose + fetch — deliberately not our own packages — to test the emulator.
import { createHash, randomBytes } from 'node:crypto'
import { exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { type RunningEmulator, startEmulator } from '../src/index.js'

export const REDIRECT_URI = 'http://localhost:3000/auth/callback'
export const ps256 = await generateKeyPair('PS256')
export const eddsa = await generateKeyPair('EdDSA')
export const rs256 = await generateKeyPair('RS256')

export async function startTestEmulator(options: Partial<Parameters<typeof startEmulator>[0]> = {}) {
  return startEmulator({
    headless: 'alice',
    clients: [
      { clientId: 'hand-ps256', redirectUris: [REDIRECT_URI], publicKey: await exportSPKI(ps256.publicKey) },
      {
        clientId: 'hand-eddsa',
        redirectUris: [REDIRECT_URI],
        publicKey: await exportSPKI(eddsa.publicKey),
        algorithm: 'EdDSA',
      },
    ],
    ...options,
  })
}

export interface AssertionOptions {
  clientId?: string
  aud?: string | string[]
  lifetime?: number
  jti?: string
  alg?: 'PS256' | 'EdDSA' | 'RS256'
}

export async function assertion(emulator: RunningEmulator, options: AssertionOptions = {}) {
  const alg = options.alg ?? 'PS256'
  const key = alg === 'EdDSA' ? eddsa.privateKey : alg === 'RS256' ? rs256.privateKey : ps256.privateKey
  const clientId = options.clientId ?? (alg === 'EdDSA' ? 'hand-eddsa' : 'hand-ps256')
  const iat = Math.floor(Date.now() / 1000)
  return new SignJWT({ jti: options.jti ?? randomBytes(16).toString('hex') })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(options.aud ?? emulator.tokenEndpoint)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.lifetime ?? 60))
    .sign(key)
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export function authorizeUrl(emulator: RunningEmulator, params: Record<string, string | undefined>) {
  const url = new URL(`${emulator.issuer}/api/oauth2/authorize`)
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'hand-ps256',
    redirect_uri: REDIRECT_URI,
    scope: 'openid pockets.read',
    state: 'state-1',
    ...params,
  }
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v)
  return url.href
}

/** Runs the headless authorization and returns the callback URL. */
export async function authorize(emulator: RunningEmulator, params: Record<string, string | undefined> = {}) {
  return new URL(await emulator.signIn(authorizeUrl(emulator, params)))
}

export async function token(
  emulator: RunningEmulator,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(emulator.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  })
  const text = await response.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: response.status, body, text, headers: response.headers }
}

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** A full code flow; returns the token response. */
export async function login(
  emulator: RunningEmulator,
  options: { scope?: string; alg?: 'PS256' | 'EdDSA'; nonce?: string } = {},
) {
  const { verifier, challenge } = pkce()
  const clientId = options.alg === 'EdDSA' ? 'hand-eddsa' : 'hand-ps256'
  const callback = await authorize(emulator, {
    code_challenge: challenge,
    code_challenge_method: 'S256',
    client_id: clientId,
    scope: options.scope ?? 'openid pockets.read',
    nonce: options.nonce,
  })
  const code = callback.searchParams.get('code')
  if (!code) throw new Error(`no code: ${callback.search}`)
  return token(emulator, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
    client_id: clientId,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion(emulator, { alg: options.alg ?? 'PS256' }),
  })
}

export async function refresh(emulator: RunningEmulator, refreshToken: string) {
  return token(emulator, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: 'hand-ps256',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await assertion(emulator),
  })
}

/** Follows redirects like a browser (cookie jar included) until one leaves the emulator; returns that response. */
export async function followToClient(url: string): Promise<Response> {
  const cookies = new Map<string, string>()
  let current = url
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(current, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    })
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] as string
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1))
    }
    const location = response.headers.get('location')
    if (!location) throw new Error(`no redirect from ${current} (${response.status})`)
    current = new URL(location, current).href
    if (current.startsWith(REDIRECT_URI)) return response
  }
  throw new Error('too many redirects')
}
