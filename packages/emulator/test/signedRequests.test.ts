import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { exportSPKI } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pocketsOf, type RunningEmulator, startEmulator } from '../src/index.js'
import { eddsa, login, ps256, REDIRECT_URI } from './handClient.js'
import { contentDigest, type HandSignOptions, handSign } from './handSigner.js'

const ed = generateKeyPairSync('ed25519')
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const stranger = generateKeyPairSync('ed25519')

const ED: Pick<HandSignOptions, 'key' | 'alg' | 'keyId'> = {
  key: ed.privateKey,
  alg: 'ed25519',
  keyId: 'ed-1',
}
const P256: Pick<HandSignOptions, 'key' | 'alg' | 'keyId'> = {
  key: p256.privateKey,
  alg: 'ecdsa-p256-sha256',
  keyId: 'p256-1',
}

let emulator: RunningEmulator
/** hand-ps256 signs its API requests (keys ed-1 and p256-1); hand-eddsa is Bearer-only. */
let token: string
let otherToken: string
let readOnlyToken: string
let bearerOnlyToken: string

beforeAll(async () => {
  emulator = await startEmulator({
    headless: 'alice',
    clients: [
      {
        clientId: 'hand-ps256',
        redirectUris: [REDIRECT_URI],
        publicKey: await exportSPKI(ps256.publicKey),
        apiPublicKey: [
          {
            keyId: 'ed-1',
            key: ed.publicKey.export({ type: 'spki', format: 'pem' }) as string,
            alg: 'ed25519',
          },
          { keyId: 'p256-1', key: p256.publicKey.export({ format: 'jwk' }), alg: 'ecdsa-p256-sha256' },
        ],
      },
      {
        clientId: 'hand-eddsa',
        redirectUris: [REDIRECT_URI],
        publicKey: await exportSPKI(eddsa.publicKey),
        algorithm: 'EdDSA',
      },
    ],
  })
  const scope = 'openid pockets.read transfers.write'
  token = (await login(emulator, { scope })).body.access_token as string
  otherToken = (await login(emulator, { scope })).body.access_token as string
  readOnlyToken = (await login(emulator, { scope: 'pockets.read' })).body.access_token as string
  bearerOnlyToken = (await login(emulator, { alg: 'EdDSA', scope })).body.access_token as string
})
afterAll(() => emulator.stop())
beforeEach(() => emulator.faults.reset())

interface Call {
  method?: string
  path?: string
  body?: string
  headers?: Record<string, string>
  token?: string
  /** How to sign; `false` sends the request unsigned. */
  sign?: Partial<HandSignOptions> | false
  /** Change the request after signing it. */
  tamper?: (request: { url: string; headers: Record<string, string>; body?: string }) => void
}

