// createJikoServiceClient with the token endpoint injected (counted): cached until the leeway, one request per
// process, one across instances sharing a store, the token sealed at rest, a new token after a 401.
import { memoryStorage } from '@jiko-auth/storage-memory'
import { exportPKCS8, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { SimulatedClock } from 'xstate'
import { createJikoServiceClient, type JikoServiceClientOptions } from '../src/index.js'
import { SECRET } from './harness.js'

const ISSUER = 'https://auth.jiko.test'
const TOKEN_ENDPOINT = `${ISSUER}/api/oauth2/token`
const { privateKey } = await generateKeyPair('PS256', { extractable: true })
const pem = await exportPKCS8(privateKey)

/** A token endpoint that issues `service-<n>` tokens valid 900 s, and counts the requests. */
function tokenEndpoint() {
  const state = { requests: 0, forms: [] as URLSearchParams[] }
  const http = async (url: string, init: { body?: string }) => {
    if (url !== TOKEN_ENDPOINT) throw new Error(`unexpected request to ${url}`)
    state.requests += 1
    state.forms.push(new URLSearchParams(init.body))
    // Let concurrent callers pile up while the request is in flight.
    await new Promise((resolve) => setTimeout(resolve, 5))
    const body = { access_token: `service-${state.requests}`, token_type: 'Bearer', expires_in: 900 }
    return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
  }
  return { state, http }
}

function options(
  http: ReturnType<typeof tokenEndpoint>['http'],
  extra: Partial<JikoServiceClientOptions> = {},
) {
  const clock = new SimulatedClock()
  clock.set(Date.now())
  return {
    clock,
    options: {
      issuer: ISSUER,
      clientId: 'svc',
      scopes: ['transfers.write', 'pockets.read'],
      privateKey: pem,
      discovery: false,
      clock,
      http: { http },
      ...extra,
    } satisfies JikoServiceClientOptions,
  }
}

describe('createJikoServiceClient', () => {
  it('asks for the configured scopes with a client assertion, once for 100 concurrent callers, then caches', async () => {
    const endpoint = tokenEndpoint()
    const { options: o } = options(endpoint.http)
    const service = createJikoServiceClient(o)
    const tokens = await Promise.all(Array.from({ length: 100 }, () => service.getToken()))
    expect(new Set(tokens)).toEqual(new Set(['service-1']))
    expect(await service.getToken()).toBe('service-1')
    expect(endpoint.state.requests).toBe(1)
    const form = endpoint.state.forms[0] as URLSearchParams
    expect(form.get('grant_type')).toBe('client_credentials')
    expect(form.get('scope')).toBe('transfers.write pockets.read')
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
  })

  it('asks for a new token only once the leeway is reached', async () => {
    const endpoint = tokenEndpoint()
    const { clock, options: o } = options(endpoint.http)
    const service = createJikoServiceClient(o)
    await service.getToken()
    clock.increment((900 - 61) * 1000)
    expect(await service.getToken()).toBe('service-1')
    clock.increment(2000)
    expect(await service.getToken()).toBe('service-2')
    expect(endpoint.state.requests).toBe(2)
  })

  it('instances sharing a store (processes) make one request between them; the token is sealed at rest', async () => {
    const endpoint = tokenEndpoint()
    const store = memoryStorage()
    const written: string[] = []
    const storage = {
      ...store,
      set(key: string, value: string, ttl: number) {
        written.push(value)
        return store.set(key, value, ttl)
      },
    }
    const { options: o } = options(endpoint.http, { storage, secret: SECRET })
    const instances = [createJikoServiceClient(o), createJikoServiceClient(o), createJikoServiceClient(o)]
    const tokens = await Promise.all(instances.flatMap((s) => Array.from({ length: 30 }, () => s.getToken())))
    expect(new Set(tokens)).toEqual(new Set(['service-1']))
    expect(endpoint.state.requests).toBe(1)
    expect(written).toHaveLength(1)
    expect(written[0]).not.toContain('service-1')
  })

  it('a 401 invalid_token from the API gets one new token and one retry', async () => {
    const endpoint = tokenEndpoint()
    const calls: string[] = []
    const apiFetch = async (request: Request) => {
      const token = request.headers.get('authorization') ?? ''
      calls.push(token)
      return token === 'Bearer service-1'
        ? new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } })
        : new Response('{"ok":true}')
    }
    const { options: o } = options(endpoint.http, { apiFetch: apiFetch as typeof fetch })
    const service = createJikoServiceClient(o)
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => service.fetch('https://api.jiko.test/v2/pockets')),
    )
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(endpoint.state.requests).toBe(2)
    expect(calls.filter((c) => c === 'Bearer service-1')).toHaveLength(20)
    expect(calls.filter((c) => c === 'Bearer service-2')).toHaveLength(20)
  })

  it('refuses a store without a secret, naming the field', () => {
    const { options: o } = options(tokenEndpoint().http, { storage: memoryStorage() })
    expect(() => createJikoServiceClient(o)).toThrow(
      expect.objectContaining({ code: 'JIKO_CONFIG_INVALID', field: 'secret' }),
    )
  })
})
