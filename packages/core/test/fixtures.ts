import { exportJWK, exportPKCS8, generateKeyPair } from 'jose'
import { type JikoClientConfig, resolveConfig } from '../src/index.js'

export const ISSUER = 'https://auth.jiko.test'
export const TOKEN_ENDPOINT = `${ISSUER}/api/oauth2/token`

const rsa = await generateKeyPair('PS256', { extractable: true })
const ed = await generateKeyPair('EdDSA', { extractable: true })
const ec = await generateKeyPair('ES256', { extractable: true })

export const keys = {
  rsaPrivatePem: await exportPKCS8(rsa.privateKey),
  rsaPublicKey: rsa.publicKey,
  rsaPrivateJwk: await exportJWK(rsa.privateKey),
  edPrivatePem: await exportPKCS8(ed.privateKey),
  edPrivateJwk: await exportJWK(ed.privateKey),
  edPublicKey: ed.publicKey,
  ecPrivatePem: await exportPKCS8(ec.privateKey),
}

export function testConfig(overrides: Partial<Parameters<typeof resolveConfig>[0]> = {}): JikoClientConfig {
  return resolveConfig({
    issuer: ISSUER,
    clientId: 'client-1',
    redirectUri: 'https://app.example/auth/callback',
    scopes: ['pockets.read'],
    privateKey: keys.rsaPrivatePem,
    revocationEndpoint: `${ISSUER}/api/oauth2/revoke`,
    // Unit tests script every request: the endpoints are Jiko's documented ones, not discovered.
    discovery: false,
    ...overrides,
  })
}

interface Expected {
  url: string
  /** Checks the request; throw to fail. */
  check?: (form: URLSearchParams) => void
  respond: () => Response | Promise<Response>
}

/**
 * A fake fetch that answers a scripted list of requests in order. It fails the test on any request not scripted,
 * and `assertDone()` fails it when a scripted request was never made.
 */
export function scriptedFetch(...expected: Expected[]) {
  const queue = [...expected]
  const seen: URLSearchParams[] = []
  const http = async (url: string, init: { body?: string; signal: AbortSignal }) => {
    const next = queue.shift()
    if (!next) throw new Error(`unexpected request to ${url}`)
    if (next.url !== url) throw new Error(`expected a request to ${next.url}, got ${url}`)
    const form = new URLSearchParams(init.body)
    seen.push(form)
    next.check?.(form)
    return next.respond()
  }
  return {
    http,
    seen,
    assertDone() {
      if (queue.length > 0) throw new Error(`${queue.length} scripted request(s) never made`)
    },
  }
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

export const tokenBody = (overrides: Record<string, unknown> = {}) => ({
  access_token: 'access-AAA',
  token_type: 'Bearer',
  expires_in: 900,
  refresh_token: 'refresh-111',
  scope: 'pockets.read',
  ...overrides,
})