async function call(options: Call = {}) {
  const method = options.method ?? 'GET'
  const request = {
    url: `${emulator.issuer}${options.path ?? '/api/pockets'}`,
    body: options.body,
    headers: {
      authorization: `Bearer ${options.token ?? token}`,
      ...(options.body !== undefined
        ? { 'content-type': 'application/json', 'content-digest': contentDigest(options.body) }
        : {}),
      ...options.headers,
    } as Record<string, string>,
  }
  if (options.sign !== false) {
    request.headers = handSign({ method, ...request }, { ...ED, ...options.sign })
  }
  options.tamper?.(request)
  const response = await fetch(request.url, {
    method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined }
}

const TRANSFER = { from: 'pkt_alice_main', to: 'pkt_alice_savings', amount: '25.00', currency: 'USD' }
const transferBody = JSON.stringify(TRANSFER)
const postTransfer = (options: Call = {}) =>
  call({ method: 'POST', path: '/api/v2/pockets/transfers', body: transferBody, ...options })

/** Expects a 401 invalid_signature whose reason matches. */
function expectRefused(result: Awaited<ReturnType<typeof call>>, reason: RegExp) {
  expect(result.status).toBe(401)
  expect(result.body.error).toBe('invalid_signature')
  expect(result.body.error_description).toMatch(reason)
  expect(result.headers.get('www-authenticate')).toMatch(/^Bearer realm="jiko", error="invalid_signature"/)
}

describe('Jiko rule: Customer API requests carry an RFC 9421 signature (client with an API key)', () => {
  it('accepts an ed25519 signature on GET', async () => {
    const result = await call()
    expect(result.status).toBe(200)
    expect(result.body.data).toEqual(pocketsOf('alice'))
  })

  it('accepts an ecdsa-p256-sha256 signature on GET, the query in @target-uri', async () => {
    const id = pocketsOf('alice')[1]?.id
    const result = await call({ path: `/api/pockets/${id}?expand=balance`, sign: P256 })
    expect(result.status).toBe(200)
    expect(result.body).toEqual(pocketsOf('alice')[1])
  })

  it('accepts an ed25519 signature on POST with a sha-256 Content-Digest, and creates the transfer', async () => {
    const result = await postTransfer()
    expect(result.status).toBe(201)
    expect(result.body).toEqual({
      ...TRANSFER,
      id: expect.stringMatching(/^trf_[0-9a-f]{16}$/),
      status: 'pending',
    })
  })

  it('accepts an ecdsa-p256-sha256 signature on POST with a sha-512 Content-Digest', async () => {
    const result = await postTransfer({
      sign: P256,
      headers: { 'content-digest': contentDigest(transferBody, 'sha-512') },
    })
    expect(result.status).toBe(201)
    expect(result.body.status).toBe('pending')
  })

  it('accepts the RFC 9421 Appendix B.2.6 shape: its label, extra components, any order', async () => {
    const result = await postTransfer({
      headers: { date: new Date().toUTCString(), 'content-length': String(Buffer.byteLength(transferBody)) },
      sign: {
        label: 'sig-b26',
        components: [
          'date',
          '@method',
          '@path',
          '@authority',
          'content-type',
          'content-length',
          'content-digest',
          'authorization',
          '@target-uri',
        ],
      },
    })
    expect(result.status).toBe(201)
  })

  it('finds the client’s signature among several by keyid', async () => {
    const result = await call({
      headers: {
        'signature-input': 'proxy=("@method");created=1;keyid="proxy-key"',
        signature: 'proxy=:AAAA:',
      },
      sign: { ...P256, label: 'client' },
    })
    expect(result.status).toBe(200)
  })

  it('accepts an alg parameter that matches the key, refuses one that does not', async () => {
    expect((await call({ sign: { algParam: 'ed25519' } })).status).toBe(200)
    expectRefused(
      await call({ sign: { algParam: 'ecdsa-p256-sha256' } }),
      /alg "ecdsa-p256-sha256" .*ed25519/,
    )
  })

  it('refuses an unsigned request, with Accept-Signature saying what to sign', async () => {
    const result = await postTransfer({ sign: false })
    expectRefused(result, /not signed/)
    expect(result.headers.get('accept-signature')).toBe(
      'sig1=("@method" "@authority" "@target-uri" "authorization" "content-digest");created',
    )
  })

  it('refuses a tampered method', async () => {
    expectRefused(await call({ sign: { signed: { method: 'DELETE' } } }), /bad signature/)
  })

  it('refuses a tampered path', async () => {
    const [main, savings] = pocketsOf('alice')
    const signed = { url: `${emulator.issuer}/api/pockets/${savings?.id}` }
    expectRefused(await call({ path: `/api/pockets/${main?.id}`, sign: { signed } }), /bad signature/)
  })

  it('refuses a tampered authority', async () => {
    expectRefused(await call({ sign: { signed: { authority: 'evil.example' } } }), /bad signature/)
  })

  it('refuses a tampered body: Content-Digest mismatch', async () => {
    const result = await postTransfer({
      tamper: (request) => {
        request.body = JSON.stringify({ ...TRANSFER, amount: '25000.00' })
      },
    })
    expectRefused(result, /Content-Digest sha-256 does not match the body \(digest mismatch\)/)
  })

  it('refuses a tampered body sent with its own digest: the signed digest differs', async () => {
    const result = await postTransfer({
      tamper: (request) => {
        request.body = JSON.stringify({ ...TRANSFER, amount: '25000.00' })
        request.headers['content-digest'] = contentDigest(request.body)
      },
    })
    expectRefused(result, /bad signature/)
  })

  it('refuses a tampered authorization header (another valid token of the same client)', async () => {
    const result = await call({
      tamper: (request) => {
        request.headers.authorization = `Bearer ${otherToken}`
      },
    })
    expectRefused(result, /bad signature/)
  })

  it('refuses a POST whose signature does not cover content-digest', async () => {
    const result = await postTransfer({
      sign: { components: ['@method', '@authority', '@target-uri', 'authorization'] },
    })
    expectRefused(result, /must cover content-digest \(content-digest is required when there is a body\)/)
  })

  it('refuses a Content-Digest with neither sha-256 nor sha-512', async () => {
    const result = await postTransfer({ headers: { 'content-digest': 'unixsum=:AAAA:' } })
    expectRefused(result, /Content-Digest carries no sha-256 or sha-512 digest/)
  })

  it('refuses a Signature-Input that is not a structured field', async () => {
    const result = await call({
      sign: false,
      headers: { 'signature-input': 'sig1=(', signature: 'sig1=:AAAA:' },
    })
    expectRefused(result, /not a structured field dictionary/)
  })

  it('refuses a POST without a Content-Digest header', async () => {
    const components = ['@method', '@authority', '@target-uri', 'authorization', 'content-digest']
    const result = await postTransfer({
      sign: { components },
      tamper: (request) => {
        delete request.headers['content-digest']
      },
    })
    expectRefused(result, /has a body but no Content-Digest header/)
  })

  it.each(['@method', '@authority', '@target-uri', 'authorization'])(
    'refuses a signature that does not cover %s',
    async (missing) => {
      const components = ['@method', '@authority', '@target-uri', 'authorization'].filter(
        (c) => c !== missing,
      )
      expectRefused(await call({ sign: { components } }), new RegExp(`must cover ${missing};`))
    },
  )

  it('refuses an expired created (301 s old)', async () => {
    const created = Math.floor(Date.now() / 1000) - 301
    expectRefused(await call({ sign: { created } }), /expired: created is 30\d s before the server's time/)
  })

  it('refuses a created 301 s ahead of the server’s time', async () => {
    const created = Math.floor(Date.now() / 1000) + 301
    expectRefused(await call({ sign: { created } }), /created is 30\d s after the server's time/)
  })

  it('judges created by the emulator’s clock (faults.skewClock)', async () => {
    emulator.faults.skewClock(600)
    expectRefused(await call(), /expired: created is 60\d s before/)
    emulator.faults.skewClock(0)
    expect((await call()).status).toBe(200)
  })

  it('refuses a signature without created', async () => {
    expectRefused(await call({ sign: { created: null } }), /no created parameter/)
  })

  it('refuses an unknown keyid', async () => {
    expectRefused(
      await call({ sign: { keyId: 'nope' } }),
      /unknown keyid "nope" for client hand-ps256 \(registered: "ed-1", "p256-1"\)/,
    )
  })

  it('refuses a signature without keyid', async () => {
    expectRefused(await call({ sign: { keyId: undefined } }), /no keyid parameter/)
  })

  it('refuses a signature by another key under a registered keyid', async () => {
    expectRefused(await call({ sign: { key: stranger.privateKey as KeyObject } }), /bad signature.*"ed-1"/)
  })

  it('checks the Bearer token before the signature, and the scope after it', async () => {
    const noToken = await call({ sign: false, headers: { authorization: '' } })
    expect(noToken.status).toBe(401)
    expect(noToken.body.error).toBe('invalid_request')
    expectRefused(await postTransfer({ token: readOnlyToken, sign: false }), /not signed/)
    const signed = await postTransfer({ token: readOnlyToken })
    expect(signed.status).toBe(403)
    expect(signed.headers.get('www-authenticate')).toMatch(
      /error="insufficient_scope".*scope="transfers.write"/,
    )
  })
})

describe('POST /api/v2/pockets/transfers', () => {
  it('400 for a body that is not JSON, or lacks a field', async () => {
    const notJson = await postTransfer({ body: '{"from":' })
    expect(notJson.status).toBe(400)
    expect(notJson.body.error).toBe('invalid_request')
    const partial = await postTransfer({ body: JSON.stringify({ from: 'a', to: 'b', currency: 'USD' }) })
    expect(partial.status).toBe(400)
    expect(partial.body.error_description).toMatch(/amount/)
  })

  it('413 for a body over 1 MB', async () => {
    const result = await postTransfer({ body: 'x'.repeat(1024 * 1024 + 1), sign: false })
    expect(result.status).toBe(413)
  })

  it('405 for GET, 404 elsewhere under /api/v2/pockets', async () => {
    expect((await call({ path: '/api/v2/pockets/transfers', sign: false })).status).toBe(405)
    expect((await call({ path: '/api/v2/pockets/nope', sign: false })).status).toBe(404)
  })

  it('a Bearer-only client needs no signature, and its signature headers are ignored', async () => {
    const result = await postTransfer({ token: bearerOnlyToken, sign: false })
    expect(result.status).toBe(201)
    const get = await call({ token: bearerOnlyToken, sign: { keyId: 'whatever' } })
    expect(get.status).toBe(200)
  })
})

describe('stats.apiRequests and stats.signedApiRequests', () => {
  it('count API requests and those with a valid signature; reset() zeroes them', async () => {
    emulator.stats.reset()
    await call()
    await postTransfer({ sign: P256 })
    await call({ sign: { keyId: 'nope' } })
    await call({ token: bearerOnlyToken, sign: false })
    expect(emulator.stats).toMatchObject({ apiRequests: 4, signedApiRequests: 2 })
    const overHttp = await (await fetch(`${emulator.issuer}/__emulator/stats`)).json()
    expect(overHttp).toMatchObject({ apiRequests: 4, signedApiRequests: 2 })
    emulator.stats.reset()
    expect(emulator.stats).toMatchObject({ apiRequests: 0, signedApiRequests: 0 })
  })
})

describe('registering an API key', () => {
  const client = { clientId: 'bad', redirectUris: [REDIRECT_URI] }
  const start = async (apiPublicKey: unknown) =>
    startEmulator({
      clients: [{ ...client, publicKey: await exportSPKI(ps256.publicKey), apiPublicKey } as never],
    })

  it('refuses a private key', async () => {
    const key = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    await expect(start({ keyId: 'k', key, alg: 'ed25519' })).rejects.toThrow(/register the public key/)
    const jwk = p256.privateKey.export({ format: 'jwk' })
    await expect(start({ keyId: 'k', key: jwk, alg: 'ecdsa-p256-sha256' })).rejects.toThrow(
      /register the public key/,
    )
  })

  it('refuses a key that does not fit its alg', async () => {
    const key = p256.publicKey.export({ type: 'spki', format: 'pem' }) as string
    await expect(start({ keyId: 'k', key, alg: 'ed25519' })).rejects.toThrow(
      /alg must be "ed25519" for an Ed25519 key .*got "ed25519" with a ec prime256v1 key/,
    )
  })

  it('refuses a keyId registered twice', async () => {
    const key = ed.publicKey.export({ type: 'spki', format: 'pem' }) as string
    const twice = [
      { keyId: 'k', key, alg: 'ed25519' },
      { keyId: 'k', key, alg: 'ed25519' },
    ]
    await expect(start(twice)).rejects.toThrow(/API key "k": keyId registered twice/)
  })
})
